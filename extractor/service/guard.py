"""Who may send a request, before any handler runs: a Host allow-list (DNS rebinding: a page on
``evil.example`` resolving to 127.0.0.1 is answered 421), and for state-changing requests a
same-origin ``Origin``/``Referer`` (CSRF: a cross-site form or a page on another port is answered
403). A request with neither header is not from a browser page (browsers send ``Origin`` on every
cross-origin POST) and passes on to the token check."""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.responses import JSONResponse

from extractor.service.auth import LOCAL_HOSTS
from extractor.service.errors import error_body

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def host_name(host: str) -> str:
    """``Host`` without its port (``[::1]:8000`` → ``::1``), lower-case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class GuardMiddleware:
    def __init__(self, app, allowed_hosts: tuple[str, ...] = ()):
        self.app = app
        self.allowed = frozenset(LOCAL_HOSTS) | {h.strip().lower() for h in allowed_hosts if h.strip()}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host_name(host) not in self.allowed:
            return await self._refuse(scope, receive, send, 421, "misdirected_request",
                                      f"this service does not answer for host {host!r}; use 127.0.0.1 or "
                                      "localhost, or add the name to NIANBAO_ALLOWED_HOSTS")
        if scope["method"] in UNSAFE and not same_origin(headers, scope.get("scheme", "http"), host):
            return await self._refuse(scope, receive, send, 403, "cross_origin",
                                      "a state-changing request must come from this service's own pages "
                                      "(its Origin/Referer is another site); open the review page itself")
        return await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope, receive, send, status: int, code: str, message: str):
        response = JSONResponse(error_body(status, code, message), status_code=status)
        await response(scope, receive, send)


def same_origin(headers: dict[str, str], scheme: str, host: str) -> bool:
    """Whether the request's Origin (or, without one, its Referer) is this service itself."""
    origin = headers.get("origin")
    if origin is None and headers.get("referer"):
        parts = urlsplit(headers["referer"])
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is None:
        return True
    return origin.strip().lower() == f"{scheme}://{host}".lower()

"""Who may talk to the service. On 127.0.0.1 nobody else can reach it; bound anywhere else it
needs ``NIANBAO_TOKEN``, and then every request must carry it: ``Authorization: Bearer <token>``
for API clients, or the session cookie that ``/login`` (or ``?token=``) sets for a browser.

The cookie never holds the token: it is ``<issued>.<HMAC-SHA256(token, issued)>``, valid for
``SESSION_SECONDS`` and void as soon as the token changes. Failed logins are limited per client
(``LOGIN_ATTEMPTS`` per ``LOGIN_WINDOW_S``), so the token cannot be guessed through the form."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from urllib.parse import quote

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse

from extractor.errors import ConfigError
from extractor.service.errors import respond

COOKIE = "nianbao_token"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
OPEN_PATHS = ("/login", "/static/", "/api/health")
SESSION_SECONDS = 12 * 3600
LOGIN_ATTEMPTS = 5     # failed logins a client may make …
LOGIN_WINDOW_S = 60.0  # … within this many seconds before it must wait


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token."""
    if host not in LOCAL_HOSTS and not token:
        raise ConfigError(f"refusing to listen on {host} without a token: anyone who can reach it "
                          "could read and change records. Set NIANBAO_TOKEN to a long random "
                          "secret, or bind 127.0.0.1")


def token_matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def presented_token(request: Request) -> tuple[str | None, bool]:
    """The token the request carries (Bearer header or ``?token=``), and whether it came in the
    query string. A session cookie is checked by :func:`authenticated`."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    if request.query_params.get("token"):
        return request.query_params["token"], True
    return None, False


def authenticated(request: Request, token: str) -> bool:
    """The request carries the token, or a live session cookie signed with it."""
    given, _ = presented_token(request)
    return token_matches(given, token) or session_valid(request.cookies.get(COOKIE), token)


def _signature(token: str, issued: str) -> str:
    return hmac.new(token.encode(), f"nianbao-session:{issued}".encode(), hashlib.sha256).hexdigest()


def session_value(token: str, now: float | None = None) -> str:
    issued = str(int(time.time() if now is None else now))
    return f"{issued}.{_signature(token, issued)}"


def session_valid(cookie: str | None, token: str, now: float | None = None) -> bool:
    issued, _, signature = (cookie or "").partition(".")
    if not issued.isdigit() or len(issued) > 12 or not signature:
        return False
    age = (time.time() if now is None else now) - int(issued)
    return 0 <= age <= SESSION_SECONDS and hmac.compare_digest(signature, _signature(token, issued))


def set_token_cookie(request: Request, response, token: str) -> None:
    """Start a browser session (``Secure`` when the request came over https)."""
    response.set_cookie(COOKIE, session_value(token), max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


class LoginLimiter:
    """Failed logins per client address in a sliding window; thread-safe, bounded in memory."""

    MAX_CLIENTS = 10_000

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window_s: float = LOGIN_WINDOW_S):
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Seconds ``client`` must wait before trying again (0: it may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.get(client)
            while times and now - times[0] > self.window_s:
                times.popleft()
            if not times or len(times) < self.attempts:
                return 0
            return max(1, int(self.window_s - (now - times[0])) + 1)

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if client not in self._failures and len(self._failures) >= self.MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))  # forget the oldest client
            self._failures.setdefault(client, deque(maxlen=self.attempts)).append(now)


class TokenMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, token: str):
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if path.startswith(OPEN_PATHS):
            return await call_next(request)
        _, from_query = presented_token(request)
        if not authenticated(request, self.token):
            if request.method == "GET" and "text/html" in request.headers.get("accept", "") \
                    and not path.startswith("/api"):
                return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
            return respond(request, 401, "unauthorized",
                           "this service needs a token: send 'Authorization: Bearer <NIANBAO_TOKEN>' "
                           "(or log in at /login)", headers={"WWW-Authenticate": "Bearer"})
        if from_query and request.method == "GET" and not path.startswith("/api") \
                and "text/html" in request.headers.get("accept", ""):
            # keep the token out of the address bar, history and logs from now on
            query = "&".join(f"{k}={quote(v)}" for k, v in request.query_params.multi_items() if k != "token")
            response = RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)
        else:
            response = await call_next(request)
        if from_query:
            set_token_cookie(request, response, self.token)
        return response

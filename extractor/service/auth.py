"""Who may talk to the service. On 127.0.0.1 nobody else can reach it; bound anywhere else it
needs ``NIANBAO_TOKEN``, and then every request must carry it: ``Authorization: Bearer <token>``
for API clients, or the ``nianbao_token`` cookie that ``/login`` (or ``?token=``) sets for a browser."""
from __future__ import annotations

import hmac
from urllib.parse import quote

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse

from extractor.errors import ConfigError
from extractor.service.errors import respond

COOKIE = "nianbao_token"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
OPEN_PATHS = ("/login", "/static/", "/api/health")


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token."""
    if host not in LOCAL_HOSTS and not token:
        raise ConfigError(f"refusing to listen on {host} without a token: anyone who can reach it "
                          "could read and change records. Set NIANBAO_TOKEN to a long random "
                          "secret, or bind 127.0.0.1")


def token_matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def presented_token(request: Request) -> tuple[str | None, bool]:
    """The token the request carries, and whether it came in the query string."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    if request.query_params.get("token"):
        return request.query_params["token"], True
    return request.cookies.get(COOKIE), False


def set_token_cookie(response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")


class TokenMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, token: str):
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if path.startswith(OPEN_PATHS):
            return await call_next(request)
        given, from_query = presented_token(request)
        if not token_matches(given, self.token):
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
            set_token_cookie(response, self.token)
        return response

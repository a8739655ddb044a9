"""The review service: a FastAPI app over the store (JSON API under /api, review pages, OpenAPI
at /docs). ``create_app(settings)`` builds it; ``nianbao serve`` runs it with uvicorn."""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from extractor.service import api, pages
from extractor.service.auth import LoginLimiter, TokenMiddleware
from extractor.service.guard import GuardMiddleware
from extractor.service.errors import error_body, install_error_handlers, too_large_message
from extractor.settings import Settings
from extractor.store import Store, open_store

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MB = 1024 * 1024


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The app for ``settings``: opens the store, and requires the token on every request when
    ``settings.token`` is set."""
    app = FastAPI(title="nianbao review service",
                  description="Extract 政府信息公开工作年度报告, review the records against their source, "
                              "correct and approve them, export the corrected data.",
                  version="1")
    app.state.settings = settings
    app.state.store = store or open_store(settings)
    app.state.llm = make_llm(settings)
    app.state.login_limiter = LoginLimiter()
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates.env.filters["num"] = format_number
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(UploadLimitMiddleware, limit_mb=settings.max_upload_mb)
    if settings.token:
        app.add_middleware(TokenMiddleware, token=settings.token)
    app.add_middleware(GuardMiddleware, allowed_hosts=tuple(settings.allowed_hosts))  # outermost
    return app


def format_number(value) -> str:
    """A sum as the report would print it: 3, not 3.0; '?' when it could not be computed."""
    if value is None:
        return "?"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def make_llm(settings: Settings):
    """The LLM reader when one is configured (same rule as the CLI), else None."""
    if settings.llm == "off" or not settings.llm_configured:
        return None
    try:
        from extractor.read.llm import LlmReader
    except ImportError:
        return None
    return LlmReader(settings)


def upload_envelope(limit_mb: float) -> int:
    """The largest request body: the upload limit plus room for the multipart envelope."""
    return int(limit_mb * MB) + 64 * 1024


class UploadLimitMiddleware:
    """Refuse an oversized request body: at once from its Content-Length, or, for a body sent
    without one, as soon as the bytes received pass the limit (nothing more is read or spooled).
    The upload handler counts the file itself too, against the exact limit."""

    def __init__(self, app, limit_mb: float):
        self.app = app
        self.limit_mb = limit_mb
        self.limit = upload_envelope(limit_mb)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            response = JSONResponse(error_body(413, "upload_too_large", too_large_message(self.limit_mb),
                                               {"max_upload_mb": self.limit_mb}),
                                    status_code=413, headers={"Connection": "close"})
            return await response(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, too_large_message(self.limit_mb))
            return message

        await self.app(scope, counted, send)

"""The review service: a FastAPI app over the store (JSON API under /api, review pages, OpenAPI
at /docs). ``create_app(settings)`` builds it; ``nianbao serve`` runs it with uvicorn."""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from extractor.service import api, pages
from extractor.service.auth import TokenMiddleware
from extractor.service.errors import error_body, install_error_handlers
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
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    install_upload_limit(app, settings.max_upload_mb)
    if settings.token:
        app.add_middleware(TokenMiddleware, token=settings.token)
    return app


def make_llm(settings: Settings):
    """The LLM reader when one is configured (same rule as the CLI), else None."""
    if settings.llm == "off" or not settings.llm_configured:
        return None
    try:
        from extractor.read.llm import LlmReader
    except ImportError:
        return None
    return LlmReader(settings)


def install_upload_limit(app: FastAPI, limit_mb: float) -> None:
    """Refuse an oversized upload from its Content-Length, before reading the body (the upload
    handler also counts the bytes, for clients that send none)."""
    from fastapi.responses import JSONResponse

    limit = int(limit_mb * MB) + 64 * 1024  # room for the multipart envelope

    @app.middleware("http")
    async def _limit(request: Request, call_next):
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                return JSONResponse(error_body(
                    413, "upload_too_large",
                    f"the upload is larger than the {limit_mb:g} MB allowed; split or compress the "
                    "report, or raise NIANBAO_MAX_UPLOAD_MB", {"max_upload_mb": limit_mb}),
                    status_code=413, headers={"Connection": "close"})
        return await call_next(request)

"""One JSON error shape for the whole service::

    {"error": {"status": 409, "code": "version_conflict", "message": "…", "details": {…}}}

Pages asked for by a browser get the same message as an HTML page."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractor.errors import ConfigError, InputDocumentError, NianbaoError
from extractor.service.review import ApprovalRefused, InvalidEdit
from extractor.store import RecordNotFound, VersionConflict

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "version_conflict", 413: "upload_too_large",
         415: "unsupported_media_type", 422: "invalid_request", 500: "internal_error"}


class ApiError(Exception):
    """Raised by handlers to answer with the error shape."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details=None):
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.details = details


def too_large_message(limit_mb: float) -> str:
    return (f"the upload is larger than the {limit_mb:g} MB allowed; split or compress the report, "
            "or raise NIANBAO_MAX_UPLOAD_MB")


def error_body(status: int, code: str, message: str, details=None) -> dict:
    body = {"status": status, "code": code, "message": message}
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return {"error": body}


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api") or path.endswith(".json") or path in ("/openapi.json",):
        return False
    return "text/html" in request.headers.get("accept", "")


def respond(request: Request, status: int, code: str, message: str, details=None, headers=None):
    if wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(request, "error.html",
                                          {"status": status, "code": code, "message": message},
                                          status_code=status, headers=headers)
    return JSONResponse(error_body(status, code, message, details), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 413:  # the framework's body limit, for a body without Content-Length
            limit = request.app.state.settings.max_upload_mb
            return respond(request, 413, "upload_too_large", too_large_message(limit), {"max_upload_mb": limit})
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, CODES.get(exc.status_code, "error"), message,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return respond(request, 422, "invalid_request",
                       f"invalid request: {where}: {first.get('msg', '')}".strip(), errors)

    @app.exception_handler(VersionConflict)
    async def _conflict(request: Request, exc: VersionConflict):
        return respond(request, 409, "version_conflict", str(exc),
                       {"current_version": exc.current_version})

    @app.exception_handler(RecordNotFound)
    async def _missing(request: Request, exc: RecordNotFound):
        return respond(request, 404, "not_found", str(exc))

    @app.exception_handler(InvalidEdit)
    async def _edit(request: Request, exc: InvalidEdit):
        return respond(request, 422, "invalid_edit", str(exc))

    @app.exception_handler(ApprovalRefused)
    async def _approval(request: Request, exc: ApprovalRefused):
        return respond(request, 422, "approval_refused", str(exc))

    @app.exception_handler(NianbaoError)
    async def _ours(request: Request, exc: NianbaoError):
        code = "config_error" if isinstance(exc, ConfigError) else (
            "bad_document" if isinstance(exc, InputDocumentError) else "error")
        return respond(request, 400, code, str(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body(500, "internal_error",
                                       f"internal error ({type(exc).__name__}); see the server log"),
                            status_code=500)

"""The review pages. Each page has a JSON twin at the same path plus ``.json`` (the context the
template is rendered with), which is what the tests and scripts read."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from extractor.export.records import FORMATS
from extractor.service.auth import LoginLimiter, set_token_cookie, token_matches
from extractor.service.query import Page, QueueQuery
from extractor.service.views import PENDING, record_detail, record_summary
from extractor.store import RISK_LABELS

router = APIRouter(include_in_schema=False)
STATUSES = ("ok", "needs_review", "failed")
TEMPLATES = ("gov2021", "gov2019", "legacy", "unknown")
REVIEWS = ("unreviewed", "corrected", "approved")


def render(request: Request, name: str, context: dict, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, name, {"data": context}, status_code=status,
                                                        headers=headers)


def queue_context(request: Request, form: QueueQuery, page: Page) -> dict:
    query = form.record_query()
    flt = query.to_filter(pending_only=not form.all and not query.review)
    limit, offset = page.limit, page.offset
    items, total = request.app.state.store.list_records(flt, order="risk", limit=limit, offset=offset)
    filters = {**query.model_dump(), "all": form.all or None}
    shown = {k: v for k, v in filters.items() if v not in (None, "")}
    at = lambda start: f"/queue?{urlencode({**shown, 'offset': start, 'limit': limit})}"  # noqa: E731
    return {
        "prev_page": at(max(0, offset - limit)) if offset > 0 else None,
        "next_page": at(offset + limit) if offset + limit < total else None,
        "items": [record_summary(sr) for sr in items],
        "total": total, "limit": limit, "offset": offset,
        "filters": filters,
        "query": urlencode(shown),
        "choices": {"status": STATUSES, "template": TEMPLATES, "review": REVIEWS,
                    "risk": list(RISK_LABELS.values()), "export": FORMATS},
    }


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue.json")
def queue_json(request: Request, form: Annotated[QueueQuery, Depends()], page: Annotated[Page, Depends()]):
    return JSONResponse(queue_context(request, form, page))


@router.get("/queue")
def queue_page(request: Request, form: Annotated[QueueQuery, Depends()], page: Annotated[Page, Depends()]):
    return render(request, "queue.html", queue_context(request, form, page))


@router.get("/records/{record_id}.json")
def record_json(request: Request, record_id: int):
    st = request.app.state
    return JSONResponse(record_detail(st.store, st.settings, record_id, PENDING))


@router.get("/records/{record_id}")
def record_page(request: Request, record_id: int):
    st = request.app.state
    return render(request, "record.html",
                  record_detail(st.store, st.settings, record_id, PENDING))


@router.get("/login")
def login_form(request: Request, next: str = "/queue"):
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(request: Request, token: str = Form(...), next: str = Form("/queue")):
    expected = request.app.state.settings.token
    if not expected:
        return RedirectResponse(_safe_next(next), status_code=303)
    limiter: LoginLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    wait = limiter.retry_after(client)
    if wait:
        return render(request, "login.html", {"next": _safe_next(next),
                      "error": f"too many wrong tokens; try again in {wait} s"},
                      status=429, headers={"Retry-After": str(wait)})
    if not token_matches(token, expected):
        limiter.failed(client)
        return render(request, "login.html", {"next": _safe_next(next), "error": "wrong token"}, status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_token_cookie(request, response, expected)
    return response


def _safe_next(target: str) -> str:
    """Only local paths: never redirect off-site after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/queue"

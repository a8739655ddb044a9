"""The review pages. Each page has a JSON twin at the same path plus ``.json`` (the context the
template is rendered with), which is what the tests and scripts read."""
from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from extractor.export.records import FORMATS
from extractor.service.auth import set_token_cookie, token_matches
from extractor.service.views import filter_from, record_detail, record_summary
from extractor.store import RISK_LABELS

router = APIRouter(include_in_schema=False)
STATUSES = ("ok", "needs_review", "failed")
TEMPLATES = ("gov2021", "gov2019", "legacy", "unknown")
REVIEWS = ("unreviewed", "corrected", "approved")


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, name, {"data": context}, status_code=status)


def queue_context(request: Request, status, template, agency, year, rule, review, show_all, limit, offset) -> dict:
    flt = filter_from(status, template, agency, year, rule, review, pending_only=not show_all and not review)
    items, total = request.app.state.store.list_records(flt, order="risk", limit=limit, offset=offset)
    filters = {"status": status, "template": template, "agency": agency, "year": year, "rule": rule,
               "review": review, "all": show_all or None}
    query = {k: v for k, v in filters.items() if v not in (None, "")}
    page = lambda start: f"/queue?{urlencode({**query, 'offset': start, 'limit': limit})}"  # noqa: E731
    return {
        "prev_page": page(max(0, offset - limit)) if offset > 0 else None,
        "next_page": page(offset + limit) if offset + limit < total else None,
        "items": [record_summary(sr) for sr in items],
        "total": total, "limit": limit, "offset": offset,
        "filters": filters,
        "query": urlencode(query),
        "choices": {"status": STATUSES, "template": TEMPLATES, "review": REVIEWS,
                    "risk": list(RISK_LABELS.values()), "export": FORMATS},
    }


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


def _queue(request: Request, as_json: bool, status, template, agency, year, rule, review, show_all, limit, offset):
    ctx = queue_context(request, status, template, agency, year, rule, review, show_all, limit, offset)
    return JSONResponse(ctx) if as_json else render(request, "queue.html", ctx)


@router.get("/queue.json")
def queue_json(request: Request, status: str | None = None, template: str | None = None,
               agency: str | None = None, year: int | None = None, rule: str | None = None,
               review: Literal["unreviewed", "corrected", "approved", ""] | None = None,
               all: bool = False, limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0)):
    return _queue(request, True, status, template, agency, year, rule, review, all, limit, offset)


@router.get("/queue")
def queue_page(request: Request, status: str | None = None, template: str | None = None,
               agency: str | None = None, year: str | None = None, rule: str | None = None,
               review: Literal["unreviewed", "corrected", "approved", ""] | None = None,
               all: bool = False, limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0)):
    year_int = int(year) if year and year.strip().isdigit() else None
    return _queue(request, False, status, template, agency, year_int, rule, review, all, limit, offset)


@router.get("/records/{record_id}.json")
def record_json(request: Request, record_id: int):
    st = request.app.state
    return JSONResponse(record_detail(st.store, st.settings, record_id, filter_from(pending_only=True)))


@router.get("/records/{record_id}")
def record_page(request: Request, record_id: int):
    st = request.app.state
    return render(request, "record.html",
                  record_detail(st.store, st.settings, record_id, filter_from(pending_only=True)))


@router.get("/login")
def login_form(request: Request, next: str = "/queue"):
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(request: Request, token: str = Form(...), next: str = Form("/queue")):
    expected = request.app.state.settings.token
    if not expected:
        return RedirectResponse(_safe_next(next), status_code=303)
    if not token_matches(token, expected):
        return render(request, "login.html", {"next": _safe_next(next), "error": "wrong token"}, status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_token_cookie(response, expected)
    return response


def _safe_next(target: str) -> str:
    """Only local paths: never redirect off-site after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/queue"

"""The JSON API (``/api/...``): upload and extract, list and filter, read a record with its
evidence, source and history, correct fields, approve, export."""
from __future__ import annotations

import hashlib
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from extractor.export.records import MEDIA_TYPES, export_store
from extractor.service.auth import authenticated
from extractor.service.errors import ApiError, too_large_message
from extractor.service.review import (
    MAX_REASON,
    apply_changes,
    approval_override,
    extract_upload,
    live_check,
    recheck,
)
from extractor.service.query import Page, RecordQuery
from extractor.store import VersionConflict
from extractor.service.views import PENDING, document_text, record_detail, record_summary

router = APIRouter(prefix="/api", tags=["api"])
MB = 1024 * 1024
CHUNK = 256 * 1024


class EditRequest(BaseModel):
    expected_version: int = Field(ge=1, lt=2**62, description="the version you edited; 409 if someone saved since")
    reason: str = Field(min_length=1, max_length=MAX_REASON,
                        description="why the values change (kept in the audit log; at most 2000 characters)")
    changes: dict[str, Any] = Field(min_length=1, description="field path → new value (null or '' clears it); "
                                                              "at least one field")
    reviewer: str | None = Field(None, max_length=200)


class CheckRequest(BaseModel):
    changes: dict[str, Any] = Field(default_factory=dict)


class ApproveRequest(BaseModel):
    expected_version: int | None = Field(None, ge=1, lt=2**62)
    reviewer: str | None = Field(None, max_length=200)
    override_reason: str | None = Field(
        None, max_length=MAX_REASON,
        description="required when the record still has error-level checks: why they are the "
                    "report's own errors (kept in the audit log; `promote` keeps them as source errors)")


def state(request: Request):
    return request.app.state


def reviewer_of(given: str | None, header: str | None) -> str:
    return (given or header or "reviewer").strip()[:100] or "reviewer"


@router.get("/health")
def health(request: Request) -> dict:
    """Says only "ok" to a caller without the token (when one is set)."""
    token = state(request).settings.token
    if token and not authenticated(request, token):
        return {"ok": True}
    return {"ok": True, "records": state(request).store.count()}


def read_upload(upload: UploadFile, limit_mb: float) -> bytes:
    """The uploaded bytes, refusing more than the limit while reading."""
    limit = int(limit_mb * MB)
    buf = io.BytesIO()
    while chunk := upload.file.read(CHUNK):
        buf.write(chunk)
        if buf.tell() > limit:
            raise upload_too_large(limit_mb)
    return buf.getvalue()


def upload_too_large(limit_mb: float) -> ApiError:
    return ApiError(413, too_large_message(limit_mb), code="upload_too_large", details={"max_upload_mb": limit_mb})


@router.post("/records", status_code=201, summary="Upload a report and extract it")
def upload_record(request: Request, response: Response,
                  file: UploadFile = File(description="the report (.txt .md .html .docx .pdf)")) -> dict:
    """Extract the uploaded report and store its record. A file that cannot be read still gives
    a record (status ``failed``, with the reason in ``error``). Uploading the same file again
    returns the stored record (``created``: false)."""
    st = state(request)
    data = read_upload(file, st.settings.max_upload_mb)
    existing = st.store.find(hashlib.sha256(data).hexdigest())
    if existing is not None:
        response.status_code = 200
        return {**record_summary(st.store.get(existing)), "created": False}
    record, doc = extract_upload(data, file.filename or "upload", st.settings, st.llm)
    record_id = st.store.save_record(record, content=data, text=doc.text if doc else None,
                                     filename=record.source.path)
    return {**record_summary(st.store.get(record_id)), "created": True}


@router.get("/records", summary="List and filter records")
def list_records(request: Request, query: Annotated[RecordQuery, Depends()],
                 order: Literal["risk", "id"] = "id", limit: int = Query(100, ge=1, le=1000),
                 offset: int = Query(0, ge=0, lt=2**62)) -> dict:
    items, total = state(request).store.list_records(query.to_filter(), order=order, limit=limit, offset=offset)
    return {"items": [record_summary(sr) for sr in items], "total": total, "limit": limit, "offset": offset}


@router.get("/queue", summary="Records awaiting review, riskiest first")
def queue(request: Request, query: Annotated[RecordQuery, Depends()], page: Annotated[Page, Depends()]) -> dict:
    items, total = state(request).store.list_records(query.to_filter(pending_only=True), order="risk",
                                                     limit=page.limit, offset=page.offset)
    return {"items": [record_summary(sr) for sr in items], "total": total, "limit": page.limit,
            "offset": page.offset}


@router.get("/records/{record_id}", summary="A record with evidence, source text, equations and history")
def get_record(request: Request, record_id: int) -> dict:
    st = state(request)
    return record_detail(st.store, st.settings, record_id, PENDING)


@router.get("/records/{record_id}/document", summary="The original uploaded file (or its text)")
def get_document(request: Request, record_id: int, text: bool = False) -> Response:
    st = state(request)
    sr = st.store.get(record_id)
    doc = st.store.get_document(sr.sha256)
    if doc is None:
        raise ApiError(404, f"record {record_id} has no stored document")
    disposition = {"Content-Disposition": "attachment; filename*=UTF-8''" + _quote(doc.filename)}
    content = None if text else st.store.original_bytes(sr.sha256)
    if content is None:
        body = document_text(st.store, st.settings, sr.sha256)
        if body is None:
            raise ApiError(404, f"the document of record {record_id} is not available")
        return Response(body, media_type="text/plain; charset=utf-8")
    return Response(content, media_type="application/octet-stream", headers=disposition)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@router.patch("/records/{record_id}", summary="Correct fields (with a reason and the version you edited)")
def patch_record(request: Request, record_id: int, body: EditRequest,
                 x_reviewer: str | None = Header(None)) -> dict:
    st = state(request)
    sr = st.store.get(record_id)
    if sr.version != body.expected_version:
        raise ApiError(409, f"record {record_id} is at version {sr.version}, not "
                            f"{body.expected_version}: someone else saved it since you opened it; "
                            "reload it and apply your change again",
                       code="version_conflict", details={"current_version": sr.version})
    if not body.reason.strip():
        raise ApiError(422, "a reason is required for every correction", code="invalid_edit")
    edited, changes = apply_changes(sr.record, body.changes)
    if not changes:
        raise ApiError(422, "the changes leave every value as it is; nothing to save (send at least one "
                            "field whose value differs)", code="invalid_edit")
    human = set(st.store.corrected_fields(record_id)) | {c.field for c in changes}
    text = document_text(st.store, st.settings, sr.sha256)
    checked = recheck(edited, text, human)
    st.store.update_record(record_id, checked, changes, reviewer=reviewer_of(body.reviewer, x_reviewer),
                           reason=body.reason.strip(), expected_version=body.expected_version)
    return {**record_detail(st.store, st.settings, record_id, PENDING),
            "changed": [c.field for c in changes]}


@router.post("/records/{record_id}/check", summary="Re-run the table checks on unsaved edits")
def check_edits(request: Request, record_id: int, body: CheckRequest) -> dict:
    sr = state(request).store.get(record_id)
    edited, changes = apply_changes(sr.record, body.changes)
    return {"id": record_id, "version": sr.version, "changed": [c.field for c in changes],
            **live_check(edited)}


@router.post("/records/{record_id}/approve", summary="Approve a record")
def approve_record(request: Request, record_id: int, body: ApproveRequest | None = None,
                   x_reviewer: str | None = Header(None)) -> dict:
    body = body or ApproveRequest()
    st = state(request)
    sr = st.store.get(record_id)
    if body.expected_version is not None and body.expected_version != sr.version:
        raise VersionConflict(f"record {record_id} is at version {sr.version}, not {body.expected_version}: "
                              "someone else saved it since you opened it; reload it and check it again",
                              current_version=sr.version)
    reason, overridden = approval_override(sr.record, record_id, body.override_reason)
    st.store.approve(record_id, reviewer=reviewer_of(body.reviewer, x_reviewer),
                     expected_version=body.expected_version or sr.version,
                     override_reason=reason, overridden=overridden if reason else None)
    return record_summary(st.store.get(record_id))


@router.get("/export", summary="Export records (corrected values) as jsonl, csv or parquet")
async def export(request: Request, query: Annotated[RecordQuery, Depends()],
                 format: Literal["jsonl", "csv", "parquet"] = "jsonl") -> Response:
    flt = query.to_filter()
    buf = io.BytesIO()
    await run_in_threadpool(export_store, state(request).store, format, buf, flt)
    return Response(buf.getvalue(), media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="nianbao.{format}"'})

"""The review service through its HTTP interface (TestClient): upload → extract → queue → correct
→ approve → export, auth beyond localhost, upload limits, bad uploads, version conflicts, the one
error shape, escaping of hostile report text, JSON twins of the pages, promote."""
from __future__ import annotations

import csv
import io
import json
import time

import pyarrow.parquet as pq
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from extractor.errors import ConfigError
from extractor.service.app import create_app
from extractor.service.auth import (
    COOKIE,
    LOGIN_ATTEMPTS,
    SESSION_SECONDS,
    LoginLimiter,
    check_bind,
    session_valid,
    session_value,
)
from extractor.store import open_store
from schemas import Record
from review_fixtures import WRONG_CELL, extracted_flagged, gold_record, sample, settings_for

HTML = {"accept": "text/html"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture()
def settings(tmp_path):
    return settings_for(tmp_path)


@pytest.fixture()
def client(settings):
    return TestClient(base_url="http://localhost", app=create_app(settings))


def upload(client, name: str, data: bytes):
    return client.post("/api/records", files={"file": (name, data, "application/octet-stream")})


def seed_flagged(client) -> int:
    """Store a real extraction with one misread cell; return its id."""
    store = client.app.state.store
    record, raw, text = extracted_flagged(client.app.state.settings)
    return store.save_record(record, content=raw, text=text)


# -- the whole review loop -------------------------------------------------------------------
def test_upload_extract_queue_correct_approve_export(client):
    doc = sample("003_e296cff3f23d13d6.txt")
    created = upload(client, doc.name, doc.read_bytes())
    assert created.status_code == 201, created.text
    good = created.json()
    assert good["created"] and good["template"] == "gov2021" and good["status"] == "ok"
    again = upload(client, doc.name, doc.read_bytes())
    assert again.status_code == 200 and again.json()["id"] == good["id"] and not again.json()["created"]

    flagged_id = seed_flagged(client)
    queue = client.get("/api/queue").json()
    assert [r["id"] for r in queue["items"]] == [flagged_id, good["id"]]  # errors first
    assert queue["items"][0]["risk_label"] == "error"

    detail = client.get(f"/api/records/{flagged_id}").json()
    assert WRONG_CELL in detail["violated_cells"]
    assert detail["violated_equations"] and all(e["left"] != e["right"] for e in detail["violated_equations"])
    assert detail["document"]["text"].lstrip().startswith("泰安市")
    span = detail["record"]["evidence"][WRONG_CELL]
    assert detail["document"]["text"][span["start"]:span["end"]] == span["text"]
    right_value = int(span["text"])

    live = client.post(f"/api/records/{flagged_id}/check", json={"changes": {WRONG_CELL: str(right_value)}})
    assert live.status_code == 200 and live.json()["errors"] == 0 and live.json()["violated_cells"] == []
    assert client.get(f"/api/records/{flagged_id}").json()["version"] == 1  # checking saves nothing

    saved = client.patch(f"/api/records/{flagged_id}", headers={"X-Reviewer": "ann"},
                         json={"expected_version": 1, "reason": "misread 自然人 予以公开",
                               "changes": {WRONG_CELL: right_value}})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["version"] == 2 and body["status"] == "ok" and body["review_status"] == "corrected"
    assert body["violated_cells"] == [] and body["corrected_fields"] == [WRONG_CELL]
    [corr] = body["history"]["corrections"]
    assert corr["reviewer"] == "ann" and corr["new"] == right_value and corr["old"] == right_value + 7
    assert body["record"]["evidence"][WRONG_CELL]["method"] == "human"

    approved = client.post(f"/api/records/{flagged_id}/approve", json={"expected_version": 2, "reviewer": "ann"})
    assert approved.status_code == 200 and approved.json()["review_status"] == "approved"
    assert flagged_id not in [r["id"] for r in client.get("/api/queue").json()["items"]]
    assert client.get("/api/records", params={"review": "approved"}).json()["total"] == 1

    lines = [json.loads(x) for x in client.get("/api/export?format=jsonl").text.splitlines()]
    by_id = {x["record_id"]: x for x in lines}
    assert by_id[flagged_id]["requests"]["granted"]["natural_person"] == right_value
    assert by_id[flagged_id]["corrected_fields"] == [WRONG_CELL]
    assert by_id[flagged_id]["review"]["review_status"] == "approved"
    assert by_id[good["id"]]["corrected_fields"] == []
    Record.model_validate({k: v for k, v in by_id[flagged_id].items()})

    rows = {int(r["record_id"]): r for r in csv.DictReader(io.StringIO(
        client.get("/api/export?format=csv").content.decode("utf-8-sig")))}
    assert rows[flagged_id][WRONG_CELL] == str(right_value) and rows[flagged_id]["corrected_fields"] == WRONG_CELL
    table = pq.read_table(io.BytesIO(client.get("/api/export?format=parquet").content)).to_pylist()
    row = next(r for r in table if r["record_id"] == flagged_id)
    assert row[WRONG_CELL] == right_value and row["corrected_fields"] == [WRONG_CELL]


def test_filters(client):
    seed_flagged(client)
    doc = sample("001_b866f9b967b7ab9b.txt")
    upload(client, doc.name, doc.read_bytes())
    assert client.get("/api/records", params={"template": "legacy"}).json()["total"] == 1
    assert client.get("/api/records", params={"status": "needs_review"}).json()["total"] == 1
    assert client.get("/api/records", params={"agency": "泰安"}).json()["total"] == 1
    assert client.get("/api/records", params={"year": 2023}).json()["total"] >= 1
    assert client.get("/api/records", params={"rule": "requests.row_sum"}).json()["total"] == 1
    assert_error(client.get("/api/records", params={"year": "soon"}), 422, "invalid_request")


# -- conflicts and edits ---------------------------------------------------------------------
def test_version_conflict_between_two_reviewers(client):
    rid = seed_flagged(client)
    first = client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "a", "reviewer": "ann",
                                                      "changes": {"agency": "甲"}})
    assert first.status_code == 200
    second = client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "b", "reviewer": "bob",
                                                       "changes": {"agency": "乙"}})
    err = assert_error(second, 409, "version_conflict")
    assert err["details"]["current_version"] == 2
    assert client.get(f"/api/records/{rid}").json()["agency"] == "甲"
    assert_error(client.post(f"/api/records/{rid}/approve", json={"expected_version": 1}), 409, "version_conflict")


def test_invalid_edits(client):
    rid = seed_flagged(client)
    patch = lambda body: client.patch(f"/api/records/{rid}", json=body)  # noqa: E731
    assert_error(patch({"expected_version": 1, "reason": "x", "changes": {"requests.nope.total": 1}}), 422, "invalid_edit")
    assert_error(patch({"expected_version": 1, "reason": "x", "changes": {WRONG_CELL: "abc"}}), 422, "invalid_edit")
    assert_error(patch({"expected_version": 1, "reason": "x", "changes": {WRONG_CELL: 1.5}}), 422, "invalid_edit")
    assert_error(patch({"expected_version": 1, "reason": "", "changes": {WRONG_CELL: 1}}), 422, "invalid_request")
    assert_error(patch({"reason": "x", "changes": {}}), 422, "invalid_request")
    ok = patch({"expected_version": 1, "reason": "fee", "changes": {"proactive.fees": "582.10", WRONG_CELL: ""}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["record"]["requests"]["granted"]["natural_person"] is None


# -- uploads ---------------------------------------------------------------------------------
def test_bad_uploads_become_failed_records(client):
    empty = upload(client, "empty.txt", b"")
    assert empty.status_code == 201 and empty.json()["status"] == "failed" and "empty" in empty.json()["error"]
    broken = upload(client, "report.pdf", b"%PDF-1.7 truncated")
    assert broken.status_code == 201 and broken.json()["status"] == "failed"
    zipped = upload(client, "report.docx", b"PK\x03\x04 not really a zip")
    assert zipped.status_code == 201 and zipped.json()["status"] == "failed"
    page = client.get(f"/records/{broken.json()['id']}", headers=HTML)
    assert page.status_code == 200 and "PDF" in page.text
    assert_error(client.post("/api/records", data={"x": "1"}), 422, "invalid_request")
    assert_error(client.post("/api/records"), 422, "invalid_request")


def test_upload_size_limit(tmp_path):
    client = TestClient(base_url="http://localhost", app=create_app(settings_for(tmp_path, max_upload_mb=0.01)))
    big = upload(client, "big.txt", "表".encode() * 70_000)  # refused from Content-Length
    err = assert_error(big, 413, "upload_too_large")
    assert err["details"]["max_upload_mb"] == 0.01 and "NIANBAO_MAX_UPLOAD_MB" in err["message"]
    medium = upload(client, "medium.txt", b"x" * 30_000)  # inside the envelope margin: counted while read
    assert_error(medium, 413, "upload_too_large")
    def streamed():  # no Content-Length: counted as it arrives
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n\r\n'
        for _ in range(300):
            yield b"x" * 10_000
        yield b"\r\n--b--\r\n"

    chunked = client.post("/api/records", content=streamed(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert_error(chunked, 413, "upload_too_large")
    assert client.get("/api/records").json()["total"] == 0


# -- auth ------------------------------------------------------------------------------------
def test_binding_beyond_localhost_needs_a_token(tmp_path):
    check_bind("127.0.0.1", None)
    check_bind("localhost", None)
    with pytest.raises(ConfigError, match="NIANBAO_TOKEN"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "s3cret")
    from extractor.cli import app as cli

    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
                                env={"NIANBAO_TOKEN": ""})
    assert isinstance(result.exception, ConfigError)


def test_token_is_required_on_every_request(tmp_path):
    client = TestClient(base_url="http://localhost", app=create_app(settings_for(tmp_path, token="s3cret")))
    for method, url in [("GET", "/api/records"), ("GET", "/api/queue"), ("GET", "/queue.json"),
                        ("GET", "/api/export"), ("POST", "/api/records"), ("GET", "/openapi.json")]:
        assert_error(client.request(method, url), 401, "unauthorized")
    assert_error(client.get("/api/records", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert client.get("/api/records", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    doc = sample()
    ok = client.post("/api/records", headers={"Authorization": "Bearer s3cret"},
                     files={"file": (doc.name, doc.read_bytes())})
    assert ok.status_code == 201
    # a browser is sent to the login form, which sets a cookie
    page = client.get("/queue", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.post("/login", data={"token": "nope", "next": "/queue"}).status_code == 401
    login = client.post("/login", data={"token": "s3cret", "next": "//evil.example"}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/queue"
    assert client.get("/queue", headers=HTML).status_code == 200  # cookie from the login
    fresh = TestClient(client.app, base_url="http://localhost")
    assert fresh.get("/queue.json?token=s3cret").status_code == 200  # ?token= sets the cookie too
    assert fresh.get("/api/records").status_code == 200
    browser = TestClient(client.app, base_url="http://localhost")
    landing = browser.get("/queue?token=s3cret&status=ok", headers=HTML, follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/queue?status=ok"
    assert browser.get("/queue?status=ok", headers=HTML).status_code == 200



def test_the_session_cookie_is_signed_not_the_token(tmp_path):
    app = create_app(settings_for(tmp_path, token="s3cret"))
    browser = TestClient(app, base_url="http://localhost")
    login = browser.post("/login", data={"token": "s3cret", "next": "/queue"}, follow_redirects=False)
    cookie = login.cookies[COOKIE]
    assert "s3cret" not in cookie and "s3cret" not in login.headers["set-cookie"]
    assert "httponly" in login.headers["set-cookie"].lower() and "max-age" in login.headers["set-cookie"].lower()
    assert browser.get("/api/records").status_code == 200
    # a forged, a tampered and an expired session are all refused
    for forged in ("s3cret", "1." + "0" * 64, cookie[:-1] + ("0" if cookie[-1] != "0" else "1"),
                   session_value("s3cret", now=time.time() - SESSION_SECONDS - 60)):
        other = TestClient(app, base_url="http://localhost", cookies={COOKIE: forged})
        assert_error(other.get("/api/records"), 401, "unauthorized")
    # a session signed with another token dies when the token changes
    assert session_valid(session_value("s3cret"), "s3cret") and not session_valid(session_value("old"), "s3cret")
    https = TestClient(app, base_url="https://localhost")
    secure = https.post("/login", data={"token": "s3cret", "next": "/queue"}, follow_redirects=False)
    assert "secure" in secure.headers["set-cookie"].lower()


def test_wrong_logins_are_rate_limited(tmp_path):
    app = create_app(settings_for(tmp_path, token="s3cret"))
    client = TestClient(app, base_url="http://localhost")
    codes = [client.post("/login", data={"token": f"guess{i}", "next": "/queue"}).status_code
             for i in range(LOGIN_ATTEMPTS + 2)]
    assert codes[:LOGIN_ATTEMPTS] == [401] * LOGIN_ATTEMPTS and codes[LOGIN_ATTEMPTS:] == [429, 429]
    blocked = client.post("/login", data={"token": "s3cret", "next": "/queue"}, follow_redirects=False)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1  # even the right one waits
    assert "try again in" in blocked.text
    limiter = LoginLimiter(attempts=2, window_s=10)
    limiter.failed("a", now=0)
    limiter.failed("a", now=1)
    assert limiter.retry_after("a", now=2) > 0 and limiter.retry_after("b", now=2) == 0
    assert limiter.retry_after("a", now=12) == 0  # the window slid past both failures


# -- pages -----------------------------------------------------------------------------------
def test_pages_escape_hostile_report_text(client):
    hostile = ("某某局<script>alert('x')</script>\n2023年政府信息公开工作年度报告\n"
               "</pre><img src=x onerror=alert(1)></script><!--\n").encode()
    made = upload(client, "<img src=x onerror=alert(2)>.txt", hostile)
    assert made.status_code == 201
    rid = made.json()["id"]
    page = client.get(f"/records/{rid}", headers=HTML)
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert not soup.find_all("img")
    code = [s for s in soup.find_all("script") if s.get("type") != "application/json"]
    assert all(not s.string or "alert" not in s.string for s in code)
    assert "</script>" not in soup.find(id="payload").string  # JSON escapes < and >
    assert "<script>alert('x')</script>" in soup.find(id="source").get_text()
    payload = json.loads(soup.find(id="payload").string)
    assert "<script>alert('x')</script>" in payload["text"]
    queue = BeautifulSoup(client.get("/queue", headers=HTML).text, "html.parser")
    assert not queue.find_all("img") and "<img src=x onerror=alert(2)>.txt" in queue.get_text()


def test_record_page_lays_out_the_template_and_marks_violations(client):
    rid = seed_flagged(client)
    soup = BeautifulSoup(client.get(f"/records/{rid}", headers=HTML).text, "html.parser")
    from schemas.template import APPLICANT_COLUMNS, REQUEST_ROWS, table_fields

    requests = soup.find(id="table-requests")
    assert [th.get_text() for th in requests.find("thead").find_all("th")][1:] == [c.text for c in APPLICANT_COLUMNS]
    labels = [th.get_text() for th in requests.find_all("th", class_="rowlabel")]
    assert labels == [r.text for r in REQUEST_ROWS]
    cells = {td["data-path"] for td in soup.find_all("td", class_="cell")}
    assert {f.path for f in table_fields()} <= cells
    violated = {td["data-path"] for td in soup.find_all("td", class_="violated")}
    assert WRONG_CELL in violated
    equations = soup.find(id="equations").find_all("li", class_="equation")
    assert equations and any(WRONG_CELL in li["data-cells"] for li in equations)
    assert "≠" in equations[0].get_text() and ".0" not in equations[0].get_text()


def test_queue_pages(client):
    for name in ("000_b3cbf005723c64d9.txt", "002_80089ffcafa3ad57.txt", "003_e296cff3f23d13d6.txt"):
        upload(client, name, sample(name).read_bytes())
    first = client.get("/queue.json", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["prev_page"] is None and first["next_page"]
    second = client.get(first["next_page"].replace("/queue", "/queue.json")).json()
    assert len(second["items"]) == 1 and second["next_page"] is None and second["prev_page"]
    assert {r["id"] for r in first["items"] + second["items"]} == {1, 2, 3}
    html = BeautifulSoup(client.get("/queue?limit=2", headers=HTML).text, "html.parser")
    assert html.find("a", string="next page →")


def test_every_page_has_a_json_twin(client):
    rid = seed_flagged(client)
    queue = client.get("/queue.json").json()
    assert queue["items"][0]["id"] == rid and queue["total"] == 1
    twin = client.get(f"/records/{rid}.json").json()
    assert twin == client.get(f"/api/records/{rid}").json()
    html = BeautifulSoup(client.get("/queue", headers=HTML).text, "html.parser")
    assert [int(tr["data-id"]) for tr in html.select("#queue-table tbody tr[data-id]")] == [r["id"] for r in queue["items"]]


def test_errors_share_one_shape(client):
    assert_error(client.get("/api/records/12345"), 404, "not_found")
    assert_error(client.get("/records/12345.json"), 404, "not_found")
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/records/1"), 405, "method_not_allowed")
    assert_error(client.get("/api/export?format=xls"), 422, "invalid_request")
    page = client.get("/records/12345", headers=HTML)
    assert page.status_code == 404 and "no record 12345" in page.text


def test_internal_errors_keep_the_shape(settings):
    app = create_app(settings)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    app.state.store.list_records = broken
    client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
    err = assert_error(client.get("/api/records"), 500, "internal_error")
    assert "boom" not in err["message"]


def test_legacy_record_page_shows_its_indicator_table(client):
    doc = sample("001_b866f9b967b7ab9b.txt")
    made = upload(client, doc.name, doc.read_bytes()).json()
    assert made["template"] == "legacy"
    soup = BeautifulSoup(client.get(f"/records/{made['id']}", headers=HTML).text, "html.parser")
    assert soup.find(id="table-legacy") and not soup.find(id="table-requests")
    assert soup.find(id="table-summary").find_all("td", class_="cell")


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/records", "/api/records/{record_id}", "/api/records/{record_id}/approve", "/api/export"} <= set(paths)


# -- exports and promote from the CLI ----------------------------------------------------------
def test_cli_export_and_promote(tmp_path, settings):
    store = open_store(settings)
    record, raw, text = gold_record()
    rid = store.save_record(record, content=raw, text=text)
    from extractor.cli import app as cli

    runner = CliRunner()
    out = tmp_path / "out.jsonl"
    result = runner.invoke(cli, ["export", "--format", "jsonl", "-o", str(out), "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["record_id"] == rid
    dataset = tmp_path / "dataset"
    result = runner.invoke(cli, ["promote", str(rid), "--dataset", str(dataset), "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    from evals.dataset import gold_record as as_record, load_cases, load_gold

    [case] = load_cases(dataset)
    assert case.available and case.doc.read_bytes() == raw
    gold = load_gold(case)
    assert {"doc", "provenance", "source_errors"} <= set(gold)
    assert as_record(gold).requests == record.requests
    again = runner.invoke(cli, ["promote", str(rid), "--dataset", str(dataset), "--data-dir", str(settings.data_dir)])
    assert isinstance(again.exception, ConfigError)


def test_records_stored_by_a_cli_batch_show_their_source(tmp_path, settings):
    """`nianbao extract --store` keeps only the path; the record page ingests the text on first view."""
    from extractor.cli import app as cli

    folder = tmp_path / "batch"
    folder.mkdir()
    doc = sample()
    (folder / doc.name).write_bytes(doc.read_bytes())
    result = CliRunner().invoke(cli, ["extract", str(folder), "--store", "--data-dir", str(settings.data_dir),
                                      "-o", str(tmp_path / "r.jsonl"), "-q", "--llm", "off"])
    assert result.exit_code == 0, result.output
    client = TestClient(base_url="http://localhost", app=create_app(settings))
    [item] = client.get("/api/records").json()["items"]
    detail = client.get(f"/api/records/{item['id']}").json()
    assert "泰安市人力资源和社会保障局" in detail["document"]["text"]
    span = detail["record"]["evidence"]["requests.new.total"]
    assert detail["document"]["text"][span["start"]:span["end"]] == span["text"]
    original = client.get(f"/api/records/{item['id']}/document")
    assert original.status_code == 200 and original.content == doc.read_bytes()
    assert client.get(f"/api/records/{item['id']}/document?text=1").text == detail["document"]["text"]


# -- review that cannot approve a lie (issue 8 item 5) and validation at the edge (issue 12 item 5)
def test_correcting_a_table_cell_rederives_its_summary_figure(client):
    from schemas.template import SUMMARY_CELLS

    rid = seed_flagged(client)
    detail = client.get(f"/api/records/{rid}").json()
    cell = SUMMARY_CELLS["review_total"][0]
    old = detail["record"]["appeals"]["review"]["total"] or 0
    saved = client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "misread",
                                                       "changes": {cell: str(old + 2)}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["record"]["summary"]["review_total"] == old + 2
    assert "summary.review_total" in saved.json()["changed"]
    assert not any(c["rule"] == "summary.consistency" for c in saved.json()["checks"])
    row = next(r for r in saved.json()["tables"]["summary"]["rows"] if r["cells"][0]["path"] == "summary.review_total")
    assert row["cells"][0]["derived"] == cell
    live = client.post(f"/api/records/{rid}/check", json={"changes": {cell: str(old + 5)}}).json()
    assert live["derived"]["summary.review_total"] == str(old + 5)
    err = assert_error(client.patch(f"/api/records/{rid}", json={
        "expected_version": 2, "reason": "x", "changes": {"summary.review_total": str(old + 9)}}), 422, "invalid_edit")
    assert "derived" in err["message"]


def test_approving_errors_needs_an_override_reason_in_the_audit_log(client):
    rid = seed_flagged(client)
    err = assert_error(client.post(f"/api/records/{rid}/approve", json={}), 422, "approval_refused")
    assert "override_reason" in err["message"]
    assert client.get(f"/api/records/{rid}").json()["review_status"] == "unreviewed"
    ok = client.post(f"/api/records/{rid}/approve", json={"override_reason": "the report prints these sums wrong",
                                                         "reviewer": "ann"})
    assert ok.status_code == 200 and ok.json()["review_status"] == "approved"
    audit = client.get(f"/api/records/{rid}").json()["history"]["approvals"]
    assert audit[-1]["override_reason"] == "the report prints these sums wrong"
    assert {c["rule"] for c in audit[-1]["overridden"]} and audit[-1]["reviewer"] == "ann"


def test_failed_records_cannot_be_approved(client):
    created = upload(client, "empty.txt", b"")
    rid = created.json()["id"]
    assert created.json()["status"] == "failed"
    assert_error(client.post(f"/api/records/{rid}/approve", json={"override_reason": "looks fine"}),
                 422, "approval_refused")


def test_empty_patch_is_refused_and_makes_no_version(client):
    rid = seed_flagged(client)
    assert_error(client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "r", "changes": {}}),
                 422, "invalid_request")
    agency = client.get(f"/api/records/{rid}").json()["agency"]
    assert_error(client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "r",
                                                           "changes": {"agency": agency}}), 422, "invalid_edit")
    assert client.get(f"/api/records/{rid}").json()["version"] == 1


@pytest.mark.parametrize("field,value,words", [
    (WRONG_CELL, "NaN", "finite"), (WRONG_CELL, "Infinity", "finite"), (WRONG_CELL, "-1", "0 ≤ n"),
    (WRONG_CELL, str(10**30), "10¹²"), (WRONG_CELL, str(10**12), "10¹²"), (WRONG_CELL, "1.5", "whole"),
    (WRONG_CELL, True, "not a number"), ("summary.fee_collected_yuan", "NaN", "finite"),
    ("summary.fee_collected_yuan", "-0.5", "≥ 0"), ("year", "-1", "1990"), ("year", str(10**12), "1990"),
    ("agency", "甲" * 201, "200"),
])
def test_invalid_corrections_are_4xx_in_the_one_shape(client, field, value, words):
    rid = seed_flagged(client)
    err = assert_error(client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "r",
                                                                 "changes": {field: value}}), 422, "invalid_edit")
    assert words in err["message"]
    assert client.get(f"/records/{rid}.json").status_code == 200


def test_long_reason_and_unknown_ids_are_refused(client):
    rid = seed_flagged(client)
    assert_error(client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "r" * 2001,
                                                           "changes": {WRONG_CELL: "1"}}), 422, "invalid_request")
    for path in ("/api/records/99999999999999999999", "/api/records/424242", "/records/99999999999999999999.json",
                 "/api/records/99999999999999999999/document"):
        assert_error(client.get(path), 404, "not_found")


def test_big_integer_is_kept_exactly(client):
    rid = seed_flagged(client)
    saved = client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": "r",
                                                       "changes": {WRONG_CELL: "999999999999"}})
    assert saved.status_code == 200 and saved.json()["record"]["requests"]["granted"]["natural_person"] == 999999999999


def test_promote_refuses_undeclared_errors(client, tmp_path):
    from extractor.export.promote import promote_record

    rid = seed_flagged(client)
    store = client.app.state.store
    with pytest.raises(ConfigError, match="not declared"):
        promote_record(store, rid, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()
    client.post(f"/api/records/{rid}/approve", json={"override_reason": "the report's own sums disagree"})
    entry = promote_record(store, rid, tmp_path / "ds")
    gold = json.loads((tmp_path / "ds" / entry["gold"]).read_text(encoding="utf-8"))
    assert gold["source_errors"] and entry["source_error_rules"]


# -- CSRF and DNS rebinding (issue 12 item 3)
def test_foreign_host_is_refused(client, settings):
    assert_error(client.get("/api/export", headers={"host": "evil.example"}), 421, "misdirected_request")
    assert_error(client.get("/api/health", headers={"host": "evil.example:8000"}), 421, "misdirected_request")
    assert client.get("/api/health", headers={"host": "127.0.0.1:8000"}).status_code == 200
    named = TestClient(create_app(settings.model_copy(update={"allowed_hosts": ["review.example"]})),
                       base_url="http://review.example")
    assert named.get("/api/health").status_code == 200


def test_cross_site_posts_are_refused(client):
    rid = seed_flagged(client)
    for headers in ({"origin": "http://evil.example"}, {"origin": "http://localhost:9999"}, {"origin": "null"},
                    {"referer": "http://evil.example/page"}):
        assert_error(client.post(f"/api/records/{rid}/approve", json={"override_reason": "x"}, headers=headers),
                     403, "cross_origin")
        assert_error(client.post("/api/records", files={"file": ("a.txt", b"x")}, headers=headers),
                     403, "cross_origin")
    assert client.get(f"/api/records/{rid}").json()["review_status"] == "unreviewed"
    same = client.post(f"/api/records/{rid}/approve", json={"override_reason": "the report's own"},
                       headers={"origin": "http://localhost"})
    assert same.status_code == 200, same.text


def test_health_without_the_token_says_only_ok(tmp_path):
    client = TestClient(base_url="http://localhost", app=create_app(settings_for(tmp_path, token="s3cret")))
    assert client.get("/api/health").json() == {"ok": True}
    assert "records" in client.get("/api/health", headers={"authorization": "Bearer s3cret"}).json()


# -- stored bytes (issue 12 item 4)
def _stored_by_path(client, tmp_path):
    from schemas import Source

    record, raw, text = gold_record()
    src = tmp_path / "batch" / "report.txt"
    src.parent.mkdir()
    src.write_bytes(raw)
    record = record.model_copy(update={"source": Source(path=str(src), sha256=record.source.sha256,
                                                        format="txt", size=len(raw))})
    return client.app.state.store.save_record(record), src, raw


def test_download_serves_stored_bytes_after_a_symlink_swap(client, tmp_path):
    rid, src, raw = _stored_by_path(client, tmp_path)
    assert client.get(f"/api/records/{rid}/document").content == raw
    src.unlink()
    src.symlink_to("/etc/passwd")
    again = client.get(f"/api/records/{rid}/document")
    assert again.status_code == 200 and again.content == raw
    assert b"root:" not in client.get(f"/api/records/{rid}/document", params={"text": True}).content


def test_a_changed_source_is_never_read(client, tmp_path):
    rid, src, raw = _stored_by_path(client, tmp_path)
    src.unlink()
    src.symlink_to("/etc/passwd")
    response = client.get(f"/api/records/{rid}/document")
    assert b"root:" not in response.content
    assert client.app.state.store.get_document(client.app.state.store.get(rid).sha256).path is None


# -- the service over PostgreSQL (issue 12 item 6; .ci/run starts a server and sets the URL)
@pytest.fixture()
def pg_client(tmp_path):
    import os

    from extractor.store.tables import metadata

    url = os.environ.get("NIANBAO_TEST_DATABASE_URL")
    if not url:
        pytest.skip("set NIANBAO_TEST_DATABASE_URL to a scratch PostgreSQL database to run this")
    settings = settings_for(tmp_path, database_url=url)
    store = open_store(settings)
    metadata.drop_all(store.engine)
    metadata.create_all(store.engine)
    yield TestClient(create_app(settings, store), base_url="http://localhost")
    store.engine.dispose()


def test_review_loop_and_concurrent_patches_on_postgresql(pg_client):
    from concurrent.futures import ThreadPoolExecutor

    rid = seed_flagged(pg_client)
    value = pg_client.get(f"/api/records/{rid}").json()["record"]["evidence"][WRONG_CELL]["text"]

    def patch(i):
        return pg_client.patch(f"/api/records/{rid}", json={"expected_version": 1, "reason": f"fix {i}",
                                                            "changes": {WRONG_CELL: str(int(value) + i % 2)}}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(patch, range(12)))
    assert codes.count(200) == 1 and codes.count(409) == 11, codes
    detail = pg_client.get(f"/api/records/{rid}").json()
    assert detail["version"] == 2 and len(detail["history"]["corrections"]) >= 1
    assert_error(pg_client.get("/api/records/99999999999999999999"), 404, "not_found")

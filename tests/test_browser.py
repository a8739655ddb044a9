"""The review UI in a real browser (headless Chromium via selenium) against `nianbao serve`:
open the queue, open the flagged record, see where the wrong cell was read, fix it, watch the
violation clear live, save with a reason, approve with the keyboard, find the value in the export."""
from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from extractor.store import open_store
from review_fixtures import ROOT, WRONG_CELL, extracted_flagged, sample, settings_for

pytestmark = pytest.mark.browser
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def browser(tmp_path):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): "
                    "apt-get install -y chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1600,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture()
def server(tmp_path):
    """`nianbao serve` on a free 127.0.0.1 port over a store holding one flagged and one clean record."""
    settings = settings_for(tmp_path)
    store = open_store(settings)
    record, raw, text = extracted_flagged(settings)
    flagged_id = store.save_record(record, content=raw, text=text)
    store.engine.dispose()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NIANBAO_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", str(settings.data_dir), "--llm", "off"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"server did not start: {proc.stderr.read().decode(errors='replace')}")
    clean = sample("003_e296cff3f23d13d6.txt")
    httpx.post(f"{base}/api/records", files={"file": (clean.name, clean.read_bytes())}, timeout=60).raise_for_status()
    yield base, flagged_id, record
    proc.terminate()
    proc.wait(timeout=10)


def wait_for(driver, condition, timeout=10.0, message="condition"):
    """Poll ``condition``; a page that re-renders meanwhile (an element found a moment ago is gone:
    stale element, "node does not belong to the document") just means: poll again."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout,
                         ignored_exceptions=(StaleElementReferenceException, WebDriverException))
    return wait.until(condition, message)


def on_record(driver, record_id: int | None = None, other: int | None = None) -> bool:
    """The record page of ``record_id`` (or of any record but ``other``) is loaded."""
    shown = driver.execute_script(
        "const r = document.getElementById('record');"
        "return document.readyState === 'complete' && r ? Number(r.dataset.id) : null;")
    return shown is not None and (shown == record_id if record_id is not None else shown != other)


def test_review_a_flagged_record_in_the_browser(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, flagged_id, record = server
    span = record.evidence[WRONG_CELL]
    right_value = span.text.strip()
    ARTIFACTS.mkdir(exist_ok=True)

    browser.get(f"{base}/queue")
    browser.save_screenshot(str(ARTIFACTS / "queue.png"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr[data-id]")
    assert [int(r.get_attribute("data-id")) for r in rows][0] == flagged_id  # riskiest first
    rows[0].find_element(By.CSS_SELECTOR, "a.open").click()
    wait_for(browser, lambda d: on_record(d, flagged_id), message="record page")

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")  # next record in the queue, and back
    wait_for(browser, lambda d: on_record(d, other=flagged_id), message="j → next")
    browser.find_element(By.TAG_NAME, "body").send_keys("k")
    wait_for(browser, lambda d: on_record(d, flagged_id), message="k → previous")

    cell = browser.find_element(By.CSS_SELECTOR, f'td.cell[data-path="{WRONG_CELL}"]')
    assert "violated" in cell.get_attribute("class")
    assert int(browser.find_element(By.ID, "eq-count").text) > 0
    box = cell.find_element(By.TAG_NAME, "input")
    assert box.get_attribute("value") == str(int(right_value) + 7)
    browser.save_screenshot(str(ARTIFACTS / "review-flagged.png"))

    box.click()  # the evidence of the cell is highlighted in the source pane and scrolled to
    mark = wait_for(browser, lambda d: d.find_elements(By.ID, "evidence-mark"), message="evidence mark")[0]
    assert mark.text == span.text
    assert browser.execute_script(
        "const m = document.getElementById('evidence-mark'), p = document.getElementById('source');"
        "const a = m.getBoundingClientRect(), b = p.getBoundingClientRect();"
        "return a.top >= b.top && a.bottom <= b.bottom;"), "evidence not scrolled into view"

    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(right_value)
    wait_for(browser, lambda d: "violated" not in cell.get_attribute("class"), message="violation cleared")
    assert browser.find_element(By.ID, "eq-count").text == "0"
    assert "edited" in cell.get_attribute("class")
    browser.save_screenshot(str(ARTIFACTS / "review-edited.png"))

    browser.find_element(By.ID, "reviewer").send_keys("ann")
    browser.find_element(By.ID, "reason").send_keys("misread 予以公开 自然人")
    browser.find_element(By.ID, "save").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "version").text == "2", message="saved version 2")
    cell = browser.find_element(By.CSS_SELECTOR, f'td.cell[data-path="{WRONG_CELL}"]')
    assert "corrected" in cell.get_attribute("class") and "violated" not in cell.get_attribute("class")
    assert "misread" in browser.find_element(By.ID, "corrections").text
    browser.save_screenshot(str(ARTIFACTS / "review-saved.png"))

    browser.find_element(By.TAG_NAME, "body").send_keys("a")  # approve with the keyboard
    wait_for(browser, lambda d: f"/records/{flagged_id}" not in d.current_url, message="moved on after approve")

    detail = httpx.get(f"{base}/api/records/{flagged_id}").json()
    assert detail["review_status"] == "approved" and detail["approved_by"] == "ann"
    rows = {int(r["record_id"]): r for r in csv.DictReader(io.StringIO(
        httpx.get(f"{base}/api/export", params={"format": "csv"}).content.decode("utf-8-sig")))}
    assert rows[flagged_id][WRONG_CELL] == right_value
    assert rows[flagged_id]["corrected_fields"] == WRONG_CELL
    assert (ARTIFACTS / "review-saved.png").stat().st_size > 10_000


def test_unsaved_edits_guard_and_1280_layout(browser, server):
    """At 1280 px every cell of 表二/三/四 is on screen (within the width, not under the source
    pane); with an unsaved edit, `j` asks first and staying keeps the edit."""
    from selenium.webdriver.common.by import By

    base, flagged_id, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_window_size(1280, 900)
    browser.get(f"{base}/records/{flagged_id}")
    wait_for(browser, lambda d: on_record(d, flagged_id), message="record page")
    hidden = browser.execute_script("""
        const pane = document.querySelector('.source-pane').getBoundingClientRect();
        const out = [];
        for (const box of document.querySelectorAll('#table-proactive input, #table-requests input, #table-appeals input')) {
          const r = box.getBoundingClientRect();
          const under = r.bottom > pane.top && r.top < pane.bottom && r.right > pane.left && r.left < pane.right;
          if (r.width === 0 || r.right > window.innerWidth || r.left < 0 || under) out.push(box.dataset.path);
        }
        return [out, document.querySelectorAll('#table-appeals input').length,
                document.documentElement.scrollWidth <= window.innerWidth];""")
    assert hidden[0] == [] and hidden[1] == 15 and hidden[2], hidden
    browser.save_screenshot(str(ARTIFACTS / "record-1280.png"))

    box = browser.find_element(By.CSS_SELECTOR, f'td.cell[data-path="{WRONG_CELL}"] input')
    box.click()
    box.send_keys("9")
    browser.find_element(By.TAG_NAME, "h1").click()  # leave the input so keys navigate
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    alert = wait_for(browser, lambda d: d.switch_to.alert, message="unsaved-edit confirm")
    assert "unsaved" in alert.text
    alert.dismiss()
    assert on_record(browser, flagged_id)
    assert browser.find_element(By.CSS_SELECTOR, f'td.cell[data-path="{WRONG_CELL}"] input').get_attribute("value").endswith("9")
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    wait_for(browser, lambda d: d.switch_to.alert, message="confirm again").accept()
    wait_for(browser, lambda d: on_record(d, other=flagged_id), message="left after confirming")
    assert (ARTIFACTS / "record-1280.png").stat().st_size > 10_000

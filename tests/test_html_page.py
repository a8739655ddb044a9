"""The parts of an HTML page outside its visible body: the head's report title, and a report a
script writes into the page (extractor/ingest/html_page.py), read through the real HTML ingest."""
from __future__ import annotations

from extractor.ingest.html import ingest_html
from extractor.locate.meta import find_agency
from extractor.read.rules import read_document
from schemas import Document

BODY = "<p>根据《中华人民共和国政府信息公开条例》，现公布本年度报告。</p>"


def page(head: str, body: str = BODY) -> bytes:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode()


def test_the_heads_title_names_the_report_when_the_body_does_not():
    text = ingest_html(page("<title>某某市某某区统计局2023年政府信息公开工作年度报告_某某区人民政府网</title>"), "p.html").text
    assert text.splitlines()[0] == "某某市某某区统计局2023年政府信息公开工作年度报告"
    name, start, end = find_agency(text)
    assert name == "某某市某某区统计局" and text[start:end] == name


def test_the_article_title_meta_wins_over_the_site_title():
    head = ("<title>首页 - 某某区人民政府网</title>"
            "<meta name='ArticleTitle' content='某某区卫生健康委员会2022年度政府信息公开工作年度报告'>")
    text = ingest_html(page(head), "p.html").text
    assert text.startswith("某某区卫生健康委员会2022年度政府信息公开工作年度报告\n")


def test_a_title_already_printed_in_the_body_is_not_repeated():
    title = "某某县人民政府2021年政府信息公开工作年度报告"
    text = ingest_html(page(f"<title>{title}</title>", f"<h1>{title}</h1>{BODY}"), "p.html").text
    assert text.count(title) == 1


def test_a_site_title_that_is_not_a_report_title_is_ignored():
    text = ingest_html(page("<title>某某区人民政府网</title>"), "p.html").text
    assert "人民政府网" not in text


REPORT = ("<h1>某某县教育局2023年政府信息公开工作年度报告</h1><p>全年共主动公开政府信息120条。</p>"
          "<table><tr><td>信息内容</td><td>本年新制作数量</td></tr><tr><td>行政许可</td><td>5</td></tr></table>")


def test_a_report_written_by_a_script_is_read():
    js = REPORT.replace('"', '\\"').replace("</", "<\\/").replace("、", "\\u3001")
    half = len(js) // 2
    body = f'<div id="zoom"></div><script>var c = "{js[:half]}" +\n "{js[half:]}"; $("#zoom").html(c);</script>'
    text = ingest_html(page("", body), "p.html").text
    assert "某某县教育局2023年政府信息公开工作年度报告" in text and "行政许可\t5" in text
    assert "<" not in text and "\\" not in text


def test_a_template_string_in_a_script_adds_nothing_beside_a_visible_report():
    decoy = '<script>var tpl = "<table><tr><td>政府信息公开年度报告 申请数量</td><td>999</td></tr></table>";</script>'
    text = ingest_html(page(decoy, REPORT), "p.html").text
    assert "999" not in text and "行政许可\t5" in text


def test_report_markup_printed_escaped_is_read_as_markup():
    escaped = REPORT.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = ingest_html(page("", f"<div>{escaped}</div>"), "p.html").text
    assert "行政许可\t5" in text and "<td" not in text


def test_escapes_a_script_cannot_encode_do_not_break_the_ingest():
    body = '<script>var c = "<p>某某局2023年政府信息公开工作年度报告 \\uD83D\\uDE00 \\u{1F600} \\x41</p>";</script>'
    text = ingest_html(page("", body), "p.html").text
    assert "某某局2023年政府信息公开工作年度报告" in text
    text.encode("utf-8")


def test_a_scripted_report_reads_its_tables():
    from evals.render import expected_record, render_report, synthetic_record

    record = synthetic_record(21)
    _, data = render_report(record, "html", variants=frozenset({"in_script", "blank_zeros"}), seed=3)
    doc = Document(text=ingest_html(data, "r.html").text, path="r.html", sha256="0" * 64, format="html")
    got = read_document(doc).model_dump()
    want = expected_record(record, frozenset({"in_script", "blank_zeros"}))
    assert all(got[k] == want[k] for k in ("agency", "year", "requests", "appeals", "proactive"))

"""Ingest: every format to the normalized text (paragraph lines, TAB table rows), and every bad
input to an InputDocumentError that says what to do. Fixture files are generated in tmp_path."""
from __future__ import annotations

import functools
import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from extractor.errors import InputDocumentError
from extractor.ingest import ingest_bytes, ingest_file
from extractor.ingest.layout import SpanCell, clean_cell, resolve_grid
from extractor.settings import Settings

REPO = Path(__file__).resolve().parents[1]
EVALSET = REPO.parent / "shared" / "evalset" / "docs"
EXTERNAL = REPO.parent / "shared" / "evalset-external" / "docs"

SETTINGS = Settings()
ZEROS = "\t".join(["0"] * 7)


# --------------------------------------------------------------------------- 表三 fixture
# The 2021 form's 表三 as (text, rowspan, colspan) cells, the way HTML and Word lay it out.
def table3_rows(values: dict[str, list[int]] | None = None) -> list[list[tuple[str, int, int]]]:
    values = values or {}

    def row(*label_cells, key=None):
        nums = values.get(key or label_cells[-1][0], [0] * 7)
        return list(label_cells) + [(str(n), 1, 1) for n in nums]

    return [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
         ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1),
         ("其他", 1, 1)],
        row(("一、本年新收政府信息公开申请数量", 1, 3)),
        row(("二、上年结转政府信息公开申请数量", 1, 3)),
        row(("三、本年度办理结果", 22, 1), ("（一）予以公开", 1, 2)),
        row(("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2)),
        row(("（三）不予公开", 8, 1), ("1.属于国家秘密", 1, 1)),
        row(("2.其他法律行政法规禁止公开", 1, 1)),
        row(("3.危及“三安全一稳定”", 1, 1)),
        row(("4.保护第三方合法权益", 1, 1)),
        row(("5.属于三类内部事务信息", 1, 1)),
        row(("6.属于四类过程性信息", 1, 1)),
        row(("7.属于行政执法案卷", 1, 1)),
        row(("8.属于行政查询事项", 1, 1)),
        row(("（四）无法提供", 3, 1), ("1.本机关不掌握相关政府信息", 1, 1)),
        row(("2.没有现成信息需要另行制作", 1, 1)),
        row(("3.补正后申请内容仍不明确", 1, 1)),
        row(("（五）不予处理", 5, 1), ("1.信访举报投诉类申请", 1, 1)),
        row(("2.重复申请", 1, 1)),
        row(("3.要求提供公开出版物", 1, 1)),
        row(("4.无正当理由大量反复申请", 1, 1)),
        row(("5.要求行政机关确认或重新出具已获取信息", 1, 1)),
        row(("（六）其他处理", 3, 1), ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 1, 1)),
        row(("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", 1, 1)),
        row(("3.其他", 1, 1)),
        row(("（七）总计", 1, 2)),
        row(("四、结转下年度继续办理", 1, 3)),
    ]


NEW_ROW = "一、本年新收政府信息公开申请数量\t\t\t3\t0\t0\t0\t0\t0\t3"
SECRET_ROW = f"\t（三）不予公开\t1.属于国家秘密\t{ZEROS}"
LAW_ROW = f"\t\t2.其他法律行政法规禁止公开\t{ZEROS}"
HEADER_ROWS = [
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t\t\t申请人情况"
    + "\t" * 6,
    "\t\t\t自然人\t法人或其他组织\t\t\t\t\t总计",
    "\t\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t",
]
TABLE3_VALUES = {"一、本年新收政府信息公开申请数量": [3, 0, 0, 0, 0, 0, 3]}


def html_table(rows) -> str:
    def td(text, rowspan, colspan):
        attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + \
                (f' colspan="{colspan}"' if colspan > 1 else "")
        return f"<td{attrs}><p>{text}</p></td>"
    body = "\n".join("<tr>" + "".join(td(*c) for c in row) + "</tr>" for row in rows)
    return f'<table border="1">\n<tbody>\n{body}\n</tbody></table>'


def html_report(table: str, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>泰安市2023年政府信息公开工作年度报告</title>
<script>var t = "<table><tr><td>9</td></tr></table>";</script>
<style>td {{ border: 1px solid; }}</style></head>
<body><div class="nav">首页 &gt; 政务公开</div>
<h1>泰安市人力资源和社会保障局<br>2023年政府信息公开工作年度报告</h1>
<p>一、总体情况</p>
<p>2023年度，本机关共收到政府信息公开申请<b>3</b>件，
全部为自然人申请。</p>
<p>三、收到和处理政府信息公开申请情况</p>
{table}
<p>四、政府信息公开行政复议、行政诉讼情况</p>
<noscript>请开启JavaScript</noscript>
</body></html>"""


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def lines_of(doc) -> list[str]:
    return doc.text.split("\n")


# --------------------------------------------------------------------------- layout rules
def test_clean_cell_joins_cjk_without_space_and_latin_with_one():
    assert clean_cell("三\n、\n本年度\n办理结果") == "三、本年度办理结果"
    assert clean_cell("  商业\n  企业 ") == "商业企业"
    assert clean_cell("Total\ncount\t x") == "Total count x"
    assert clean_cell("申请\n2021") == "申请 2021"


def test_resolve_grid_puts_span_text_top_left_and_blanks_the_rest():
    grid = resolve_grid([[SpanCell("a", rowspan=2), SpanCell("b", colspan=2)],
                         [SpanCell("c"), SpanCell("d")]])
    assert grid == [["a", "b", ""], ["", "c", "d"]]


def test_resolve_grid_caps_absurd_spans():
    grid = resolve_grid([[SpanCell("x", rowspan=10_000, colspan=10**9)]])
    assert len(grid) == 1 and len(grid[0]) == 1000


@pytest.fixture
def small_cell_limit(monkeypatch):
    """A document may have 60 table cells (the real limit, 100 000, is for the hostile corpus)."""
    monkeypatch.setattr("extractor.ingest.layout.MAX_GRID_CELLS", 60)


def test_a_table_declaring_more_cells_than_a_document_may_have_is_refused(tmp_path, small_cell_limit):
    page = "<html><body><table>" + "<tr><td colspan=8>1" * 8 + "</table></body></html>"
    with pytest.raises(InputDocumentError, match="declares a grid of about 8 rows × 8 columns"):
        ingest_file(write(tmp_path, "wide.html", page), SETTINGS)


def test_html_and_docx_with_too_many_cells_are_refused_before_layout(tmp_path, small_cell_limit):
    page = "<html><body><table>" + "<tr><td>1<td>2<td>3" * 21 + "</table></body></html>"
    with pytest.raises(InputDocumentError, match="has 63 table cells, more than the 60"):
        ingest_file(write(tmp_path, "cells.html", page), SETTINGS)
    row = "<w:tr>" + "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>" * 3 + "</w:tr>"
    xml = (f'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           f"<w:body><w:tbl>{row * 21}</w:tbl></w:body></w:document>").encode()
    with pytest.raises(InputDocumentError, match="has 63 table cells"):
        ingest_file(write(tmp_path, "cells.docx", zip_bytes({"word/document.xml": xml})), SETTINGS)
    page = "<html><body><table>" + "<tr><td>1<td>2<td>3" * 20 + "</table></body></html>"
    assert ingest_file(write(tmp_path, "ok.html", page), SETTINGS).text.count("\n") == 19


def test_many_tables_each_under_the_limit_are_refused_together(tmp_path, small_cell_limit):
    page = "<html><body>" + "<table><tr><td colspan=20>1</table>" * 4 + "</body></html>"
    with pytest.raises(InputDocumentError, match="span more than 60 cells together"):
        ingest_file(write(tmp_path, "tables.html", page), SETTINGS)


# --------------------------------------------------------------------------- HTML
def test_html_table3_rows_are_tab_lines_on_the_full_grid(tmp_path):
    path = write(tmp_path, "r.html", html_report(html_table(table3_rows(TABLE3_VALUES))))
    doc = ingest_file(path, SETTINGS)
    lines = lines_of(doc)
    assert doc.format == "html"
    start = lines.index(HEADER_ROWS[0])
    assert lines[start - 1] == "" and lines[start:start + 3] == HEADER_ROWS
    assert NEW_ROW in lines
    assert SECRET_ROW in lines and LAW_ROW in lines
    assert f"三、本年度办理结果\t（一）予以公开\t\t{ZEROS}" in lines
    assert f"四、结转下年度继续办理\t\t\t{ZEROS}" in lines
    table = lines[start:lines.index("", start)]
    assert len(table) == 28 and all(line.count("\t") == 9 for line in table)


def test_html_drops_script_style_head_and_makes_blocks_lines(tmp_path):
    path = write(tmp_path, "r.html", html_report(html_table(table3_rows())))
    text = ingest_file(path, SETTINGS).text
    assert "var t" not in text and "border" not in text and "JavaScript" not in text
    assert "泰安市2023年政府信息公开工作年度报告" not in text  # <title> is in <head>
    lines = text.split("\n")
    assert lines[:3] == ["首页 > 政务公开", "泰安市人力资源和社会保障局", "2023年政府信息公开工作年度报告"]
    # a source line break inside Chinese text is no space; inline tags do not break lines
    assert "2023年度，本机关共收到政府信息公开申请3件，全部为自然人申请。" in lines
    assert "四、政府信息公开行政复议、行政诉讼情况" in lines


def test_html_gbk_page_is_decoded_from_its_meta_charset(tmp_path):
    html = html_report(html_table(table3_rows(TABLE3_VALUES)), charset="gb2312")
    path = write(tmp_path, "r.htm", html, encoding="gbk")
    doc = ingest_file(path, SETTINGS)
    assert NEW_ROW in lines_of(doc)
    assert "泰安市人力资源和社会保障局" in doc.text


def test_html_gbk_page_without_meta_is_detected(tmp_path):
    html = "<html><body><p>政府信息公开工作年度报告</p><table><tr><td>规章</td><td>０</td></tr>" \
           "</table></body></html>"
    doc = ingest_file(write(tmp_path, "r.html", html, encoding="gb18030"), SETTINGS)
    assert doc.text == "政府信息公开工作年度报告\n\n规章\t０"


def test_html_cell_breaks_and_nbsp_cells(tmp_path):
    html = ("<table><tr><td>商业<br>\n企业</td><td>&nbsp;</td><td>法律<p>服务</p>机构</td>"
            "<td>Total <br>count</td></tr></table>")
    doc = ingest_file(write(tmp_path, "t.html", html), SETTINGS)
    assert doc.text == "商业企业\t\t法律服务机构\tTotal count"


def test_html_layout_table_around_data_table_is_flattened(tmp_path):
    inner = html_table([[("规章", 1, 1), ("0", 1, 1)], [("行政规范性文件", 1, 1), ("3", 1, 1)]])
    html = (f"<html><body><table><tr><td>导航</td></tr><tr><td><p>报告正文</p>{inner}"
            "<p>结束</p></td></tr></table></body></html>")
    assert ingest_file(write(tmp_path, "n.html", html), SETTINGS).text == \
        "导航\n报告正文\n\n规章\t0\n行政规范性文件\t3\n\n结束"


def test_html_thead_th_and_empty_rows(tmp_path):
    """An empty row inside a table is kept (a statistics row left blank means zeros); empty rows
    before the table's first text are not."""
    html = ("<table><tr><td></td><td></td></tr><thead><tr><th>信息内容</th><th>本年制发件数</th></tr></thead>"
            "<tbody><tr><td></td><td> </td></tr><tr><td>规章</td><td>1</td></tr></tbody></table>")
    assert ingest_file(write(tmp_path, "t.html", html), SETTINGS).text == \
        "信息内容\t本年制发件数\n\t\n规章\t1"


# --------------------------------------------------------------------------- TXT / MD
@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-8-sig", "utf-8"])
def test_text_encodings_are_detected(tmp_path, encoding):
    text = "政府信息公开工作年度报告\r\n一、本年新收政府信息公开申请数量\r\n\t３\r\n全年收取费用0元。"
    doc = ingest_file(write(tmp_path, "r.txt", text, encoding=encoding), SETTINGS)
    assert doc.format == "txt"
    assert doc.text == text.replace("\r\n", "\n")


def test_evalset_txt_is_kept_as_is():
    docs = sorted(EVALSET.glob("*.txt"))
    if not docs:
        pytest.skip("evalset not present")
    for path in docs:
        doc = ingest_file(path, SETTINGS)
        raw = path.read_bytes()
        assert doc.text == raw.decode("utf-8").replace("\r\n", "\n").lstrip("\ufeff")
        assert doc.size == len(raw) and len(doc.sha256) == 64 and doc.pages is None


def test_markdown_pipe_rows_stay(tmp_path):
    md = "# 报告\n\n| 信息内容 | 本年制发件数 |\n|---|---|\n| 规章 | 0 |\n"
    doc = ingest_file(write(tmp_path, "r.md", md), SETTINGS)
    assert doc.format == "md" and "| 规章 | 0 |" in doc.text.split("\n")


def test_random_bytes_named_txt_are_refused(tmp_path):
    data = bytes(range(256)) * 8 + os.urandom(2048)
    with pytest.raises(InputDocumentError, match="not a text document"):
        ingest_file(write(tmp_path, "r.txt", data), SETTINGS)


def test_control_character_garbage_is_refused(tmp_path):
    data = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 65, 66]) * 200
    with pytest.raises(InputDocumentError, match="not a text document"):
        ingest_file(write(tmp_path, "r.txt", data), SETTINGS)


# --------------------------------------------------------------------------- sniffing
def test_content_wins_over_a_lying_extension(tmp_path):
    html = html_report(html_table(table3_rows(TABLE3_VALUES)))
    assert ingest_file(write(tmp_path, "report", html), SETTINGS).format == "html"
    assert ingest_file(write(tmp_path, "report.txt", html), SETTINGS).format == "html"
    assert ingest_file(write(tmp_path, "report.dat", "纯文本报告"), SETTINGS).format == "txt"
    pdf = write(tmp_path, "report.txt", make_pdf())
    assert ingest_file(pdf, SETTINGS).format == "pdf"
    docx = write(tmp_path, "report.bin", make_docx())
    assert ingest_file(docx, SETTINGS).format == "docx"


def test_png_named_pdf_is_refused_naming_what_it_is(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(200)
    with pytest.raises(InputDocumentError, match="PNG image.*OCR"):
        ingest_file(write(tmp_path, "r.pdf", png), SETTINGS)


def test_old_doc_is_refused_with_conversion_hint(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    with pytest.raises(InputDocumentError, match="libreoffice --headless --convert-to docx"):
        ingest_file(write(tmp_path, "r.docx", ole), SETTINGS)


def test_text_named_pdf_or_docx_is_refused(tmp_path):
    for name in ("r.pdf", "r.docx"):
        with pytest.raises(InputDocumentError, match="content is text"):
            ingest_file(write(tmp_path, name, "这不是文件"), SETTINGS)


# --------------------------------------------------------------------------- file checks
def test_empty_file_is_refused(tmp_path):
    with pytest.raises(InputDocumentError, match="empty"):
        ingest_file(write(tmp_path, "r.txt", b""), SETTINGS)


def test_whitespace_only_file_is_refused(tmp_path):
    with pytest.raises(InputDocumentError, match="no text"):
        ingest_file(write(tmp_path, "r.txt", " \n\r\n\t"), SETTINGS)


def test_too_large_file_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "big.txt", "年度报告" * 100_000)
    with pytest.raises(InputDocumentError, match="NIANBAO_MAX_FILE_MB"):
        ingest_file(path, Settings(max_file_mb=0.1))


def test_missing_path_and_directory_are_refused(tmp_path):
    with pytest.raises(InputDocumentError, match="does not exist"):
        ingest_file(tmp_path / "nope.pdf", SETTINGS)
    with pytest.raises(InputDocumentError, match="not a regular file"):
        ingest_file(tmp_path, SETTINGS)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unreadable_file_is_refused(tmp_path):
    path = write(tmp_path, "r.txt", "年度报告")
    path.chmod(0)
    try:
        with pytest.raises(InputDocumentError, match="permissions"):
            ingest_file(path, SETTINGS)
    finally:
        path.chmod(0o644)


def test_document_fields(tmp_path):
    import hashlib
    data = "政府信息公开\r\n".encode("utf-8")
    doc = ingest_file(write(tmp_path, "r.txt", data), SETTINGS)
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data) and doc.path.endswith("r.txt") and doc.text == "政府信息公开\n"


# --------------------------------------------------------------------------- DOCX
@functools.cache
def make_docx(nested: bool = False) -> bytes:
    """A DOCX with paragraphs around a merged-cell 表三 (python-docx's merge writes gridSpan and
    vMerge, as Word does). Cached: python-docx takes a second or two to merge the cells."""
    import docx

    rows = table3_rows(TABLE3_VALUES)
    document = docx.Document()
    document.add_paragraph("泰安市人力资源和社会保障局2023年政府信息公开工作年度报告")
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    host = document
    if nested:
        host = document.add_table(rows=1, cols=1).cell(0, 0)
        host.paragraphs[0].text = "外层表格"
    fill_docx_table(host.add_table(rows=len(rows), cols=10) if nested else
                    document.add_table(rows=len(rows), cols=10), rows)
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def fill_docx_table(table, rows) -> None:
    # Cells are looked up once, before merging: table.cell() rebuilds the whole grid per call.
    # A merge only absorbs cells inside its own span, which are never looked up again.
    grid = [list(row.cells) for row in table.rows]
    occupied: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        col = 0
        for text, rowspan, colspan in row:
            while (r, col) in occupied:
                col += 1
            cell = grid[r][col]
            if rowspan > 1 or colspan > 1:
                cell = cell.merge(grid[r + rowspan - 1][col + colspan - 1])
            cell.text = text
            occupied |= {(r + dr, col + dc) for dr in range(rowspan) for dc in range(colspan)}
            col += colspan


def test_docx_merged_cells_appear_once_on_the_full_grid(tmp_path):
    doc = ingest_file(write(tmp_path, "r.docx", make_docx()), SETTINGS)
    lines = lines_of(doc)
    assert doc.format == "docx"
    assert lines[:3] == ["泰安市人力资源和社会保障局2023年政府信息公开工作年度报告",
                         "三、收到和处理政府信息公开申请情况", ""]
    assert lines[3:6] == HEADER_ROWS
    assert NEW_ROW in lines and SECRET_ROW in lines and LAW_ROW in lines
    assert f"三、本年度办理结果\t（一）予以公开\t\t{ZEROS}" in lines
    assert lines[-2:] == ["", "四、政府信息公开行政复议、行政诉讼情况"]
    assert doc.text.count("三、本年度办理结果") == 1 and doc.text.count("（三）不予公开") == 1


def test_docx_nested_table_is_flattened(tmp_path):
    doc = ingest_file(write(tmp_path, "r.docx", make_docx(nested=True)), SETTINGS)
    lines = lines_of(doc)
    assert "外层表格" in lines and NEW_ROW in lines and SECRET_ROW in lines


def test_docx_paragraph_breaks_tabs_and_cell_lines(tmp_path):
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("第一行")
    paragraph.add_run().add_break()
    paragraph.add_run("第二行\t尾")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "商业\n企业"
    table.cell(0, 1).add_paragraph("法律")
    table.cell(0, 1).add_paragraph("服务机构")
    buffer = io.BytesIO()
    document.save(buffer)
    doc = ingest_file(write(tmp_path, "r.docx", buffer.getvalue()), SETTINGS)
    assert doc.text == "第一行\n第二行\t尾\n\n商业企业\t法律服务机构"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("word/document.xml", "w") as member:  # 300 MB of zeros
            chunk = bytes(10 << 20)
            for _ in range(30):
                member.write(chunk)
    path = write(tmp_path, "bomb.docx", buffer.getvalue())
    with pytest.raises(InputDocumentError, match="zip bomb"):
        ingest_file(path, SETTINGS)


def test_docx_extreme_compression_ratio_is_refused(tmp_path):
    data = zip_bytes({"word/document.xml": bytes(20 << 20)})
    with pytest.raises(InputDocumentError, match="compression ratio"):
        ingest_file(write(tmp_path, "r.docx", data), SETTINGS)



def test_docx_text_part_over_its_own_limit_is_refused(tmp_path):
    """Inside the archive limits, but a text part too big to parse within the memory budget."""
    import random

    rng = random.Random(5)
    paragraphs = "".join(f"<w:p><w:r><w:t>{rng.getrandbits(64)}</w:t></w:r></w:p>" for _ in range(60_000))
    xml = (f'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           f"<w:body>{paragraphs}</w:body></w:document>").encode()
    assert len(xml) > 2 << 20
    path = write(tmp_path, "big.docx", zip_bytes({"word/document.xml": xml}))
    with pytest.raises(InputDocumentError, match="NIANBAO_MAX_DOCX_XML_MB"):
        ingest_file(path, SETTINGS.model_copy(update={"max_docx_xml_mb": 1.0}))
    assert ingest_file(path, SETTINGS).text.count("\n") >= 59_999  # the default reads it


def test_zip_without_document_xml_is_refused(tmp_path):
    data = zip_bytes({"word/styles.xml": b"<styles/>", "readme.txt": b"hi"})
    with pytest.raises(InputDocumentError, match="word/document.xml"):
        ingest_file(write(tmp_path, "r.docx", data), SETTINGS)


def test_truncated_docx_is_refused_with_a_hint(tmp_path):
    data = make_docx()[:3000]
    with pytest.raises(InputDocumentError, match="not a valid DOCX.*libreoffice"):
        ingest_file(write(tmp_path, "r.docx", data), SETTINGS)


def test_docx_with_broken_xml_is_refused(tmp_path):
    data = zip_bytes({"word/document.xml": b"<w:document><w:body>"})
    with pytest.raises(InputDocumentError, match="not well-formed"):
        ingest_file(write(tmp_path, "r.docx", data), SETTINGS)


# --------------------------------------------------------------------------- PDF
@functools.cache
def make_pdf(pages: int = 1, image_pages: tuple[int, ...] = (),
             encrypt: str | None = None) -> bytes:
    """A PDF drawn with reportlab: a heading, prose and a ruled 3×4 table per page (CJK text in
    the built-in STSong-Light CID font), or just an image on the ``image_pages``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt)
    for number in range(1, pages + 1):
        if number in image_pages:
            draw_image(pdf)
        else:
            draw_report_page(pdf, number)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def draw_report_page(pdf, number: int) -> None:
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(72, 780, "二、主动公开政府信息情况")
    pdf.drawString(72, 760, f"第{number}页正文：本年新收申请3件。")
    rows = [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            ["规章", "0", "0", "0"],
            ["行政规范性文件", "1", "0", str(number)]]
    left, top, width, height = 72, 740, 110, 24
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            pdf.rect(left + c * width, top - (r + 1) * height, width, height, stroke=1, fill=0)
            pdf.drawString(left + c * width + 4, top - (r + 1) * height + 8, text)
    pdf.drawString(72, 640, "三、收到和处理政府信息公开申请情况")
    pdf.drawCentredString(297, 40, f"- {number} -")


def draw_image(pdf) -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    image = Image.new("RGB", (200, 100), "white")
    pdf.drawImage(ImageReader(image), 72, 600, width=200, height=100)


def test_pdf_table_rows_and_text_in_reading_order(tmp_path):
    doc = ingest_file(write(tmp_path, "r.pdf", make_pdf(pages=2)), SETTINGS)
    assert doc.format == "pdf" and doc.pages == 2
    page = ["二、主动公开政府信息情况", "第{n}页正文：本年新收申请3件。", "",
            "信息内容\t本年制发件数\t本年废止件数\t现行有效件数", "规章\t0\t0\t0",
            "行政规范性文件\t1\t0\t{n}", "", "三、收到和处理政府信息公开申请情况"]
    expected = [line.format(n=1) for line in page] + [line.format(n=2) for line in page]
    assert lines_of(doc) == expected  # page numbers "- 1 -" are dropped


def test_image_only_pdf_is_refused_as_scanned(tmp_path):
    with pytest.raises(InputDocumentError, match="no text layer.*OCR"):
        ingest_file(write(tmp_path, "scan.pdf", make_pdf(image_pages=(1,))), SETTINGS)


def test_pdf_with_some_scanned_pages_warns(tmp_path):
    doc = ingest_file(write(tmp_path, "mixed.pdf", make_pdf(pages=3, image_pages=(2,))), SETTINGS)
    assert doc.pages == 3
    assert doc.warnings == ["pages without a text layer (scanned?) were skipped: [2]"]
    assert "行政规范性文件\t1\t0\t3" in lines_of(doc)


def test_corrupt_pdf_is_refused(tmp_path):
    data = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\ngarbage" + os.urandom(300)
    with pytest.raises(InputDocumentError, match="cannot be read as a PDF|no text layer"):
        ingest_file(write(tmp_path, "bad.pdf", data), SETTINGS)


def test_truncated_pdf_is_refused(tmp_path):
    data = make_pdf(pages=2)
    with pytest.raises(InputDocumentError, match="PDF"):
        ingest_file(write(tmp_path, "cut.pdf", data[: len(data) // 3]), SETTINGS)


def test_password_protected_pdf_is_refused(tmp_path):
    data = make_pdf(encrypt="secret")
    with pytest.raises(InputDocumentError, match="password"):
        ingest_file(write(tmp_path, "locked.pdf", data), SETTINGS)


REAL_PDF_ROWS = {
    "hongze_gov_2023.pdf": [
        "一、本年新收政府信息公开申请数量\t\t\t21\t0\t0\t0\t0\t0\t21",
        "\t（三）不予公开\t1.属于国家秘密\t1\t0\t0\t0\t0\t0\t1",
        "\t（七）总计\t\t21\t0\t0\t0\t0\t0\t21",
        "10\t1\t0\t0\t0\t0\t0\t0\t0\t0\t5\t0\t0\t0\t0",
        "行政规范性文件\t0\t5\t5",
    ],
    "hongze_gov_2024.pdf": [
        "一、本年新收政府信息公开申请数量\t\t\t95\t0\t0\t0\t0\t0\t95",
        "1\t1\t0\t0\t2\t1\t0\t0\t0\t1\t2\t0\t1\t0\t3",
        "行政事业性收费\t7545",
    ],
    "huaian_gov_2024.pdf": [
        "一、本年新收政府信息公开申请数量\t\t\t3001\t53\t0\t0\t61\t4\t3119",
        "四、结转下年度继续办理\t\t\t103\t0\t0\t0\t0\t0\t103",
        "72\t64\t178\t37\t351\t13\t4\t8\t1\t26\t12\t1\t1\t6\t20",
        "行政事业性收费\t96171.6",
    ],
}


@functools.cache
def real_pdf(name: str):
    path = EXTERNAL / name
    if not path.exists():
        pytest.skip("evalset-external not present")
    return ingest_file(path, SETTINGS)


@pytest.mark.parametrize("name", sorted(REAL_PDF_ROWS))
def test_real_pdfs_yield_the_statistics_rows(name):
    doc = real_pdf(name)
    lines = lines_of(doc)
    for row in REAL_PDF_ROWS[name]:
        assert row in lines, row
    assert doc.pages in (5, 6) and doc.warnings == []
    table3 = [line for line in lines if line.count("\t") == 9 and line.split("\t")[-1].isdigit()]
    # 表三 data rows: 23 with a single （六）其他处理 row (hongze), 25 with its three sub-rows
    assert len(table3) == (25 if name == "huaian_gov_2024.pdf" else 23)


def test_real_pdf_prose_is_reflowed_into_paragraph_lines():
    lines = lines_of(real_pdf("hongze_gov_2023.pdf"))
    assert "（二）依申请公开情况。进一步规范依申请公开流程，畅通依申请公开受理渠。2023 年全区受理" \
           "政府信息公开申请 21 件，均在法定期限答复。" in lines
    assert "一、总体情况" in lines and "二、主动公开政府信息情况" in lines
    assert not any(line.strip() in ("- 1 -", "- 2 -") for line in lines)


def test_html_pre_keeps_its_lines(tmp_path):
    html = "<body><pre>本年新收  3件\n结转下年度 0件</pre></body>"
    assert ingest_file(write(tmp_path, "p.html", html), SETTINGS).text == \
        "本年新收  3件\n结转下年度 0件"


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
       'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'


def raw_docx(body: str, part: str = "word/document.xml") -> bytes:
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/officeDocument" Target="{part}"/></Relationships>')
    document = f'<w:document {W_NS}><w:body>{body}</w:body></w:document>'
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "_rels/.rels": rels.encode(),
                      part: document.encode("utf-8")})


def w_p(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def w_tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{w_p(text)}</w:tc>"


def test_docx_raw_markup_grid_before_hmerge_sdt_fallback_and_deletions(tmp_path):
    body = (
        "<w:sdt><w:sdtContent>" + w_p("标题") + "</w:sdtContent></w:sdt>"
        "<w:p><w:r><w:t>保留</w:t></w:r><w:del><w:r><w:delText>删除</w:delText></w:r></w:del>"
        "<w:r><mc:AlternateContent><mc:Choice><w:t>框</w:t></mc:Choice>"
        "<mc:Fallback><w:t>框</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>"
        "<w:tbl><w:tblGrid/>"
        "<w:tr>" + w_tc("行政复议", '<w:gridSpan w:val="2"/>') + w_tc("诉讼",
                                                                   '<w:vMerge w:val="restart"/>')
        + "</w:tr>"
        "<w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>" + w_tc("维持") + w_tc("", "<w:vMerge/>")
        + "</w:tr>"
        "<w:tr>" + w_tc("1") + w_tc("", "<w:hMerge/>") + w_tc("2") + "</w:tr>"
        "</w:tbl>" + w_p("结束"))
    doc = ingest_file(write(tmp_path, "r.docx", raw_docx(body, "word/document2.xml")), SETTINGS)
    assert doc.text == "标题\n保留框\n\n行政复议\t\t诉讼\n\t维持\t\n1\t\t2\n\n结束"


def test_html_with_thousands_of_unclosed_inline_tags_loses_no_text(tmp_path):
    html = "<html><body><p>开始</p>" + "<font color=red>字" * 3000 + "<p>结束</p></body></html>"
    doc = ingest_file(write(tmp_path, "deep.html", html), SETTINGS)
    assert doc.text == "开始\n" + "字" * 3000 + "\n结束" and doc.warnings == []


def test_html_nested_beyond_the_parser_limit_warns(tmp_path):
    html = "<html><body>" + "<div>字" * 3000 + "</body></html>"
    doc = ingest_file(write(tmp_path, "deep.html", html), SETTINGS)
    assert doc.text.startswith("字\n字") and "nests more than" in doc.warnings[0]


def test_pdf_justification_gaps_are_no_spaces_but_column_gaps_are(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    text = pdf.beginText(72, 760)
    text.setFont("STSong-Light", 12)
    text.setCharSpace(4)  # Word-style justification: a third of an em between characters
    text.textLine("如对本报告有疑问，请与办公室联系")
    pdf.drawText(text)
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(72, 730, "结果维持")
    pdf.drawString(160, 730, "结果纠正")
    pdf.save()
    lines = lines_of(ingest_file(write(tmp_path, "j.pdf", buffer.getvalue()), SETTINGS))
    assert lines == ["如对本报告有疑问，请与办公室联系", "结果维持 结果纠正"]


def test_html_hidden_content_is_dropped_and_captions_kept(tmp_path):
    html = ('<body><p style="display: none">隐藏</p><div hidden>也隐藏</div><p>正文</p>'
            "<table><caption>表三</caption><tr><td>规章</td><td>0</td></tr></table></body>")
    assert ingest_file(write(tmp_path, "h.html", html), SETTINGS).text == "正文\n表三\n\n规章\t0"


@pytest.mark.parametrize("declared, encoding", [("gb2312", "utf-8"), ("utf-8", "gb18030"),
                                                ("iso-8859-1", "gbk"), ("big5x", "gbk")])
def test_html_misdeclared_charset_still_decodes(tmp_path, declared, encoding):
    html = f'<html><head><meta charset="{declared}"></head><body><p>政府信息公开年度报告</p></body></html>'
    doc = ingest_file(write(tmp_path, "m.html", html, encoding=encoding), SETTINGS)
    assert doc.text == "政府信息公开年度报告"


def test_scanned_pdf_with_a_typed_page_number_is_still_a_scan(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number in (1, 2):
        draw_image(pdf)
        pdf.setFont("STSong-Light", 10)
        pdf.drawString(280, 30, f"第{number}页")
        pdf.showPage()
    pdf.save()
    with pytest.raises(InputDocumentError, match="scanned PDF"):
        ingest_file(write(tmp_path, "scan.pdf", buffer.getvalue()), SETTINGS)


def test_docx_with_corrupt_compressed_data_is_refused(tmp_path):
    document = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body>' + w_p("政府信息公开") * 400 + "</w:body></w:document>").encode()
    data = bytearray(zip_bytes({"word/document.xml": document}))
    middle = len(data) // 2
    data[middle:middle + 40] = bytes(40)
    with pytest.raises(InputDocumentError, match="corrupt"):
        ingest_file(write(tmp_path, "r.docx", bytes(data)), SETTINGS)


def test_html_table_with_absurd_spans_is_refused(tmp_path):
    rows = '<tr><td colspan="1000" rowspan="65534">x</td></tr>' + "<tr><td>1</td></tr>" * 3000
    with pytest.raises(InputDocumentError, match="declares a grid|spans more than"):
        ingest_file(write(tmp_path, "t.html", f"<table>{rows}</table>"), SETTINGS)


def test_pdf_page_with_a_huge_drawing_is_read_as_text(tmp_path, monkeypatch):
    import extractor.ingest.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "MAX_DRAWINGS", 5)
    doc = ingest_file(write(tmp_path, "r.pdf", make_pdf()), SETTINGS)
    # read as text, the rows still come out as grid rows: their columns are recovered from the
    # x positions of the numbers (pdf_columns)
    assert "行政规范性文件\t1\t0\t1" in lines_of(doc)
    assert doc.warnings == [
        "pages with too many drawn lines to look for tables (read as text): [1]"]


def test_pdf_text_table_without_rulings_keeps_blank_cells_in_their_columns():
    """Unit test of the column recovery: numbers at x positions, a blank cell leaves a gap."""
    from extractor.ingest.pdf_columns import Word, grid_rows, header_aligned_row, table_runs

    def row(label, xs_vals):
        words = [Word(label, 10, 100)] if label else []
        return words + [Word(v, x, x + 6 * len(v)) for x, v in xs_vals]

    lines = [row("一、本年新收", [(200, "3"), (260, "1"), (320, "4")]),
             row("二、上年结转", [(200, "2"), (320, "2")]),          # middle cell blank
             row("（一）予以公开", [(260, "1"), (268, "0"), (320, "10")])]  # "1 0" split in a cell
    assert table_runs(lines) == [(0, 3)]
    grid = grid_rows(lines, tolerance=4.0)
    assert grid[1] == ["二、上年结转", "2", "", "2"]
    assert grid[2] == ["（一）予以公开", "", "1 0", "10"]
    header = [Word(t, x, x + 20) for t, x in (("维持", 100), ("纠正", 140), ("其他", 180), ("总计", 220))]
    assert header_aligned_row(header, [Word("3", 105, 110), Word("3", 225, 230)], 2.0) == ["3", "", "", "3"]


def test_a_declared_grid_bomb_fails_fast_before_any_grid_is_built():
    """A few KB of colspans describing 1001 × 10⁶ cells: a clear error, not a MemoryError."""
    from extractor.ingest.html import ingest_html

    row = "<tr>" + "<td colspan=1000>x</td>" * 1000 + "</tr>"
    page = f"<html><body><p>报告</p><table>{row}{'<tr><td>1</td></tr>' * 1000}</table></body></html>"
    with pytest.raises(InputDocumentError, match="declares a grid"):
        ingest_html(page.encode(), "bomb.html")


def test_links_loops_and_special_files_in_a_folder_each_get_a_failed_record(tmp_path):
    """Nothing in a folder is skipped silently: every bad entry is a failed record saying why."""
    import os

    from extractor.batch import expand_paths, iter_records

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    (folder / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    os.mkfifo(folder / "pipe.txt")
    files = expand_paths([folder])
    assert sorted(p.name for p in files) == ["a.txt", "b.txt", "dangling.pdf", "pipe.txt"]
    errors = {Path(r.source.path).name: r.error for r in iter_records(files, SETTINGS)}
    assert "symbolic link loop" in errors["a.txt"] and "symbolic link loop" in errors["b.txt"]
    assert "which does not exist" in errors["dangling.pdf"]
    assert "FIFO" in errors["pipe.txt"]

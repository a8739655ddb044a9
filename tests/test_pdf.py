"""The pypdfium2 PDF path: encryption, shading, the ruling grid, threads. PDFs are drawn with
reportlab at test time (nothing binary is committed)."""
from __future__ import annotations

import io
import threading

import pytest

from extractor.errors import InputDocumentError
from extractor.ingest.pdf import ingest_pdf
from extractor.ingest.pdf_grid import Edge, find_tables, merge_edges
from extractor.ingest.pdf_pdfium import Char


def canvas(encrypt=None):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas as rl_canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = rl_canvas.Canvas(buffer, encrypt=encrypt)
    pdf.setFont("STSong-Light", 12)
    return pdf, buffer


def ruled_table(pdf, rows, left=72, top=700, width=100, height=24):
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            pdf.rect(left + c * width, top - (r + 1) * height, width, height, stroke=1, fill=0)
            pdf.drawString(left + c * width + 4, top - (r + 1) * height + 8, text)


def report(encrypt=None) -> bytes:
    pdf, buffer = canvas(encrypt)
    pdf.drawString(72, 760, "二、主动公开政府信息情况")
    ruled_table(pdf, [["信息内容", "本年制发件数"], ["规章", "3"]])
    pdf.save()
    return buffer.getvalue()


def test_password_protected_pdf_says_so_and_how_to_fix():
    from reportlab.lib.pdfencrypt import StandardEncryption

    data = report(StandardEncryption("secret", ownerPassword="owner"))
    with pytest.raises(InputDocumentError) as err:
        ingest_pdf(data, "report.pdf")  # no "password" in the name: the message must say it
    message = str(err.value)
    assert "password-protected" in message and "qpdf" in message
    assert "corrupt" not in message


def test_owner_password_only_pdf_is_read():
    from reportlab.lib.pdfencrypt import StandardEncryption

    data = report(StandardEncryption("", ownerPassword="owner", canPrint=0))
    assert "规章\t3" in ingest_pdf(data, "r.pdf").text.splitlines()


def test_corrupt_bytes_are_not_called_encrypted():
    with pytest.raises(InputDocumentError, match="cannot be read as a PDF") as err:
        ingest_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 50, "r.pdf")
    assert "password" not in str(err.value)


def test_shading_boxes_behind_prose_do_not_make_a_table():
    pdf, buffer = canvas()
    pdf.setFillColorRGB(1, 1, 1)
    for y in (760, 740):  # Word's white boxes behind each prose line, stacked edge to edge
        pdf.rect(70, y - 6, 460, 20, stroke=0, fill=1)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawString(72, 760, "本机关认真贯彻落实条例。")
    pdf.drawString(72, 740, "全年主动公开信息。")
    ruled_table(pdf, [["信息内容", "本年制发件数"], ["规章", "3"]], top=720)
    pdf.save()
    lines = ingest_pdf(buffer.getvalue(), "r.pdf").text.splitlines()
    assert lines[:2] == ["本机关认真贯彻落实条例。", "全年主动公开信息。"]
    assert "信息内容\t本年制发件数" in lines and "规章\t3" in lines


def test_a_spanning_cell_keeps_the_grid_positions():
    pdf, buffer = canvas()
    left, top, w, h = 72, 700, 100, 24
    pdf.rect(left, top - h, 2 * w, h, stroke=1, fill=0)  # one cell over two columns
    pdf.drawString(left + 4, top - h + 8, "行政复议")
    for c, text in enumerate(["维持", "纠正"]):
        pdf.rect(left + c * w, top - 2 * h, w, h, stroke=1, fill=0)
        pdf.drawString(left + c * w + 4, top - 2 * h + 8, text)
    for c, text in enumerate(["1", "2"]):
        pdf.rect(left + c * w, top - 3 * h, w, h, stroke=1, fill=0)
        pdf.drawString(left + c * w + 4, top - 3 * h + 8, text)
    pdf.save()
    lines = ingest_pdf(buffer.getvalue(), "r.pdf").text.splitlines()
    assert lines == ["行政复议\t", "维持\t纠正", "1\t2"]


def test_rulings_snap_and_join_into_one_grid():
    # two horizontal rulings drawn in pieces with 2 pt gaps and 1 pt offsets, three verticals
    pieces = [Edge(False, 0, 48, 0, 0), Edge(False, 50, 100, 1, 1),
              Edge(False, 0, 100, 20, 20), Edge(False, 0, 100, 40, 40)]
    verticals = [Edge(True, x, x, 0, 40) for x in (0, 50.5, 100)]
    edges = merge_edges(pieces + verticals)
    assert sum(not e.vertical for e in edges) == 3  # the broken top ruling is one edge
    tables = find_tables(edges)
    assert len(tables) == 1 and len(tables[0].cells) == 4
    assert [len(row) for row in tables[0].rows()] == [2, 2]


def test_characters_go_to_the_cell_holding_their_centre():
    from extractor.ingest.pdf_grid import Table, table_text

    table = Table([(0, 0, 50, 20), (50, 0, 100, 20)])
    chars = [Char("4", 46, 53, 5, 15, 10), Char("7", 52, 58, 5, 15, 10)]  # centres 49.5, 55
    [(_, _, texts)] = table_text(table, chars)
    assert texts == ["4", "7"]


def test_concurrent_threads_read_the_same_text():
    data = report()
    expected = ingest_pdf(data, "r.pdf").text
    results: list[str] = []

    def work():
        for _ in range(5):
            results.append(ingest_pdf(data, "r.pdf").text)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 20


# A lone character of a font the PDF does not embed is drawn (and read) by PDFium only when a
# system font has its glyph; U+E000 (private use) is in none, so it stands for a CJK character
# on a machine without Chinese fonts.
def lone_glyph_report() -> bytes:
    pdf, buffer = canvas()
    pdf.drawString(72, 760, "二、主动公开政府信息情况")
    pdf.drawString(72, 740, "\ue000")
    pdf.drawString(72, 720, " ")  # a lone space: an empty box too, but Helvetica is always drawn
    pdf.setFont("Helvetica", 12)
    pdf.drawString(72, 700, " ")
    pdf.save()
    return buffer.getvalue()


def test_a_text_object_pdfium_drops_for_want_of_glyphs_is_counted():
    from extractor.ingest.pdf_pdfium import PDFIUM_LOCK, open_document, read_page

    with PDFIUM_LOCK:
        doc = open_document(lone_glyph_report())
        content = read_page(doc, 0)
        doc.close()
    assert "".join(c.text for c in content.chars).startswith("二、主动公开")
    # the private-use character and the CJK font's lone space (PDFium cannot tell them apart);
    # not the Helvetica space
    assert content.lost_text == ["STSong-Light", "STSong-Light"]


def test_lost_text_is_a_review_check_on_a_machine_without_chinese_fonts(tmp_path, monkeypatch):
    import extractor.ingest.pdf as pdf_module
    from extractor.pipeline import run
    from extractor.settings import Settings

    path = tmp_path / "lone.pdf"
    path.write_bytes(lone_glyph_report())
    assert ingest_pdf(path.read_bytes(), "lone.pdf").lost == [] or not pdf_module.reads_unembedded_cjk()
    monkeypatch.setattr(pdf_module, "reads_unembedded_cjk", lambda: False)  # no Chinese font here
    [lost] = ingest_pdf(path.read_bytes(), "lone.pdf").lost
    assert "2 text pieces on pages [1]" in lost and "STSong-Light" in lost and "apt install" in lost
    record = run(path, Settings(llm="off")).record
    checks = [c for c in record.checks if c.rule == "ingest.text_lost"]
    assert len(checks) == 1 and checks[0].severity == "error" and checks[0].message == lost


def test_the_font_probe_answers_for_this_machine():
    from extractor.ingest.pdf_pdfium import reads_unembedded_cjk

    assert reads_unembedded_cjk() in (True, False)  # it opens and reads its own probe PDF

"""A hostile corpus for ``nianbao extract``, generated on the fly (nothing large is committed).

:func:`write_corpus` writes into a folder a few KB–MB of files that each attack one defence of
ingest — HTML span, cell-count and many-table bombs, a page nested 100 000 deep, DOCX deflate
bombs (one with an honest header, one whose header lies), a DOCX declaring a huge merged grid, an
8 GiB sparse file, a password-protected PDF, a symbolic link loop, a dangling link, an empty file
— next to good reports copied from the eval set (and one padded into a large but legal DOCX),
whose gold records say what each must read. Every hostile file names the pattern its ``failed`` record's error must match.

Used by ``tests/test_hostile.py`` and ``bench/bench_hostile.py``; also a command::

    python tests/hostile_corpus.py DIR      # write the corpus into DIR and list it
"""
from __future__ import annotations

import functools
import io
import random
import shutil
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "evals" / "dataset"
_MB = 1 << 20
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass(frozen=True)
class HostileFile:
    """One attack: the file's name, what it is, and a regex its failed record's error matches."""

    name: str
    kind: str
    expect: str
    write: Callable[[Path], None]


@dataclass(frozen=True)
class GoodFile:
    """A real report of the eval set, copied in; ``gold`` is what it must read."""

    name: str
    source: Path
    gold: Path


@dataclass(frozen=True)
class Corpus:
    folder: Path
    hostile: tuple[HostileFile, ...]
    good: tuple[GoodFile, ...]


# --------------------------------------------------------------------------- HTML
def _html(body: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def write_colspan_bomb(path: Path) -> None:
    """~20 KB declaring a 1000 × 10⁶ grid: one row of 1000 cells each spanning 1000 columns
    (the HTML maximum), then 999 one-cell rows."""
    wide = "<tr>" + "<td colspan=1000>1" * 1000 + "</tr>"
    path.write_text(_html("<table>" + wide + "<tr><td>1" * 999 + "</table>"), encoding="utf-8")


def write_rowspan_bomb(path: Path) -> None:
    """Every cell of 2000 rows spans all rows below it and 1000 columns: each pushes the cells
    of every later row right, so the declared grid grows with the square of the row count."""
    rows = "<tr><td rowspan=65534 colspan=1000>1" * 2000
    path.write_text(_html("<table>" + rows + "</table>"), encoding="utf-8")


def write_cell_count_bomb(path: Path) -> None:
    """10⁶ real one-digit cells (1000 × 1000, 5 MB of tags, no spans): each cell costs time."""
    row = "<tr>" + "<td>7" * 1000
    path.write_text(_html("<table>" + row * 1000 + "</table>"), encoding="utf-8")


def write_many_tables(path: Path) -> None:
    """50 one-row tables of 90 cells spanning 1000 columns each: every table is under the
    per-table grid cap, 4500 cells in all, but together they span 4.5 × 10⁶ grid positions."""
    table = "<table><tr>" + "<td colspan=1000>1" * 90 + "</table>"
    path.write_text(_html(table * 50), encoding="utf-8")


def write_deep_nesting(path: Path) -> None:
    """100 000 unclosed <div>s, far past libxml2's depth limit."""
    path.write_text(_html("<div>字" * 100_000), encoding="utf-8")


# --------------------------------------------------------------------------- DOCX
def _zip_bytes(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from deflated members ``(name, deflated, crc, declared_size)``; the
    declared size goes into both headers as given, so an archive can lie about it."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in members:
        offset = out.tell()
        raw = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                              len(raw), 0) + raw + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                                  len(data), size, len(raw), 0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                          len(central.getvalue()), start, 0))
    return out.getvalue()


def _member(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


_PACKAGE = [
    _member("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>').encode()),
    _member("_rels/.rels", (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
        '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>').encode()),
]


@functools.cache
def _spaces_bomb(gib: float) -> tuple[bytes, int, int]:
    """A deflate stream of a document.xml whose one run holds ``gib`` GiB of spaces, with its
    CRC and size. Each 1 MiB of spaces is compressed once after a full flush (so its 1 KB of
    output does not depend on what came before) and repeated: built in milliseconds."""
    head = f'<w:document xmlns:w="{_W_NS}"><w:body><w:p><w:r><w:t>'.encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    chunk, count = b" " * _MB, int(gib * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "zlib no longer compresses a flushed block independently"
    last = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return first + block * count + last, crc, len(head) + count * _MB + len(tail)


def write_deflate_bomb(path: Path) -> None:
    """1 MB that unpacks to a 1 GiB document.xml; the zip headers say so."""
    data, crc, size = _spaces_bomb(1.0)
    path.write_bytes(_zip_bytes([*_PACKAGE, ("word/document.xml", data, crc, size)]))


def write_lying_deflate_bomb(path: Path) -> None:
    """The same 1 GiB stream, but the headers claim 150 MB: under the archive limit and a
    believable compression ratio, so only the capped read of the text part stops it."""
    data, crc, _ = _spaces_bomb(1.0)
    path.write_bytes(_zip_bytes([*_PACKAGE, ("word/document.xml", data, crc, 150 * _MB)]))


def _docx(body_xml: str) -> bytes:
    xml = f'<w:document xmlns:w="{_W_NS}"><w:body>{body_xml}</w:body></w:document>'.encode()
    return _zip_bytes([*_PACKAGE, _member("word/document.xml", xml)])


def write_docx_grid_bomb(path: Path) -> None:
    """A table of 3000 rows, each one cell declaring gridSpan 10⁹ and vMerge (≈ 150 KB)."""
    row = ('<w:tr><w:tc><w:tcPr><w:gridSpan w:val="1000000000"/><w:vMerge w:val="restart"/>'
           '</w:tcPr><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc></w:tr>')
    path.write_bytes(_docx(f"<w:tbl>{row * 3000}</w:tbl>"))


# The padding of the large DOCX: characters of the 千字文 that the report itself does not use,
# so no run of them can spell a form label or a number.
_FILLER = ("天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水"
           "玉出昆冈剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳")
LARGE_DOCX_XML_MB = 20  # under NIANBAO_MAX_DOCX_XML_MB (24)


def write_large_legal_docx(path: Path, source: Path, xml_mb: float = LARGE_DOCX_XML_MB) -> None:
    """A real report (``source``, a DOCX of the eval set) padded at its end with ``xml_mb`` MB of
    Word-style markup (every run with its fonts and size, as Word writes them) around varied
    prose: within every limit, so it must be read as the report it is."""
    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts["word/document.xml"].decode("utf-8")
    used = set(xml)
    letters = [c for c in _FILLER if c not in used]
    rng = random.Random(12)
    run = ('<w:r><w:rPr><w:rFonts w:ascii="仿宋_GB2312" w:eastAsia="仿宋_GB2312" w:hAnsi="仿宋_GB2312" '
           'w:cs="仿宋_GB2312" w:hint="eastAsia"/><w:color w:val="000000"/><w:kern w:val="0"/>'
           '<w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr><w:t>{}</w:t></w:r>')
    para = ('<w:p><w:pPr><w:spacing w:line="560" w:lineRule="exact"/><w:ind w:firstLine="640"/>'
            '</w:pPr>{}</w:p>')
    pieces, size = [], 0
    while size < xml_mb * _MB:
        runs = "".join(run.format("".join(rng.choices(letters, k=rng.randint(8, 30))) + "。")
                       for _ in range(rng.randint(2, 6)))
        piece = para.format(runs)
        pieces.append(piece)
        size += len(piece.encode("utf-8"))
    cut = xml.rindex("<w:sectPr")
    parts["word/document.xml"] = (xml[:cut] + "".join(pieces) + xml[cut:]).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


# --------------------------------------------------------------------------- files
def write_sparse(path: Path, gib: int = 8) -> None:
    """An ``gib`` GiB file that costs no disk: a hole, never written."""
    with path.open("wb") as handle:
        handle.truncate(gib << 30)


def write_encrypted_pdf(path: Path) -> None:
    """A one-page PDF with a user password (reportlab, a test dependency)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt="secret")
    pdf.drawString(72, 720, "2023 annual report")
    pdf.showPage()
    pdf.save()
    path.write_bytes(buffer.getvalue())


def write_symlink_loop(path: Path) -> None:
    """``path`` → ``<stem>_b<suffix>`` → ``path``; only ``path`` has a supported suffix."""
    other = path.with_name(path.stem + "_b.lnk")
    other.symlink_to(path.name)
    path.symlink_to(other.name)


def write_dangling_link(path: Path) -> None:
    path.symlink_to(path.with_name("no_such_report.pdf").name)


def write_empty(path: Path) -> None:
    path.write_bytes(b"")


# --------------------------------------------------------------------------- the corpus
LARGE_DOCX_SOURCE = DATASET / "docs" / "r02-002-docx.docx"
GOOD: tuple[tuple[str, str], ...] = (  # (name in the corpus, eval-set case file stem)
    ("good_report.txt", "000_b3cbf005723c64d9"),
    ("good_report.html", "r01-000-html"),
    ("good_report.docx", "r02-002-docx"),
    ("good_report.pdf", "r03-003-pdf"),
)
LARGE_DOCX = "large_legal.docx"  # good too: the padded r02-002-docx

_GRID = r"declares a grid"
_TOO_BIG = r"larger than .*NIANBAO_MAX_FILE_MB"
HOSTILE: tuple[HostileFile, ...] = (
    HostileFile("colspan_bomb.html", "HTML colspan bomb (1000 × 10⁶ declared)", _GRID, write_colspan_bomb),
    HostileFile("rowspan_bomb.html", "HTML rowspan bomb (2000 rows × 65534)", _GRID, write_rowspan_bomb),
    HostileFile("cell_count_bomb.html", "HTML 10⁶ cells (1000 × 1000)", r"has 1000000 table cells",
                write_cell_count_bomb),
    HostileFile("many_tables.html", "HTML 50 tables × 90 000 grid cells", r"span more than \d+ cells together",
                write_many_tables),
    HostileFile("deep_nesting.html", "HTML nested 100 000 deep", r"nests more than", write_deep_nesting),
    HostileFile("deflate_bomb.docx", "DOCX deflate bomb (1 MB → 1 GiB)", r"zip bomb", write_deflate_bomb),
    HostileFile("deflate_bomb_lying.docx", "DOCX deflate bomb, header claims 150 MB", r"MAX_DOCX_XML_MB",
                write_lying_deflate_bomb),
    HostileFile("grid_bomb.docx", "DOCX gridSpan 10⁹ × 3000 rows", _GRID, write_docx_grid_bomb),
    HostileFile("sparse_8g.pdf", "8 GiB sparse file", _TOO_BIG, write_sparse),
    HostileFile("sparse_8g.txt", "8 GiB sparse file", _TOO_BIG, write_sparse),
    HostileFile("encrypted.pdf", "password-protected PDF", r"password", write_encrypted_pdf),
    HostileFile("loop.pdf", "symbolic link loop", r"symbolic link loop", write_symlink_loop),
    HostileFile("dangling.pdf", "dangling symbolic link", r"does not exist", write_dangling_link),
    HostileFile("empty.txt", "0-byte file", r"empty \(0 bytes\)", write_empty),
)


def write_corpus(folder: Path) -> Corpus:
    """Write every hostile file and the good reports into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for item in HOSTILE:
        item.write(folder / item.name)
    good = []
    for name, stem in GOOD:
        source = next((DATASET / "docs").glob(stem + ".*"))
        shutil.copyfile(source, folder / name)
        good.append(GoodFile(name, source, DATASET / "gold" / f"{stem}.json"))
    write_large_legal_docx(folder / LARGE_DOCX, LARGE_DOCX_SOURCE)
    good.append(GoodFile(LARGE_DOCX, LARGE_DOCX_SOURCE, DATASET / "gold" / "r02-002-docx.json"))
    return Corpus(folder, HOSTILE, tuple(good))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    corpus = write_corpus(Path(argv[0]))
    for item in corpus.hostile:
        print(f"{item.name:28} {item.kind}")
    for item in corpus.good:
        print(f"{item.name:28} good: {item.gold.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

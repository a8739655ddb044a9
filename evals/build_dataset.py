"""Build ``evals/dataset`` (docs, gold, manifest.json): deterministic and re-runnable.

    python -m evals.build_dataset            # rebuild in place
    python -m evals.build_dataset --check    # rebuild into a temp folder and diff (exit 1 on change)

Cases:

* ``seed-*``: the five labelled samples of ``../shared/evalset`` (copied; when that folder is absent
  the copies already in the dataset are kept). Their gold gets ``source`` and ``layout``.
* ``ext-*``: the three real PDFs of ``../shared/evalset-external``, referenced by relative path and
  never copied (the eval skips them when they are absent).
* cases it does not make (``nianbao promote``, hand-added) are kept in the manifest as they are;
* ``r*``: reports rendered by :mod:`evals.render` from a seed's gold or from a seeded synthetic
  record, in another layout (HTML, DOCX, PDF, pdf_text, pipe/tab rows, GBK text) and with the
  variants real reports show (blank/"—" cells, split labels, full-width digits, a split number,
  thousands separators, a single （六） row, the 2019 template). Their gold is
  ``render.expected_record``. Two of them have arithmetic errors planted in the record they are
  rendered from: the gold keeps the printed numbers and lists every broken equation in
  ``source_errors``.
"""
from __future__ import annotations

import argparse
import copy
import filecmp
import hashlib
import io
import json
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from evals import DEFAULT_DATASET, EVALS_DIR
from evals.dataset import MANIFEST, file_source
from schemas import get_path, set_path
from schemas.template import equations

REPO_ROOT = EVALS_DIR.parent
SHARED_SEEDS = REPO_ROOT.parent / "shared" / "evalset"
SHARED_EXTERNAL = REPO_ROOT.parent / "shared" / "evalset-external"
# crawler text dumps with run-together cells, read in place: (stem, template, rules it violates)
PUBLIC = {"pub-pt-gwh-2022": ("pt_gwh_2022", "gov2021", ()),
          "pub-pt-hzs-2024": ("pt_hzs_2024", "gov2021", ("appeals.group_sum",)),
          "pub-pt-zrz-2019": ("pt_zrz_2019", "gov2019", ()),
          "pub-pt-zrz-2017": ("pt_zrz_2017", "legacy", ())}
SEEDS = ("000_b3cbf005723c64d9", "001_b866f9b967b7ab9b", "002_80089ffcafa3ad57",
         "003_e296cff3f23d13d6", "004_0df43d9c0ca88a9d")
EXTERNAL = {
    # id: (file stem, checker rules the published document itself violates)
    "ext-hongze-2023": ("hongze_gov_2023", ("appeals.group_sum",)),
    "ext-hongze-2024": ("hongze_gov_2024", ()),
    "ext-huaian-2024": ("huaian_gov_2024", ()),
}
BUILDER_TAGS = frozenset({"seed", "external", "rendered"})  # the cases this script makes
CONTRACT_KEYS = ("agency", "year", "template", "proactive", "requests", "appeals", "summary")


@dataclass(frozen=True)
class Planted:
    """A cell of the source record changed before rendering: the document's own error."""

    path: str
    delta: int
    why: str


@dataclass(frozen=True)
class Rendered:
    id: str
    base: str  # a seed stem, or "synthetic:<seed>"
    layout: str
    variants: tuple[str, ...] = ()
    seed: int = 0
    planted: tuple[Planted, ...] = ()
    tags: tuple[str, ...] = ()
    notes: str = ""


RENDERED: tuple[Rendered, ...] = (
    Rendered("r01-000-html", SEEDS[0], "html", tags=("layout",)),
    Rendered("r02-002-docx", SEEDS[2], "docx", tags=("layout",)),
    Rendered("r03-003-pdf", SEEDS[3], "pdf", tags=("layout", "pdf")),
    Rendered("r04-004-pdf-text", SEEDS[4], "pdf_text", tags=("layout", "pdf")),
    Rendered("r05-000-pipe-md", SEEDS[0], "pipe_md", tags=("layout",)),
    Rendered("r06-002-tab-txt", SEEDS[2], "tab_txt", tags=("layout",)),
    Rendered("r07-003-gbk-txt", SEEDS[3], "gbk_txt", tags=("layout", "encoding")),
    Rendered("r08-004-blank-zeros", SEEDS[4], "cells_txt", ("blank_zeros",), seed=1,
             tags=("blank_cells",), notes="zeros printed as “—”"),
    Rendered("r09-000-split-labels", SEEDS[0], "html", ("split_labels",), tags=("split_labels",)),
    Rendered("r10-002-fullwidth", SEEDS[2], "tab_txt", ("fullwidth",), tags=("fullwidth",)),
    Rendered("r11-003-split-number", SEEDS[3], "cells_txt", ("split_number",), seed=2,
             tags=("split_number",)),
    Rendered("r12-syn10-thousands", "synthetic:10", "docx", ("thousands",), seed=10,
             tags=("thousands", "synthetic")),
    Rendered("r13-000-single-other", SEEDS[0], "html", ("single_other_row",),
             tags=("single_other_row",)),
    Rendered("r14-002-template2019", SEEDS[2], "cells_txt", ("template2019",),
             tags=("template2019",)),
    Rendered("r15-syn12-template2019-pdf", "synthetic:12", "pdf", ("template2019",), seed=12,
             tags=("template2019", "pdf", "synthetic")),
    Rendered("r16-004-source-error", SEEDS[4], "tab_txt", seed=16,
             planted=(Planted("requests.total.total", 1, "（七）总计 printed one too high"),),
             tags=("source_error",)),
    Rendered("r17-syn23-source-error", "synthetic:23", "pipe_md", seed=23,
             planted=(Planted("appeals.review.total", -1, "行政复议 总计 one short of its parts"),),
             tags=("source_error", "synthetic")),
    Rendered("r18-004-blanks-fullwidth-gbk", SEEDS[4], "gbk_txt",
             ("blank_zeros", "mixed_blanks", "fullwidth"), seed=3,
             tags=("blank_cells", "fullwidth", "encoding")),
    Rendered("r19-syn5-pdf-text-thousands", "synthetic:5", "pdf_text",
             ("thousands", "year_in_labels"), seed=5, tags=("thousands", "pdf", "synthetic")),
    Rendered("r20-syn31-html-split", "synthetic:31", "html",
             ("split_labels", "title_split", "no_summary_prose"), seed=31,
             tags=("split_labels", "synthetic")),
    Rendered("r21-003-docx-blank-split", SEEDS[3], "docx", ("blank_zeros", "split_labels"), seed=4,
             tags=("blank_cells", "split_labels")),
    Rendered("r22-syn24-pdf-text-split-number", "synthetic:24", "pdf_text",
             ("centered_spans", "split_number"), seed=24,
             tags=("split_number", "pdf", "synthetic")),
    # crawler dumps: every table row's cells run together (decoded by the template's equations)
    *(Rendered(f"r{23 + i}-{SEEDS[k][:3]}-run-together", SEEDS[k], "crawler_txt", seed=k,
               tags=("run_together",)) for i, k in enumerate((0, 2, 3, 4))),
)


@dataclass
class Built:
    cases: list[dict] = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------------
def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def stable_zip(data: bytes) -> bytes:
    """A DOCX with fixed member timestamps, so a rebuild gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def arithmetic_errors(record: dict) -> list[str]:
    """Every equation of the template the record breaks, as ``rule [item]: … (cells …)``
    (computed here, independently of the checker the tests compare it with)."""
    out = []
    for eq in equations(record.get("template") or "gov2021"):
        values = [get_path(record, p) for p in eq.cells]
        if any(v is None for v in values):
            continue
        left = sum(get_path(record, p) for p in eq.left)
        right = sum(get_path(record, p) for p in eq.right)
        if abs(left - right) > 1e-6:
            out.append(f"{eq.rule} {eq.title}: {left:g} ≠ {right:g} (cells {', '.join(eq.cells)})")
    return out


# --- seeds and external ---------------------------------------------------------------------------
def seed_gold(stem: str, out: Path) -> dict:
    """Copy one seed (doc + gold) and complete its gold with ``source`` and ``layout``."""
    docs, gold_dir = out / "docs", out / "gold"
    src_doc, src_gold = SHARED_SEEDS / "docs" / f"{stem}.txt", SHARED_SEEDS / "gold" / f"{stem}.json"
    here_doc, here_gold = DEFAULT_DATASET / "docs" / f"{stem}.txt", DEFAULT_DATASET / "gold" / f"{stem}.json"
    doc = src_doc if src_doc.is_file() else here_doc
    if not doc.is_file():
        raise SystemExit(f"seed {stem} not found in {SHARED_SEEDS} nor in {DEFAULT_DATASET}")
    if doc.resolve() != (docs / doc.name).resolve():
        shutil.copyfile(doc, docs / doc.name)
    gold = json.loads((src_gold if src_gold.is_file() else here_gold).read_text(encoding="utf-8"))
    gold = {k: v for k, v in gold.items() if k not in ("source", "layout")}
    gold = {"source": file_source(docs / doc.name), "layout": "seed_txt", **gold}
    write_json(gold_dir / f"{stem}.json", gold)
    return gold


def seed_cases(out: Path) -> list[dict]:
    cases = []
    for stem in SEEDS:
        gold = seed_gold(stem, out)
        cases.append({"id": f"seed-{stem[:3]}", "doc": f"docs/{stem}.txt", "gold": f"gold/{stem}.json",
                      "layout": "seed_txt", "template": gold["template"], "tags": ["seed", "real"]})
    return cases


def external_cases() -> list[dict]:
    rel = Path("..", "..", "..", "shared", "evalset-external")
    return [{"id": case_id, "doc": (rel / "docs" / f"{stem}.pdf").as_posix(),
             "gold": (rel / "gold" / f"{stem}.json").as_posix(), "layout": "pdf_real",
             "template": "gov2021", "tags": ["external", "real", "pdf"], "external": True,
             **({"source_error_rules": list(rules)} if rules else {})}
            for case_id, (stem, rules) in EXTERNAL.items()]


# --- rendered ------------------------------------------------------------------------------------
def public_cases() -> list[dict]:
    """The labelled crawler dumps of ../shared/evalset-public, referenced in place, never copied."""
    rel = Path("..", "..", "..", "shared", "evalset-public")
    return [{"id": case_id, "doc": (rel / "docs" / f"{stem}.txt").as_posix(),
             "gold": (rel / "gold" / f"{stem}.json").as_posix(), "layout": "crawler_txt",
             "template": template, "tags": ["external", "real", "public", "run_together"],
             "external": True, **({"source_error_rules": list(rules)} if rules else {})}
            for case_id, (stem, template, rules) in PUBLIC.items()]


def base_record(spec: Rendered, seeds: dict[str, dict]) -> dict:
    from evals import render

    if spec.base.startswith("synthetic:"):
        return render.synthetic_record(int(spec.base.split(":", 1)[1]))
    return {k: copy.deepcopy(seeds[spec.base][k]) for k in CONTRACT_KEYS}


def plant_errors(record: dict, planted: tuple[Planted, ...]) -> dict:
    out = copy.deepcopy(record)
    for p in planted:
        set_path(out, p.path, get_path(out, p.path) + p.delta)
    return out


def render_case(spec: Rendered, seeds: dict[str, dict], out: Path) -> dict:
    from evals import render

    record = plant_errors(base_record(spec, seeds), spec.planted)
    variants = frozenset(spec.variants)
    suffix, data = render.render_report(record, spec.layout, variants=variants, seed=spec.seed)
    if suffix == ".docx":
        data = stable_zip(data)
    doc = out / "docs" / f"{spec.id}{suffix}"
    doc.write_bytes(data)
    expected = render.expected_record(record, variants)
    errors = arithmetic_errors(expected)
    gold = {
        "doc": doc.name,
        "source": file_source(doc),
        "provenance": (f"rendered by evals/render/ from {spec.base} (layout {spec.layout}, "
                       f"variants {sorted(variants) or 'none'}, seed {spec.seed}); "
                       "gold = render.expected_record"),
        "layout": spec.layout,
        "variants": sorted(variants),
        **expected,
        "source_errors": errors,
        "notes": "; ".join(filter(None, [spec.notes] + [f"planted in the document: {p.path} "
                                                         f"{p.delta:+d} ({p.why})" for p in spec.planted])),
    }
    write_json(out / "gold" / f"{spec.id}.json", gold)
    return {"id": spec.id, "doc": f"docs/{doc.name}", "gold": f"gold/{spec.id}.json",
            "layout": spec.layout, "template": expected["template"],
            "tags": ["rendered", *spec.tags], "variants": sorted(variants)}


def builder_owned(entry: dict) -> bool:
    return bool(BUILDER_TAGS & set(entry.get("tags", ())))


def kept_cases(manifest: Path, built: set[str]) -> list[dict]:
    """Cases this script does not make (promoted from the review store, added by hand): a rebuild
    keeps them as they are."""
    if not manifest.is_file():
        return []
    entries = json.loads(manifest.read_text(encoding="utf-8")).get("cases", [])
    return [e for e in entries if e.get("id") not in built and not builder_owned(e)]


def build(out: Path) -> list[dict]:
    """Write every case into ``out`` and return the manifest entries."""
    try:  # reportlab: no creation date or random document id in the PDFs
        from reportlab import rl_config

        rl_config.invariant = 1
    except ImportError:
        pass
    (out / "docs").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    cases = seed_cases(out)
    seeds = {stem: json.loads((out / "gold" / f"{stem}.json").read_text(encoding="utf-8"))
             for stem in SEEDS}
    cases += external_cases()
    cases += public_cases()
    cases += [render_case(spec, seeds, out) for spec in RENDERED]
    cases += kept_cases(out / MANIFEST, {c["id"] for c in cases})
    manifest = {"version": 1,
                "description": "nianbao eval set: built by `python -m evals.build_dataset`; "
                               "paths are relative to this folder",
                "cases": cases}
    write_json(out / MANIFEST, manifest)
    return cases


BINARY_SUFFIXES = (".pdf", ".docx")


def differences(a: Path, b: Path, ignore_binary: bool = False) -> list[str]:
    """Files that differ between two dataset folders. ``ignore_binary``: PDF and DOCX bytes (and
    the ``source`` of their golds) may differ, as other reportlab/python-docx versions write them."""
    cmp = filecmp.dircmp(a, b)
    out = [f"{p}: {n}" for p, names in (("only in dataset", cmp.left_only),
                                         ("only in rebuild", cmp.right_only)) for n in names]
    for name in cmp.diff_files:
        if ignore_binary and (name.endswith(BINARY_SUFFIXES) or same_gold(a / name, b / name)):
            continue
        out.append(f"differs: {name}")
    for sub in cmp.subdirs:
        out += [f"{sub}/{line}" for line in differences(a / sub, b / sub, ignore_binary)]
    return out


def same_gold(a: Path, b: Path) -> bool:
    """Two golds equal but for the ``source`` of a binary document."""
    if a.suffix != ".json" or a.name == MANIFEST:
        return False
    ga, gb = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b))
    if not str(ga.get("doc", "")).endswith(BINARY_SUFFIXES):
        return False
    return {k: v for k, v in ga.items() if k != "source"} == {k: v for k, v in gb.items() if k != "source"}


def copy_kept(dataset: Path, tmp: Path) -> None:
    """Put the cases this script does not make into ``tmp`` so ``--check`` compares the rest."""
    manifest = dataset / MANIFEST
    if not manifest.is_file():
        return
    shutil.copyfile(manifest, tmp / MANIFEST)
    for entry in kept_cases(manifest, set()):
        for key in ("doc", "gold"):
            src = dataset / entry[key]
            if src.is_file() and dataset.resolve() in src.resolve().parents:
                (tmp / entry[key]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, tmp / entry[key])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary folder and report differences")
    parser.add_argument("--ignore-binary", action="store_true",
                        help="with --check: PDF/DOCX bytes may differ (other library versions)")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            copy_kept(args.out, Path(tmp))
            build(Path(tmp))
            diff = differences(args.out, Path(tmp), args.ignore_binary)
        print("\n".join(diff) or "dataset is up to date")
        return 1 if diff else 0
    cases = build(args.out)
    digest = hashlib.sha256((args.out / MANIFEST).read_bytes()).hexdigest()[:12]
    print(f"{len(cases)} cases written to {args.out} (manifest {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

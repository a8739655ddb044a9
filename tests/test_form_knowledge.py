"""Form knowledge lives in ``schemas/`` only (issue 9): no module of ``extractor/`` or ``evals/``
spells a row, column, table or section label of the national form, or a field list of the
template. A new label variant is then a one-place change (ARCHITECTURE.md, "Where to change what")."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from schemas import template

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("extractor",)
_NON_WORD = re.compile(r"[\W\d_a-zA-Z]+")


def _squeeze(text: str) -> str:
    return _NON_WORD.sub("", text)


def form_labels() -> set[str]:
    """Every label text and keyword the template declares, squeezed (CJK only), 4+ characters."""
    labels: set[str] = set()
    groups = (template.APPLICANT_COLUMNS, template.REQUEST_ROWS, template.APPEAL_COLUMNS,
              template.APPEAL_GROUPS, template.PROACTIVE_DOC_ROWS, template.PROACTIVE_DOC_COLUMNS,
              template.PROACTIVE_SINGLE_ROWS, template.SUMMARY_FIELDS)
    for group in groups:
        for label in group:
            labels.add(_squeeze(label.text))
            labels.update(_squeeze(k) for k in label.keywords)
    for table in template.TABLES:
        labels.add(_squeeze(table.title))
        labels.update(_squeeze(h) for h in table.headings)
    return {label for label in labels if len(label) >= 4}


def string_literals(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_form_label_outside_schemas():
    labels = form_labels()
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, text in string_literals(path):
                flat = _squeeze(text)
                hits = sorted(label for label in labels if label in flat)
                if hits:
                    found.append(f"{path.relative_to(ROOT)}:{line}: {hits[0]}")
    assert not found, "form labels outside schemas/ (declare them in schemas/template.py):\n" + "\n".join(found)

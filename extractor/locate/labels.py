"""Label normalisation and matching against the template's keywords (schemas.template)."""
from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence

from schemas.grammar import nfkc
from schemas.template import REQUEST_ROWS, Label

# numbering at the start of a label: 一、 （一） (1) 1. 1、 ① …
_NUMBERING = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十]+[）)、.．]|[（(]\d+[）)]|\d+[.．、,，]|[①-⑳])+")
# markup left in text exports: [bookmark: _Hlk…], <br>, <b>…</b>
_MARKUP = re.compile(r"\[bookmark:[^\]]*\]|</?[a-zA-Z][a-zA-Z0-9]{0,8}\s*/?>")
# short asides inside labels: 本年(2022)新收, 现行有效件数(历年), 总计（件）
_ASIDE = re.compile(r"[（(]\s*(?:\d{4}\s*年?度?|历年|件|个|条|次|单位[:：]?[^（()）]{0,4})\s*[）)]")
_DROP = re.compile(r"[\s\u3000“”\"'‘’「」『』《》<>·•…:：;；,，。、()（）【】\[\]_*|]+")


@lru_cache(maxsize=65536)
def normalize_label(text: str) -> str:
    """Fold width, drop whitespace/punctuation/numbering: '（三）不予 公开' → '不予公开'."""
    folded = nfkc(text)
    folded = _MARKUP.sub("", folded)
    folded = _ASIDE.sub("", folded.strip())
    folded = _NUMBERING.sub("", folded.replace(" ", "").replace("\u3000", ""))
    return _DROP.sub("", folded)


def keyword_score(label: Label, norm: str) -> int:
    """How well a normalised label matches a template label: length of the best keyword found
    (keywords starting with '=' must equal the whole label), 0 when none matches."""
    best = 0
    for kw in label.keywords:
        if kw.startswith("="):
            if norm == kw[1:]:
                best = max(best, len(kw) + 10)
        elif kw in norm:
            best = max(best, len(kw))
    return best


def names(label: Label, norm: str) -> bool:
    """Whether a normalised label names ``label`` (``best_match((label,), norm)`` without the sort)."""
    return bool(norm) and keyword_score(label, norm) > 0


def best_match(labels: Sequence[Label], norm: str) -> Label | None:
    """The template label with the best keyword match, or None."""
    if not norm:
        return None
    scored = [(keyword_score(lab, norm), i, lab) for i, lab in enumerate(labels)]
    scored = [s for s in scored if s[0] > 0]
    if not scored:
        return None
    scored.sort(key=lambda s: (-s[0], s[1]))
    return scored[0][2]


def first_match(labels: Sequence[Label], norm: str) -> Label | None:
    """The first template label (in template order) that ``norm`` names: for text that may
    also hold fragments of the labels around it."""
    return next((lab for lab in labels if keyword_score(lab, norm) > 0), None)


class LabelMatcher:
    """``best_match`` and ``first_match`` over one fixed sequence of template labels, from a given
    position on. A text's scores against all the labels are computed once and cached: reports
    print the same few hundred labels, and a table's reader matches each row several times."""

    def __init__(self, labels: Sequence[Label], cache_size: int = 16384) -> None:
        self.labels = tuple(labels)
        self._scores = lru_cache(maxsize=cache_size)(self._all_scores)

    def _all_scores(self, norm: str) -> tuple[int, ...]:
        return tuple(keyword_score(lab, norm) for lab in self.labels)

    def best(self, norm: str, start: int = 0) -> Label | None:
        """``best_match(labels[start:], norm)``: the best score, the earliest label on a tie."""
        if not norm:
            return None
        scores = self._scores(norm)
        best, found = 0, None
        for i in range(start, len(scores)):
            if scores[i] > best:
                best, found = scores[i], i
        return None if found is None else self.labels[found]

    def first(self, norm: str, start: int = 0) -> Label | None:
        """``first_match(labels[start:], norm)``."""
        scores = self._scores(norm)
        return next((self.labels[i] for i in range(start, len(scores)) if scores[i] > 0), None)


REQUEST_ROW_MATCHER = LabelMatcher(REQUEST_ROWS)  # 表三's rows, matched row by row in template order

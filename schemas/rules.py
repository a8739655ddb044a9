"""Every check rule, declared once: its name, the stage that emits it, its severity, what it means
and what a reviewer should do about it.

The reader, the LLM step, the checker, the review queue's risk order, the review re-check and the
UI all look rules up here; ``Check.rule`` only accepts these names (the record's JSON Schema lists
them) and a check's severity defaults to, and must equal, the one declared here. To add a rule,
add one ``Rule(...)`` line below. Imports nothing from ``extractor``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal["reader", "llm", "checker", "pipeline"]
SeverityName = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    name: str
    stage: Stage      # who emits it; a re-check re-derives only "checker" rules
    severity: SeverityName
    meaning: str      # one line: what the check says about the record
    action: str       # what the reviewer should do


RULES: tuple[Rule, ...] = (
    # -- the template's arithmetic (schemas.template.RELATIONS) ---------------------------------
    Rule("requests.balance", "checker", "error",
         "表三: 一 + 二 ≠ （七）总计 + 四 in some column",
         "compare the cells with the source; keep the document's numbers if it printed them so"),
    Rule("requests.result_sum", "checker", "error",
         "表三: （七）总计 ≠ the sum of the result rows in some column",
         "compare the result rows with the source; correct a misread cell"),
    Rule("requests.row_sum", "checker", "error",
         "表三: a row's 总计 ≠ the sum of its six applicant columns",
         "check the row's cells against the source, column by column"),
    Rule("appeals.group_sum", "checker", "error",
         "表四: a group's 总计 ≠ 维持 + 纠正 + 其他结果 + 尚未审结",
         "check the group's five cells against the source"),
    Rule("arithmetic.unverifiable", "checker", "warning",
         "null cells stop some equations from being checked",
         "fill the null cells from the source if the document prints them"),
    # -- values --------------------------------------------------------------------------------
    Rule("values.non_negative", "checker", "error", "a count or amount is negative",
         "correct the value from the source"),
    Rule("values.integer", "checker", "error", "a count that must be whole has a fraction",
         "correct the value from the source"),
    # -- grounding -----------------------------------------------------------------------------
    Rule("evidence.grounded", "checker", "error",
         "a value's evidence span is not in the text or does not state the value",
         "find the value in the source; correct it or clear it"),
    Rule("evidence.missing", "checker", "warning", "values with no evidence span",
         "confirm the values against the source"),
    # -- cross-checks --------------------------------------------------------------------------
    Rule("summary.consistency", "checker", "error",
         "a summary figure disagrees with the table cells it restates",
         "correct the table cell or the summary figure so both say what the document says"),
    Rule("narrative.mismatch", "checker", "warning",
         "a figure stated in the prose differs from the table",
         "usually the prose states a subset; check that the table was read right"),
    # -- completeness (pipeline) ---------------------------------------------------------------
    Rule("template.unknown", "pipeline", "error",
         "no known template was recognised, so no table could be read",
         "read the report by hand or with an LLM; set the template"),
    Rule("reader.incomplete", "pipeline", "error",
         "a table the template has was not found, or some of its cells were not read",
         "fill the listed cells from the source (the record is not complete until they are)"),
    Rule("ingest.text_lost", "pipeline", "error",
         "some of the source's text could not be read (a PDF font this machine has no glyphs "
         "for), so values the document states may be missing or misread",
         "install the fonts the message names and extract again, or check the values by hand"),
    Rule("reader.no_title", "reader", "warning",
         "the document has no title line naming the report, so agency/year are uncertain",
         "check agency and year against the source"),
    # -- the deterministic reader --------------------------------------------------------------
    Rule("reader.unplaced", "reader", "warning",
         "value cells of a row could not be placed under its columns; left null",
         "fill the row from the source"),
    Rule("reader.split_number", "reader", "info",
         "a number a PDF split in two was joined because the row's total confirms it",
         "nothing, unless the join looks wrong"),
    Rule("reader.blank_row", "reader", "info",
         "表二 rows printed with no value in a present table were read as blank (0)",
         "nothing, unless the source shows a value"),
    Rule("reader.decoded", "reader", "info",
         "run-together cells were split by the only reading that satisfies the table's arithmetic",
         "nothing, unless the split looks wrong"),
    Rule("reader.ambiguous", "reader", "warning",
         "run-together cells admit several arithmetic-consistent splits; left null",
         "pick the right split from the candidates listed, using the source's HTML or PDF"),
    Rule("reader.prose_conflict", "reader", "warning",
         "the prose states a figure in conflicting ways; left null",
         "read the figure from the source"),
    Rule("reader.approximate", "reader", "info",
         "the prose gives only an approximate figure (余/约/多); left null",
         "nothing: the document does not state an exact figure"),
    # -- the LLM step --------------------------------------------------------------------------
    Rule("llm.disagreement", "llm", "error",
         "the LLM read a different value than the rule reader",
         "decide from the source which reading is right"),
    Rule("llm.grounding", "llm", "error",
         "an LLM answer was rejected: its quote does not state the value at its place",
         "nothing: the value was not used"),
    Rule("llm.approximate", "llm", "info",
         "the LLM's figure is stated only approximately or cumulatively (余/约/历年累计); not used",
         "nothing: the document does not state an exact figure"),
    Rule("llm.reask_exhausted", "llm", "error",
         "the LLM's answers kept violating the table's arithmetic; not used",
         "fill the listed cells from the source"),
    Rule("llm.unavailable", "llm", "error",
         "the LLM endpoint failed for a task; its fields were left open",
         "re-run when the endpoint works, or fill the fields by hand"),
)

RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
RULE_NAMES: tuple[str, ...] = tuple(RULES_BY_NAME)
RuleName = Literal[RULE_NAMES]  # type: ignore[valid-type]


def rule(name: str) -> Rule:
    """The declared rule ``name``; a KeyError names the registry, so a typo fails loudly."""
    try:
        return RULES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a rule declared in schemas/rules.py") from None


def rules_of(stage: Stage) -> frozenset[str]:
    return frozenset(r.name for r in RULES if r.stage == stage)

"""The LLM reader: completes what the deterministic reader left open, with grounded answers.

``LlmReader.complete(doc, record)`` plans the tasks (``settings.llm``: ``auto`` → only the fields
the reader left open — ``record.needs_llm``, null table cells, the summary prose figures, legacy and
unknown templates; ``always`` → every task), runs them through :class:`LlmBackend` (cache, transport
retries, instructor re-asks) and returns a new record: values the reader left null are filled with
``method="llm"`` evidence; values the reader did read are kept, and a differing LLM reading becomes an
``llm.disagreement`` check. Ungrounded values never enter the record."""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from extractor.locate.labels import normalize_label
from extractor.read.llm_client import LlmBackend, Outcome
from extractor.read.llm_quotes import QuoteIndex
from extractor.read.llm_sections import Section, split_sections
from extractor.read.llm_tasks import (
    META_FIELDS,
    PROSE_FIELDS,
    TABLE_SUMMARY_FIELDS,
    TABLES,
    LegacyAnswer,
    Task,
    legacy_summary,
    legacy_tasks,
    stated_fields,
    summary_tasks,
    table_tasks,
)
from extractor.read.reader.legacy import prose_conflicts
from extractor.settings import Settings
from schemas import Check, Document, Record, Span, Summary, get_path, set_path
from schemas.legacy import LegacyIndicator
from schemas.template import SINGLE_OTHER_ABSENT_ROWS, TEMPLATES

log = logging.getLogger(__name__)

# rows the 2019/2020 layout does not have (its single （六） row is other_other)
GOV2019_ABSENT = tuple(f"requests.{row}" for row in SINGLE_OTHER_ABSENT_ROWS)
TEMPLATE_TABLES = {t.key: t.tables for t in TEMPLATES}
DEADLINE_GRACE = 5.0  # seconds past the deadline a document waits for a request that will not end


class LlmReader:
    """Reads, with an OpenAI-compatible LLM, what the rule reader could not."""

    def __init__(self, settings: Settings, **backend_options: Any):
        self.settings = settings
        self.backend = LlmBackend(settings, **backend_options)

    # -- public API ---------------------------------------------------------------------------
    def complete(self, doc: Document, record: Record) -> Record:
        """The record with the LLM's grounded answers merged in. The document's tasks run at once
        (threads; the backend bounds the requests in flight) and all end by its deadline
        (``settings.llm_doc_timeout``): a task still running then is left open with an error."""
        tasks = self.plan(doc, record)
        if not tasks:
            return record
        index = QuoteIndex(doc.text)
        budget = self.settings.llm_doc_timeout
        deadline = time.monotonic() + budget
        pool = ThreadPoolExecutor(max_workers=min(len(tasks), self.settings.concurrency),
                                  thread_name_prefix="nianbao-llm")
        futures = [pool.submit(self.backend.run, task, index, deadline) for task in tasks]
        # every request's timeout ends by the deadline; the grace covers a server that trickles
        done, _ = wait(futures, timeout=budget + DEADLINE_GRACE)
        pool.shutdown(wait=False, cancel_futures=True)
        late = Outcome(error=f"the LLM did not finish this task within NIANBAO_LLM_DOC_TIMEOUT "
                             f"({budget:g}s per document); its fields are left open")
        outcomes = [f.result() if f in done else late for f in futures]
        return merge(record, tasks, outcomes, index, self.settings)

    def plan(self, doc: Document, record: Record) -> list[Task]:
        """The tasks this record needs, each with only the sections it reads."""
        always = self.settings.llm == "always"
        prompts = self.settings.prompts_dir
        needs = set(record.needs_llm)
        tasks: list[Task] = []
        if record.template in ("legacy", "unknown"):
            if always or "legacy_indicators" in needs or not record.legacy_indicators or \
                any(i.value is None for i in record.legacy_indicators):
                tasks += legacy_tasks(doc.text, prompts)
        unknown = record.template == "unknown"  # every table may be there: ask for each, and the template
        for key in TABLES if unknown else TEMPLATE_TABLES.get(record.template, ()):
            if always or unknown or table_open(record, key, needs):
                tasks += table_tasks(doc.text, key, prompts)
        fields = tuple(f for f in (*META_FIELDS, *summary_fields(record, needs))
                       if always or f"summary.{f}" in needs or f in needs or _value(record, f) is None)
        if unknown:
            fields += ("template",)
        if fields:
            tasks += summary_tasks(doc.text, fields, prompts)
        return tasks


def summary_fields(record: Record, needs: set[str]) -> tuple[str, ...]:
    """The prose figures, the figures a table gives when the report has no such table (read from
    its prose), and any other summary field the reader asked for."""
    asked = [p.removeprefix("summary.") for p in sorted(needs) if p.startswith("summary.")]
    tableless = [f for f, cells in TABLE_SUMMARY_FIELDS.items()
                 if all(getattr(record, c.split(".", 1)[0]) is None for c in cells)]
    extra = [f for f in (*tableless, *asked) if f in Summary.model_fields and f not in PROSE_FIELDS]
    return (*PROSE_FIELDS, *dict.fromkeys(extra))


def _value(record: Record, name: str) -> Any:
    return getattr(record, name) if name in META_FIELDS else getattr(record.summary, name, None)


def table_open(record: Record, key: str, needs: set[str]) -> bool:
    """True when the reader asked for the table or left one of its cells null."""
    if any(p == key or p.startswith(key + ".") for p in needs):
        return True
    table = getattr(record, key)
    if table is None:
        return True
    spec = TABLES[key]
    for row in spec.rows:
        if record.template == "gov2019" and f"{key}.{row.key}" in GOV2019_ABSENT:
            continue
        cols = spec.columns_of(row.key)
        if cols != ("value",) and getattr(table, row.key) is None:
            continue  # the reader found no such row (e.g. the single （六） layout)
        if any(get_path(table, spec.path(row.key, c)[len(key) + 1:]) is None for c in cols):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Merging answers into the record
# ---------------------------------------------------------------------------------------------
@dataclass
class Merge:
    data: dict
    evidence: dict[str, Span]
    checks: list[Check]
    template: str
    filled: set[str] = field(default_factory=set)
    indicators: list[dict] = field(default_factory=list)  # read by the LLM, with their spans
    indicator_spans: list[Span] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def put(self, path: str, value: Any, span) -> None:
        """Fill a value the reader left null; report a differing reading of one it did read."""
        if path in self.filled or (self.template == "gov2019" and path.rsplit(".", 1)[0] in GOV2019_ABSENT):
            return
        current = get_path(self.data, path)
        if current is not None:
            if not _same(current, value):
                self.checks.append(Check(
                    rule="llm.disagreement", severity="error", cells=[path],
                    left=_num(current), right=_num(value),
                    message=f"{path}: the reader read {current!r}, the LLM read {value!r} "
                            f"(from {span.text[:60]!r}); the reader's value is kept"))
            return
        set_path(self.data, path, value)
        self.evidence[path] = Span(start=span.start, end=span.end, text=span.text, method="llm")
        self.filled.add(path)


def merge(record: Record, tasks: list[Task], outcomes: list[Outcome], index: QuoteIndex,
          settings: Settings) -> Record:
    """A new record with the grounded answers of ``outcomes`` merged into ``record``."""
    m = Merge(record.model_dump(exclude={"evidence", "checks"}), dict(record.evidence),
              list(record.checks), record.template)
    for task, outcome in zip(tasks, outcomes):
        merge_outcome(m, task, outcome, index)
    if m.indicators:
        merge_legacy_summary(m)
    if record.template == "unknown":
        keep_template_tables(m)
    derive_summary(m)
    answered = any(o.answer is not None for o in outcomes)
    update: dict[str, Any] = {"extracted_by": provenance(record, tasks, outcomes, settings)}
    if m.errors:
        message = "; ".join(dict.fromkeys(m.errors))
        m.checks.append(Check(rule="llm.unavailable", severity="error", message=message))
        m.data["error"] = message
        read = any(getattr(record, k) for k in ("proactive", "requests", "appeals", "legacy_indicators"))
        m.data["status"] = "needs_review" if read or answered else "failed"  # the LLM was the only reader
    elif any(c.severity == "error" and c.rule.startswith("llm.") for c in m.checks):
        m.data["status"] = "needs_review"
    m.data.update(update)
    asked = [t for t, o in zip(tasks, outcomes) if o.answer is not None and not o.error]
    sections = split_sections(index.text)
    m.data["needs_llm"] = [p for p in record.needs_llm
                           if get_path(m.data, p) is None and not any(covers(t, p) for t in asked)
                           and not unstated(sections, p)]
    m.data["evidence"] = {k: v.model_dump() for k, v in m.evidence.items()}
    m.data["checks"] = [c.model_dump() for c in m.checks]
    return Record.model_validate(m.data)


def keep_template_tables(m: Merge) -> None:
    """An unknown report whose template the LLM decided keeps only that template's tables."""
    tables = TEMPLATE_TABLES.get(m.data.get("template"))
    if tables is None:
        return
    for key in TABLES:
        if key not in tables and m.data.get(key) is not None:
            m.data[key] = None
            m.evidence = {p: s for p, s in m.evidence.items() if not p.startswith(key + ".")}


def derive_summary(m: Merge) -> None:
    """Summary figures the tables give, for the tables the LLM completed (as the reader derives
    them from the tables it read)."""
    for name, cells in TABLE_SUMMARY_FIELDS.items():
        if get_path(m.data, f"summary.{name}") is not None:
            continue
        values = [get_path(m.data, c) for c in cells]
        if any(v is None for v in values):
            continue
        set_path(m.data, f"summary.{name}", sum(values))
        if len(cells) == 1 and cells[0] in m.evidence:
            m.evidence[f"summary.{name}"] = m.evidence[cells[0]]


def unstated(sections: list[Section], path: str) -> bool:
    """True for a summary figure no prose of the report names (so no LLM was asked for it)."""
    name = path.removeprefix("summary.")
    return path.startswith("summary.") and name in Summary.model_fields and not stated_fields(sections, (name,))


def covers(task: Task, path: str) -> bool:
    """True when ``task`` read the field at ``path`` (so an LLM has had its say on it)."""
    if task.kind == "summary":
        return path.removeprefix("summary.") in task.fields
    if task.kind == "table":
        return path == task.target or path.startswith(task.target + ".")
    return path == "legacy_indicators"


def merge_outcome(m: Merge, task: Task, outcome: Outcome, index: QuoteIndex) -> None:
    if outcome.error:
        m.errors.append(outcome.error)
        return
    if outcome.violations:
        m.checks.append(Check(
            rule="llm.reask_exhausted", severity="error", cells=[],
            message=(f"{task.prompt.version}: after {outcome.attempts} attempt(s) the answer still "
                     f"has problems: {'; '.join(outcome.violations)[:600]}")))
    if outcome.answer is None:
        return
    grounded = outcome.answer.grounded(index)
    for g in grounded:
        if g.problem:
            rule, severity = ("llm.approximate", "info") if g.inexact else ("llm.grounding", "error")
            m.checks.append(Check(rule=rule, severity=severity, cells=[g.path], message=g.problem))
    ok = {g.path: g for g in grounded if not g.problem}
    if isinstance(outcome.answer, LegacyAnswer):
        merge_indicators(m, outcome.answer, ok)
        return
    for path, g in ok.items():
        if path == "template":
            if m.data.get("template") == "unknown":
                m.data["template"] = m.template = g.value
                m.evidence["template"] = Span(start=g.span.start, end=g.span.end, text=g.span.text, method="llm")
            continue
        m.put(path, g.value, g.span)


def merge_indicators(m: Merge, answer: LegacyAnswer, ok: dict) -> None:
    for i, ind in enumerate(answer.indicators):
        g = ok.get(f"legacy_indicators.{i}.value")
        if g is None:
            continue
        m.indicators.append({**LegacyIndicator(**ind.model_dump(exclude={"quote"})).model_dump(),
                             "value": g.value})
        m.indicator_spans.append(Span(start=g.span.start, end=g.span.end, text=g.span.text, method="llm"))


def merge_legacy_summary(m: Merge) -> None:
    """The sheet's indicators: the LLM's list when the reader read none; else the reader's, with
    the values it left null filled by the LLM's indicator of the same name (a differing value is
    a disagreement, reported on the summary field it maps to). Summary fields still null then
    take the sheet's figures (as the reader does: prose stated first, the sheet as a fallback;
    not for a figure the prose states two ways)."""
    mine = m.data.get("legacy_indicators") or []
    if not mine:
        m.data["legacy_indicators"] = list(m.indicators)
        for n, span in enumerate(m.indicator_spans):
            m.evidence[f"legacy_indicators.{n}.value"] = span
    else:
        _fill_indicators(m, mine)
    indicators = [LegacyIndicator(**d) for d in m.data["legacy_indicators"]]
    conflicted = prose_conflicts(m.checks)
    for name, i in legacy_summary(indicators).items():
        span = m.evidence.get(f"legacy_indicators.{i}.value")
        if get_path(m.data, f"summary.{name}") is None and span is not None and \
                f"summary.{name}" not in conflicted:
            value = indicators[i].value
            m.put(f"summary.{name}", int(value) if float(value).is_integer() else value, span)


def _fill_indicators(m: Merge, mine: list[dict]) -> None:
    names = [normalize_label(d["name"]) for d in mine]
    mapped = {i: f for f, i in legacy_summary([LegacyIndicator(**d) for d in mine]).items()}
    for theirs, span in zip(m.indicators, m.indicator_spans):
        key = normalize_label(theirs["name"])
        if key not in names:
            continue
        i = names.index(key)
        current, value = mine[i].get("value"), theirs["value"]
        if current is None:
            mine[i] = {**mine[i], "value": value}
            m.evidence[f"legacy_indicators.{i}.value"] = span
        elif not _same(current, value):
            path = f"summary.{mapped[i]}" if i in mapped else f"legacy_indicators.{i}.value"
            m.checks.append(Check(
                rule="llm.disagreement", severity="error", cells=[path], left=_num(current), right=_num(value),
                message=f"{path} ({mine[i]['name']}): the reader read {current!r}, the LLM read {value!r} "
                        f"(from {span.text[:60]!r}); the reader's value is kept"))


def provenance(record: Record, tasks: list[Task], outcomes: list[Outcome], settings: Settings):
    prompts = {t.prompt.version: t.prompt.sha256 for t in tasks}
    names = sorted(prompts)
    return record.extracted_by.model_copy(update={
        "method": "rules+llm",
        "model": settings.llm_model,
        "prompt_version": "+".join(names),
        "prompt_hash": "+".join(prompts[n][:16] for n in names),
        "llm_calls": record.extracted_by.llm_calls + sum(o.meter.calls for o in outcomes),
        "tokens": record.extracted_by.tokens + sum(o.meter.tokens for o in outcomes),
        "cache_hits": record.extracted_by.cache_hits + sum(o.cache_hit for o in outcomes),
    })


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-6
    return str(a).strip() == str(b).strip()


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

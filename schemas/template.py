"""The national report template as data: tables, row and column labels (with the variants seen in
real reports), and the arithmetic relations (勾稽关系) between cells.

Declared once here and used by the deterministic reader (labels → field keys), the checker
(relations), the CSV header (field paths), the prompts and the review UI (labels, equations).
Imports nothing from ``extractor``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from schemas.legacy import LEGACY_SUMMARY_MAP


@dataclass(frozen=True)
class Label:
    """A row or column of a table: its record key, its label as the template prints it, and the
    keywords that identify it in a report (any one suffices, compared after normalisation:
    whitespace, punctuation and numbering removed, full-width folded)."""

    key: str
    text: str
    keywords: tuple[str, ...]
    group: str = ""  # the template's grouping label, e.g. "（三）不予公开"


# ---------------------------------------------------------------------------------------------
# 表三  收到和处理政府信息公开申请情况 (gov2021; gov2019 shares it except for （六）)
# ---------------------------------------------------------------------------------------------
APPLICANT_COLUMNS: tuple[Label, ...] = (
    Label("natural_person", "自然人", ("自然人",)),
    Label("commercial", "商业企业", ("商业企业", "商业")),
    Label("research", "科研机构", ("科研机构", "科研")),
    Label("nonprofit", "社会公益组织", ("社会公益组织", "公益组织", "公益")),
    Label("legal_service", "法律服务机构", ("法律服务机构", "法律服务")),
    Label("other_org", "其他", ("其他",)),
    Label("total", "总计", ("总计",)),
)
APPLICANT_PARTS = tuple(c.key for c in APPLICANT_COLUMNS[:-1])

_DENIED = "（三）不予公开"
_UNAVAILABLE = "（四）无法提供"
_REJECTED = "（五）不予处理"
_OTHER = "（六）其他处理"

REQUEST_ROWS: tuple[Label, ...] = (
    Label("new", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Label("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Label("granted", "（一）予以公开", ("予以公开",), "三、本年度办理结果"),
    Label("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
          ("部分公开",), "三、本年度办理结果"),
    Label("denied_state_secret", "1.属于国家秘密", ("国家秘密",), _DENIED),
    Label("denied_prohibited_by_law", "2.其他法律行政法规禁止公开",
          ("禁止公开", "其他法律行政", "法律行政法规"), _DENIED),
    Label("denied_safety_stability", "3.危及“三安全一稳定”", ("三安全一稳定", "危及"), _DENIED),
    Label("denied_third_party", "4.保护第三方合法权益", ("第三方",), _DENIED),
    Label("denied_internal_affairs", "5.属于三类内部事务信息", ("内部事务",), _DENIED),
    Label("denied_process_info", "6.属于四类过程性信息", ("过程性",), _DENIED),
    Label("denied_enforcement_file", "7.属于行政执法案卷", ("执法案卷",), _DENIED),
    Label("denied_administrative_query", "8.属于行政查询事项", ("行政查询",), _DENIED),
    Label("unavailable_not_held", "1.本机关不掌握相关政府信息", ("不掌握",), _UNAVAILABLE),
    Label("unavailable_needs_creation", "2.没有现成信息需要另行制作",
          ("另行制作", "没有现成"), _UNAVAILABLE),
    Label("unavailable_unclear", "3.补正后申请内容仍不明确", ("仍不明确", "补正后申请"), _UNAVAILABLE),
    Label("rejected_complaint", "1.信访举报投诉类申请", ("信访", "举报投诉"), _REJECTED),
    Label("rejected_duplicate", "2.重复申请", ("重复申请",), _REJECTED),
    Label("rejected_publication", "3.要求提供公开出版物", ("公开出版物", "出版物"), _REJECTED),
    Label("rejected_excessive", "4.无正当理由大量反复申请", ("大量反复", "反复申请"), _REJECTED),
    Label("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息",
          ("确认或重新", "重新出具", "已获取信息"), _REJECTED),
    Label("other_no_correction",
          "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
          ("逾期不补正", "不补正"), _OTHER),
    Label("other_no_fee",
          "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
          ("缴纳费用", "收费通知"), _OTHER),
    Label("other_other", "3.其他", ("=其他", "=其他处理", "=其他情形"), _OTHER),
    Label("total", "（七）总计", ("总计",), "三、本年度办理结果"),
    Label("carried_forward", "四、结转下年度继续办理", ("结转下年", "下年度继续")),
)
REQUEST_ROW_KEYS = tuple(r.key for r in REQUEST_ROWS)
_RESULT_GROUPS = ("三、本年度办理结果", _DENIED, _UNAVAILABLE, _REJECTED, _OTHER)
# rows that make up （七）总计: every result row of 三、本年度办理结果 (its own total aside)
RESULT_ROW_KEYS = tuple(r.key for r in REQUEST_ROWS if r.group in _RESULT_GROUPS and r.key != "total")
# the rows of （六）其他处理 the 2019/2020 layout prints as one row (kept in other_other)
SINGLE_OTHER_ABSENT_ROWS = ("other_no_correction", "other_no_fee")

# ---------------------------------------------------------------------------------------------
# 表四  行政复议、行政诉讼
# ---------------------------------------------------------------------------------------------
APPEAL_COLUMNS: tuple[Label, ...] = (
    Label("upheld", "结果维持", ("结果维持", "维持")),
    Label("corrected", "结果纠正", ("结果纠正", "纠正")),
    Label("other", "其他结果", ("其他结果",)),
    Label("pending", "尚未审结", ("尚未审结",)),
    Label("total", "总计", ("总计",)),
)
APPEAL_PARTS = tuple(c.key for c in APPEAL_COLUMNS[:-1])
APPEAL_GROUPS: tuple[Label, ...] = (
    Label("review", "行政复议", ("行政复议",)),
    Label("litigation_direct", "行政诉讼·未经复议直接起诉", ("未经复议直接起诉", "直接起诉")),
    Label("litigation_after_review", "行政诉讼·复议后起诉", ("复议后起诉",)),
)

# ---------------------------------------------------------------------------------------------
# 表二  主动公开政府信息情况 (gov2021 columns)
# ---------------------------------------------------------------------------------------------
PROACTIVE_DOC_COLUMNS: tuple[Label, ...] = (
    Label("issued", "本年制发件数", ("本年制发",)),
    Label("repealed", "本年废止件数", ("本年废止",)),
    Label("in_force", "现行有效件数", ("现行有效",)),
)
PROACTIVE_DOC_ROWS: tuple[Label, ...] = (
    Label("rules", "规章", ("规章",)),
    Label("normative_documents", "行政规范性文件", ("规范性文件",)),
)
PROACTIVE_SINGLE_ROWS: tuple[Label, ...] = (
    Label("licensing", "行政许可", ("行政许可",), "第二十条第（五）项 本年处理决定数量"),
    Label("penalty", "行政处罚", ("行政处罚",), "第二十条第（六）项 本年处理决定数量"),
    Label("coercion", "行政强制", ("行政强制",), "第二十条第（六）项 本年处理决定数量"),
    Label("fees", "行政事业性收费", ("行政事业性收费", "事业性收费"),
          "第二十条第（八）项 本年收费金额（单位：万元）"),
)
DECIMAL_FIELDS = frozenset({"proactive.fees"})

# Column headings (exact, normalised): a cell reading one of these heads a column and owns no values
# (a cell-stream reader must not take the value row under 表四's last heading as that heading's row).
COLUMN_HEADINGS = frozenset(
    text for col in (*APPLICANT_COLUMNS, *APPEAL_COLUMNS, *PROACTIVE_DOC_COLUMNS)
    for text in (col.text, *col.keywords))

# Markers that tell the templates apart (normalised text).
GOV2021_PROACTIVE_MARKERS = ("本年制发件数", "本年制发", "现行有效件数", "本年处理决定数量")
GOV2019_PROACTIVE_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量")
# a 统计表 heading, and the names its indicators are printed with (two of them make a legacy sheet)
LEGACY_MARKERS = ("统计指标", "指标名称", *dict.fromkeys(
    k for f in ("proactive_total", "requests_received") for k in LEGACY_SUMMARY_MAP[f] if k.endswith("数")))
# 2019 表二 row labels (its columns differ from 2021's; rows kept as labelled numbers)
PROACTIVE_2019_ROW_KEYWORDS = ("规章", "规范性文件", "行政许可", "其他对外管理服务事项", "行政处罚",
                               "行政强制", "行政事业性收费")


@dataclass(frozen=True)
class TableInfo:
    """One statistics table of the national form and the report section that holds it.

    ``headings``: the section heading's wording variants (normalised: no numbering, spaces or
    punctuation), any of which opens the section; the table is read only inside it.
    ``first_row``: keywords of the table's first row label, which opens the table when the
    report prints no heading."""

    key: str
    number: str
    title: str
    headings: tuple[str, ...]
    first_row: tuple[str, ...]

    @property
    def caption(self) -> str:
        """'表三 收到和处理政府信息公开申请情况': how prompts and the review page name the table."""
        return f"{self.number} {self.title}"


TABLES: tuple[TableInfo, ...] = (
    TableInfo("proactive", "表二", "主动公开政府信息情况",
              ("主动公开政府信息情况",),
              ("第二十条第一项", "信息内容本年制发件数", "信息内容本年新制作数量")),
    TableInfo("requests", "表三", "收到和处理政府信息公开申请情况",
              ("收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请", "依申请公开政府信息情况"),
              ("本年新收政府信息公开申请", "本年新收")),
    TableInfo("appeals", "表四", "政府信息公开行政复议、行政诉讼情况",
              ("政府信息公开行政复议行政诉讼情况", "行政复议行政诉讼情况", "行政复议与行政诉讼情况",
               "行政复议和行政诉讼情况", "被申请行政复议提起行政诉讼", "行政复议行政诉讼"),
              ("行政复议",)),
)
TABLES_BY_KEY = {t.key: t for t in TABLES}
# A row that opens 表四's grid: every word of the first tuple and one of the second.
APPEALS_HEADER_ALL = ("行政复议",)
APPEALS_HEADER_ANY = ("行政诉讼", "维持")
# Section headings (normalised) that open each table.
SECTION_HEADINGS = {t.key: t.headings for t in TABLES}


# ---------------------------------------------------------------------------------------------
# Arithmetic relations (勾稽关系)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Relation:
    """A family of equations ``sum(left) == sum(right)``, one per ``over`` element.

    ``left``/``right`` are field paths with ``{}`` standing for the element of ``over``."""

    rule: str
    title: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    over: tuple[str, ...] = ("",)
    applies_to: tuple[str, ...] = ("gov2021", "gov2019")


@dataclass(frozen=True)
class Equation:
    """One concrete equation: ``sum(left) == sum(right)``."""

    rule: str
    title: str
    left: tuple[str, ...]
    right: tuple[str, ...]

    @property
    def cells(self) -> tuple[str, ...]:
        return self.left + self.right


_COLS = tuple(c.key for c in APPLICANT_COLUMNS)

RELATIONS: tuple[Relation, ...] = (
    Relation(
        "requests.balance",
        "一、本年新收 + 二、上年结转 = （七）总计 + 四、结转下年度继续办理",
        ("requests.new.{}", "requests.carried_over.{}"),
        ("requests.total.{}", "requests.carried_forward.{}"),
        over=_COLS,
    ),
    Relation(
        "requests.result_sum",
        "（七）总计 = 三、本年度办理结果 各项之和",
        ("requests.total.{}",),
        tuple(f"requests.{k}.{{}}" for k in RESULT_ROW_KEYS),
        over=_COLS,
    ),
    Relation(
        "requests.row_sum",
        "总计 = 自然人 + 商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他",
        ("requests.{}.total",),
        tuple(f"requests.{{}}.{c}" for c in APPLICANT_PARTS),
        over=REQUEST_ROW_KEYS,
    ),
    Relation(
        "appeals.group_sum",
        "总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
        ("appeals.{}.total",),
        tuple(f"appeals.{{}}.{c}" for c in APPEAL_PARTS),
        over=tuple(g.key for g in APPEAL_GROUPS),
    ),
)


def expand(relation: Relation) -> list[Equation]:
    """The concrete equations of a relation, one per element of ``over``."""
    return [
        Equation(
            relation.rule,
            relation.title + (f" [{item}]" if item else ""),
            tuple(p.format(item) for p in relation.left),
            tuple(p.format(item) for p in relation.right),
        )
        for item in relation.over
    ]


@lru_cache(maxsize=None)
def equations(template: str) -> tuple[Equation, ...]:
    """Every equation that holds in a report of ``template``."""
    return tuple(eq for rel in RELATIONS if template in rel.applies_to for eq in expand(rel))


@dataclass(frozen=True)
class FieldInfo:
    """One scalar field of the record: its dotted path and a human label."""

    path: str
    label: str
    decimal: bool = False


@lru_cache(maxsize=None)
def table_fields() -> tuple[FieldInfo, ...]:
    """Every table cell of the record, in template order (used for CSV columns, UI, evals)."""
    out: list[FieldInfo] = []
    for row in PROACTIVE_DOC_ROWS:
        for col in PROACTIVE_DOC_COLUMNS:
            out.append(FieldInfo(f"proactive.{row.key}.{col.key}", f"表二 {row.text} {col.text}"))
    for row in PROACTIVE_SINGLE_ROWS:
        path = f"proactive.{row.key}"
        out.append(FieldInfo(path, f"表二 {row.text}", decimal=path in DECIMAL_FIELDS))
    for row in REQUEST_ROWS:
        for col in APPLICANT_COLUMNS:
            out.append(FieldInfo(f"requests.{row.key}.{col.key}", f"表三 {row.text} {col.text}"))
    for grp in APPEAL_GROUPS:
        for col in APPEAL_COLUMNS:
            out.append(FieldInfo(f"appeals.{grp.key}.{col.key}", f"表四 {grp.text} {col.text}"))
    return tuple(out)


@dataclass(frozen=True)
class SummaryField(Label):
    """A summary figure. ``cells``: the table cells whose sum it restates (derived from the
    tables when they are read; empty for figures that only prose states). ``decimal``: a
    fractional value is allowed."""

    cells: tuple[str, ...] = ()
    decimal: bool = False
    # the words a prose clause stating the figure names: every entry must be there ("a|b": either);
    # the figure is the first one after the first entry's word (the LLM grounding binds by them)
    quote_words: tuple[str, ...] = ()
    # words that, standing between the field's word and a figure, make the figure count something
    # else ("人大代表建议、政协委员提案办理情况相关信息70条": 70 counts 信息, not suggestions)
    counts_other: tuple[str, ...] = ()


SUMMARY_FIELDS: tuple[SummaryField, ...] = (
    SummaryField("requests_received", "本年新收申请总数", ("收到申请", "新收"),
                 cells=("requests.new.total",), quote_words=("收到|受理|新收", "申请")),
    SummaryField("review_total", "行政复议总数", ("行政复议",), cells=("appeals.review.total",),
                 quote_words=("行政复议",)),
    SummaryField("litigation_total", "行政诉讼总数（直接起诉 + 复议后起诉）", ("行政诉讼",),
                 cells=("appeals.litigation_direct.total", "appeals.litigation_after_review.total"),
                 quote_words=("行政诉讼",)),
    SummaryField("proactive_total", "本年主动公开政府信息总数", ("主动公开",), quote_words=("主动公开|主动发布",)),
    SummaryField("fee_collected_yuan", "收取信息处理费（元）", ("信息处理费",), decimal=True,
                 quote_words=("费",)),
    SummaryField("npc_suggestions", "办理人大代表建议（件）", ("人大代表建议",), quote_words=("人大", "建议"),
                 counts_other=("政协", "提案", "信息", "文件", "栏目")),
    SummaryField("cppcc_proposals", "办理政协提案（件）", ("政协提案",), quote_words=("政协", "提案"),
                 counts_other=("人大", "建议", "信息", "文件", "栏目")),
)
# summary field → the table cells it restates (only the fields the tables decide)
SUMMARY_CELLS: dict[str, tuple[str, ...]] = {f.key: f.cells for f in SUMMARY_FIELDS if f.cells}
# summary figures only prose states (the deterministic prose reader or an LLM fills them)
PROSE_SUMMARY_FIELDS: tuple[str, ...] = tuple(f.key for f in SUMMARY_FIELDS if not f.cells)


@dataclass(frozen=True)
class TemplateInfo:
    """A template and what a complete record of it holds: ``tables`` every cell read, ``summary``
    the summary figures (a legacy sheet has no national tables, only its indicators)."""

    key: str
    title: str
    tables: tuple[str, ...] = field(default_factory=tuple)
    summary: tuple[str, ...] = field(default_factory=tuple)


TEMPLATES = (
    TemplateInfo("gov2021", "国办公开办函〔2021〕30号 (2021 national template)",
                 ("proactive", "requests", "appeals")),
    TemplateInfo("gov2019", "2019/2020 national template", ("requests", "appeals")),
    TemplateInfo("legacy", "pre-2019 statistics sheet (统计表)", (), ("requests_received",)),
    TemplateInfo("unknown", "no known template recognised", ()),
)
TEMPLATES_BY_KEY = {t.key: t for t in TEMPLATES}

# What makes a text an information-disclosure annual report at all (squeezed, NFKC text): a title
# naming one — every marker of some tuple present — when no template, table or figure was found.
REPORT_TITLE_MARKERS: tuple[tuple[str, ...], ...] = (
    ("政府信息公开", "年度报告"),
    ("政府信息公开", "年报"),
    ("政务公开", "年度报告"),
    ("信息公开工作", "报告"),
)

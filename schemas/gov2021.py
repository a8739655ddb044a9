"""Tables of the 2021 national template (国办公开办函〔2021〕30号): 表二, 表三 (25 × 7), 表四 (3 × 5).

The row and column keys come from :mod:`schemas.template`, so the template is declared once."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

from schemas.template import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    REQUEST_ROWS,
)

_Count = int | None


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentCounts(_Table):
    """规章 / 行政规范性文件: 本年制发件数, 本年废止件数, 现行有效件数."""

    issued: _Count = None
    repealed: _Count = None
    in_force: _Count = None


class ProactiveTable(_Table):
    """表二 主动公开政府信息情况 (2021 columns)."""

    rules: DocumentCounts | None = None
    normative_documents: DocumentCounts | None = None
    licensing: _Count = Field(None, description="行政许可 本年处理决定数量")
    penalty: _Count = Field(None, description="行政处罚 本年处理决定数量")
    coercion: _Count = Field(None, description="行政强制 本年处理决定数量")
    fees: float | None = Field(None, description="行政事业性收费 本年收费金额（万元）")


RequestRow = create_model(
    "RequestRow",
    __base__=_Table,
    __doc__="One row of 表三 across the applicant columns.",
    **{c.key: (_Count, Field(None, description=c.text)) for c in APPLICANT_COLUMNS},
)

RequestsTable = create_model(
    "RequestsTable",
    __base__=_Table,
    __doc__="表三 收到和处理政府信息公开申请情况: 25 rows × 7 applicant columns.",
    **{r.key: (RequestRow | None, Field(None, description=r.text)) for r in REQUEST_ROWS},
)

AppealGroup = create_model(
    "AppealGroup",
    __base__=_Table,
    __doc__="One group of 表四: 结果维持, 结果纠正, 其他结果, 尚未审结, 总计.",
    **{c.key: (_Count, Field(None, description=c.text)) for c in APPEAL_COLUMNS},
)

AppealsTable = create_model(
    "AppealsTable",
    __base__=_Table,
    __doc__="表四 政府信息公开行政复议、行政诉讼情况.",
    **{g.key: (AppealGroup | None, Field(None, description=g.text)) for g in APPEAL_GROUPS},
)

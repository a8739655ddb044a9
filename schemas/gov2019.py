"""The 2019/2020 national template. 表三 and 表四 have the 2021 shape (with a single （六）其他处理
row, stored in ``other_other``); its 表二 has other columns and is kept, when read, under the extra
key ``proactive_2019`` (the contract's ``proactive`` is null for this template)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.gov2021 import AppealsTable, RequestsTable  # noqa: F401  (same shape in 2019)


class Proactive2019Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    values: list[float | None] = Field(default_factory=list)


class Proactive2019(BaseModel):
    """表二 of the 2019 form, read as labelled rows (本年新制作数量, 本年新公开数量, 对外公开总数量 …)."""

    model_config = ConfigDict(extra="forbid")

    rows: list[Proactive2019Row] = Field(default_factory=list)

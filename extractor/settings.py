"""One settings object for the whole tool, read from ``NIANBAO_*`` environment variables and
overridden by CLI options. Passed explicitly to the stages that need it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NIANBAO_", extra="forbid")

    # ingest
    max_file_mb: float = Field(50.0, description="files larger than this are refused")
    max_docx_uncompressed_mb: float = Field(
        200.0, description="a DOCX that unpacks to more than this is treated as a zip bomb")
    max_docx_xml_mb: float = Field(
        24.0, description="a DOCX whose text part (word/document.xml) unpacks to more than this is "
                          "refused: parsing it takes ~15x its size in memory")

    # the batch: worker processes and the budget of one document
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        description="worker processes for rules-only batches (default: the machine's cores; "
                    "0 = in this process, no per-document budget)")
    doc_timeout_s: float = Field(120.0, description="wall time one document may take in a worker")
    doc_memory_mb: float = Field(4096.0, description="address space one worker may use (0 = no cap)")

    # LLM backend (any OpenAI-compatible endpoint)
    llm_base_url: str | None = None
    llm_api_key: str | None = Field(
        None, validation_alias=AliasChoices("NIANBAO_LLM_API_KEY", "OPENAI_API_KEY"))
    llm_model: str | None = None
    llm_mode: Literal["tools", "json", "md_json"] = "tools"
    llm: Literal["auto", "off", "always"] = "auto"
    prompts_dir: Path | None = Field(
        None, description="folder of prompt files <task>.v<N>.md (default: the package's prompts/)")
    llm_timeout: float = Field(60.0, description="seconds one LLM HTTP request may take")
    llm_doc_timeout: float = Field(
        300.0, gt=0, description="seconds the LLM may take over one document: all its tasks, retries and "
                                 "re-asks; past it the open tasks are left open with an llm.unavailable error")
    llm_max_tokens: int = Field(4096, ge=256, description="longest answer one LLM call may return (max_tokens)")
    max_retries: int = 2
    concurrency: int = Field(4, ge=1, description="documents processed at once with an LLM (threads), and "
                                                   "the most LLM requests in flight at once")
    cache_dir: Path = Path(".nianbao/cache")
    no_cache: bool = False

    # store / service
    data_dir: Path = Path(".nianbao")
    database_url: str | None = None
    token: str | None = None
    allowed_hosts: list[str] = []  # host names the service answers for besides 127.0.0.1/localhost
    max_upload_mb: float = 20.0

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key) and bool(self.llm_model)

    @property
    def extraction_config(self) -> str:
        """What, besides the document, determines a record (part of the store key)."""
        from extractor import __version__  # a new reader version re-extracts stored documents

        if self.llm == "off" or not self.llm_configured:
            return f"rules@{__version__}"
        return f"rules@{__version__};llm={self.llm};model={self.llm_model};mode={self.llm_mode}"

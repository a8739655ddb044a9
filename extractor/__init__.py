"""nianbao: extraction of China's government information-disclosure annual reports.

Stages (one package each, plain typed data between them):
ingest (file → Document) → locate (template, sections) → read (rules, llm) → check → store → service/export.
"""
__version__ = "0.1.0"

"""The deterministic reader's entry point (kept for callers); the reader lives in
``extractor.read.reader``, one module per job."""
from extractor.read.reader import READER_VERSION, read_document

__all__ = ["READER_VERSION", "read_document"]

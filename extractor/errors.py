"""One base exception; subclasses are named for who must act."""
from __future__ import annotations


class NianbaoError(Exception):
    """Base of every error nianbao raises on purpose."""


class InputDocumentError(NianbaoError):
    """The input file is the problem (empty, corrupt, scanned, too large …). The message says what
    is wrong with the file and what to do about it."""


class ConfigError(NianbaoError):
    """The user's setup is the problem (missing endpoint, bad option)."""


class ExtractionFailed(NianbaoError):
    """An extraction step gave up after retries; carries what is known about the attempts."""

    def __init__(self, message: str, *, attempts: int = 0, last_output: str | None = None,
                 tokens: int = 0):
        super().__init__(message)
        self.attempts = attempts
        self.last_output = last_output
        self.tokens = tokens


class InternalError(NianbaoError):
    """A bug in nianbao: please report it with the input that triggered it."""

"""The LLM backend: one instructor client over the openai SDK, a tenacity retry layer for the
transport (timeouts, 429, 5xx; Retry-After honoured), a re-ask loop for answers that fail
validation, and a diskcache of every validated answer (violations included).

Two retry layers, each with one job: the openai SDK's own retries are off (``max_retries=0``);
tenacity retries the HTTP request on transient failures; ``LlmBackend._ask`` re-asks the model when
its answer does not validate (bounded by ``settings.max_retries``). instructor parses and validates
one completion per call. A re-ask is the task's own messages plus one message listing only what was
wrong (the violated cells and equations), so it costs about as much as the first call — never the
previous answer and every earlier error (instructor's own re-ask grew a table prompt 8k → 21k → 34k
characters) — and the same request is never sent twice. Every HTTP request of a document shares
its deadline (``settings.llm_doc_timeout``) and a limit of requests in flight
(``settings.concurrency``)."""
from __future__ import annotations

import contextvars
import email.utils
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from json import JSONDecodeError
from typing import Any

import instructor
import openai
from instructor.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.utils import extract_json_from_codeblock
from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from extractor.errors import ConfigError
from extractor.read.llm_quotes import QuoteIndex
from extractor.read.llm_tasks import Answer, Task
from extractor.settings import Settings

log = logging.getLogger(__name__)

MODES = {"tools": instructor.Mode.TOOLS, "json": instructor.Mode.JSON, "md_json": instructor.Mode.MD_JSON}
REASK_ERRORS = (ValidationError, JSONDecodeError)  # the model's answer: re-asked
MAX_RETRY_AFTER = 60.0


class DeadlinePassed(Exception):
    """The document's LLM deadline (``settings.llm_doc_timeout``) passed before a request could be sent."""


# instructor's refusals of a malformed completion: no choices (ValueError), a missing or misnamed
# tool call (AssertionError, IndexError/KeyError). The endpoint misbehaved: retried once as sent.
MALFORMED = (ValueError, IndexError, KeyError, AssertionError)
# what a call can raise because of the endpoint or the model, not our code: HTTP/API errors, an
# answer cut at max_tokens, the deadline — the try blocks wrap only the call; our own bugs propagate
ENDPOINT_ERRORS = (IncompleteOutputException, openai.OpenAIError, DeadlinePassed)


@dataclass
class Meter:
    """HTTP requests and tokens of one task (filled by the transport layer)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


_meter: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("nianbao_llm_meter", default=None)
# time.monotonic() by which the current document's LLM work must end (None: no deadline)
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("nianbao_llm_deadline", default=None)


def time_left() -> float | None:
    """Seconds left before the current document's deadline (None: no deadline)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@dataclass
class Outcome:
    """What one task produced: a validated answer, or the last parseable one with its violations,
    or an error when the endpoint could not be used."""

    answer: Answer | None = None
    violations: list[str] = field(default_factory=list)
    error: str | None = None
    meter: Meter = field(default_factory=Meter)
    cache_hit: bool = False
    attempts: int = 0


def is_transient(exc: BaseException) -> bool:
    """Timeouts, connection errors, 429 and 5xx are worth retrying; other 4xx will fail again."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it did."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return min(float(ms) / 1000, MAX_RETRY_AFTER)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        date = email.utils.parsedate_to_datetime(value) if value else None
        return None if date is None else min(max(date.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


class WaitRetryAfter:
    """Honour Retry-After when the server sends it, else exponential backoff with jitter."""

    def __init__(self, base: float, maximum: float):
        self.backoff = wait_random_exponential(multiplier=base, max=maximum)

    def __call__(self, state) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        wait = asked if asked is not None else self.backoff(state)
        left = time_left()
        return wait if left is None else max(min(wait, left), 0.0)


class LlmBackend:
    """Runs tasks against one OpenAI-compatible endpoint."""

    def __init__(self, settings: Settings, *, transport_attempts: int = 4, backoff: float = 0.5,
                 max_backoff: float = 20.0):
        if settings.llm_mode not in MODES:
            raise ConfigError(f"unknown LLM mode {settings.llm_mode!r}; use tools, json or md_json")
        self.settings = settings
        self.mode = MODES[settings.llm_mode]
        self.attempts = transport_attempts
        self.wait = WaitRetryAfter(backoff, max_backoff)
        self.slots = threading.BoundedSemaphore(settings.concurrency)  # requests in flight
        self.client = self._sync_client()
        self.cache = None
        if not settings.no_cache:
            import diskcache

            settings.cache_dir.mkdir(parents=True, exist_ok=True)
            self.cache = diskcache.Cache(str(settings.cache_dir))

    # -- the client ---------------------------------------------------------------------------
    def _openai_kwargs(self) -> dict[str, Any]:
        return dict(base_url=self.settings.llm_base_url, timeout=self.settings.llm_timeout,
                    api_key=self.settings.llm_api_key or "no-key-needed", max_retries=0)

    def _sync_client(self) -> instructor.Instructor:
        raw = openai.OpenAI(**self._openai_kwargs())
        send = raw.chat.completions.create

        def create(*args, **kwargs):
            for attempt in self._transport_retrying():
                with attempt:
                    return self._metered(self._send(send, args, kwargs))

        return instructor.Instructor(client=raw, create=instructor.patch(create=create, mode=self.mode),
                                     mode=self.mode)

    def _send(self, send, args, kwargs):
        """One HTTP request: in one of the ``settings.concurrency`` slots, with a timeout that ends
        by the document's deadline."""
        timeout = self.settings.llm_timeout
        left = time_left()
        if left is not None:
            if left <= 0 or not self.slots.acquire(timeout=left):
                raise DeadlinePassed()
            timeout = min(timeout, max(time_left(), 0.001))
        else:
            self.slots.acquire()
        try:
            return send(*args, **{**kwargs, "timeout": timeout})
        finally:
            self.slots.release()

    def _transport_retrying(self) -> Retrying:
        def count(state):  # every HTTP request, answered or not, is a call
            meter = _meter.get()
            if meter is not None:
                meter.calls += 1

        def stop(state) -> bool:
            left = time_left()
            return stop_after_attempt(self.attempts)(state) or (left is not None and left <= 0)

        return Retrying(stop=stop, wait=self.wait, reraise=True, retry=retry_if_exception(is_transient),
                        after=_log_retry, before=count)

    @staticmethod
    def _metered(completion):
        meter = _meter.get()
        usage = getattr(completion, "usage", None)
        if meter is not None and usage is not None:
            meter.prompt_tokens += usage.prompt_tokens or 0
            meter.completion_tokens += usage.completion_tokens or 0
        return completion

    @staticmethod
    def _one_attempt() -> Retrying:
        """instructor validates one completion per call; the re-asks are ``_ask``'s."""
        return Retrying(stop=stop_after_attempt(1), retry=retry_if_exception_type(REASK_ERRORS))

    # -- running tasks ------------------------------------------------------------------------
    def cache_key(self, task: Task) -> str:
        parts = {
            "model": self.settings.llm_model, "base_url": self.settings.llm_base_url,
            "mode": self.settings.llm_mode, "prompt": task.prompt.version,
            "prompt_sha256": task.prompt.sha256, "schema": task.schema_hash(),
            "messages": task.messages(),
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _cached(self, task: Task, index: QuoteIndex) -> Outcome | None:
        """The stored outcome of this exact task: a validated answer, or the last answer of a run
        whose re-asks ran out, with its violations (asking again would repeat the same calls)."""
        if self.cache is None:
            return None
        raw = self.cache.get(self.cache_key(task))
        if raw is None:
            return None
        if isinstance(raw, dict):  # an answer that kept violating the checks
            answer = parse_last_json(task, raw.get("answer", ""))
            if answer is None:
                return None
            return Outcome(answer=answer, violations=list(raw.get("violations", [])),
                           attempts=raw.get("attempts", 0), cache_hit=True)
        try:
            answer = task.model.model_validate_json(raw, context={"index": index})
        except ValidationError:
            return None
        return Outcome(answer=answer, cache_hit=True)

    def _store(self, task: Task, outcome: Outcome) -> None:
        if self.cache is None or outcome.answer is None:
            return
        raw = outcome.answer.model_dump_json()
        if outcome.violations:
            self.cache.set(self.cache_key(task), {"answer": raw, "violations": outcome.violations,
                                                  "attempts": outcome.attempts})
        else:
            self.cache.set(self.cache_key(task), raw)

    def run(self, task: Task, index: QuoteIndex, deadline: float | None = None) -> Outcome:
        """Answer one task (from the cache when possible) by ``deadline`` (a ``time.monotonic()``
        time); never raises for endpoint problems. Thread-safe: a document's tasks run at once."""
        if (hit := self._cached(task, index)) is not None:
            return hit
        meter = Meter()
        tokens = _meter.set(meter), _deadline.set(deadline)
        try:
            outcome = self._ask(task, index)
        finally:
            _meter.reset(tokens[0])
            _deadline.reset(tokens[1])
        return self._finish(task, outcome, meter)

    def _ask(self, task: Task, index: QuoteIndex) -> Outcome:
        """The task's messages, then up to ``settings.max_retries`` re-asks, each the task's
        messages plus one listing the problems of the last answer. Stops early when a re-ask
        would repeat one already sent (the model would answer it the same way) or the deadline
        passed. A malformed completion (no choices, no tool call) is retried once as sent."""
        reasks: list[str] = []  # the problem lists already sent
        malformed_retries = 1
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = self.client.create(max_retries=self._one_attempt(),
                                            **self._request(task, index, reasks[-1] if reasks else None))
                return Outcome(answer=answer, attempts=attempts)
            except InstructorRetryException as exc:
                last = parse_last(task, exc.last_completion)
                violations = reasons(exc.args[0] if exc.args else exc)
            except MALFORMED as exc:
                if malformed_retries and not _expired():
                    malformed_retries -= 1
                    continue
                return self._failure(exc)
            except ENDPOINT_ERRORS as exc:
                return self._failure(exc)
            reask = reask_text(violations)
            if attempts > self.settings.max_retries or reask in reasks or _expired():
                return Outcome(answer=last, violations=violations, attempts=attempts)
            reasks.append(reask)

    def _request(self, task: Task, index: QuoteIndex, reask: str | None) -> dict[str, Any]:
        messages = task.messages(templated=True)
        context = {"index": index, "report": task.text}
        if reask is not None:  # a template placeholder too: the problems quote the report
            messages.append({"role": "user", "content": "{{ reask }}"})
            context["reask"] = reask
        return dict(model=self.settings.llm_model, messages=messages, response_model=task.model,
                    context=context, strict=False, temperature=0, max_tokens=self.settings.llm_max_tokens)

    def _finish(self, task: Task, outcome: Outcome, meter: Meter) -> Outcome:
        outcome.meter = meter
        self._store(task, outcome)  # endpoint failures (no answer) are not stored: they may pass
        return outcome

    def _failure(self, exc: Exception) -> Outcome:
        err = self.describe_error(exc)
        log.warning("LLM task failed: %s", err)
        return Outcome(error=err)

    def describe_error(self, exc: Exception) -> str:
        """A message that says what went wrong with the endpoint and what to do."""
        where = self.settings.llm_base_url or "the OpenAI API"
        if isinstance(exc, DeadlinePassed) or (isinstance(exc, openai.APITimeoutError) and _expired()):
            return (f"LLM endpoint {where} did not finish this document within NIANBAO_LLM_DOC_TIMEOUT "
                    f"({self.settings.llm_doc_timeout:g}s); the fields it was asked for are left open — "
                    "raise the setting or check the server")
        if isinstance(exc, IncompleteOutputException):
            return (f"LLM endpoint {where} cut its answer at max_tokens ({self.settings.llm_max_tokens}); "
                    "raise NIANBAO_LLM_MAX_TOKENS")
        if isinstance(exc, MALFORMED):
            return (f"LLM endpoint {where} sent a malformed completion twice ({type(exc).__name__}: "
                    f"{str(exc)[:200]}); if the model does not call the tool, try NIANBAO_LLM_MODE=json")
        if isinstance(exc, openai.APITimeoutError):
            return (f"LLM endpoint {where} timed out after {self.attempts} attempts "
                    f"({self.settings.llm_timeout:g}s each); raise NIANBAO_LLM_TIMEOUT or check the server")
        if isinstance(exc, openai.APIConnectionError):
            return (f"LLM endpoint {where} is unreachable after {self.attempts} attempts ({exc}); "
                    "check NIANBAO_LLM_BASE_URL or run with --llm off")
        if isinstance(exc, openai.AuthenticationError):
            return f"LLM endpoint {where} refused the API key (401); set NIANBAO_LLM_API_KEY"
        if isinstance(exc, openai.APIStatusError):
            body = (exc.response.text or "")[:200] if exc.response is not None else ""
            tried = f" after {self.attempts} attempts" if is_transient(exc) else ""
            return f"LLM endpoint {where} answered HTTP {exc.status_code}{tried}: {body}"
        return f"LLM call failed ({type(exc).__name__}: {exc})"


def _expired() -> bool:
    left = time_left()
    return left is not None and left <= 0


REASK_LIMIT = 2000  # characters of problems one re-ask lists


def reask_text(violations: list[str]) -> str:
    """The re-ask: what was wrong with the last answer (only the violated cells and equations)."""
    listed = "\n".join(f"- {v}" for v in dict.fromkeys(violations))
    if len(listed) > REASK_LIMIT:
        listed = listed[:REASK_LIMIT] + "\n- …"
    return ("上一次回答未通过核对，问题如下：\n" + listed +
            "\n请重新回答整个任务：改正这些问题，其余字段照原文填写；报告中无法确定的值填 null。")


def reasons(exc: BaseException) -> list[str]:
    """The validation messages the model was last re-asked with."""
    if isinstance(exc, ValidationError):
        return [str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()]
    return [f"{type(exc).__name__}: {exc}"]


def parse_last_json(task: Task, raw: str) -> Answer | None:
    """An answer parsed without the grounding context (the reader grounds each value again)."""
    try:
        return task.model.model_validate_json(raw, strict=False)
    except (ValidationError, ValueError):
        return None


def parse_last(task: Task, completion: Any) -> Answer | None:
    """The model's last answer when re-asks ran out, parsed without the grounding context (the
    reader grounds each value again and drops what fails), or None when it does not parse."""
    if completion is None:
        return None
    try:
        message = completion.choices[0].message
        if message.tool_calls:
            raw = message.tool_calls[0].function.arguments
        else:
            raw = extract_json_from_codeblock(message.content or "")
        return task.model.model_validate_json(raw, strict=False)
    except (ValidationError, ValueError, AttributeError, IndexError):
        return None


def _log_retry(state) -> None:
    exc = state.outcome.exception() if state.outcome else None
    if exc is not None:
        log.info("LLM request attempt %d failed (%s); retrying", state.attempt_number, type(exc).__name__)

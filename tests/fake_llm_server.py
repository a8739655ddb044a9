"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol with scripted
answers, for tests and the benchmark. It counts and keeps every request.

Script steps (consumed in order; when the script is empty ``default(body)`` answers):
``Answer(args)``      the model's answer: a tool call in tools mode, JSON content otherwise
``Raw(text)``         content / tool arguments sent as-is (e.g. malformed JSON)
``Error(status, …)``  an HTTP error, optionally with headers (Retry-After)
``Slow(seconds, step)`` wait, then answer with ``step`` (a client with a shorter timeout gives up)
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A tokenizer stand-in: one token per CJK character, one per four other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


@dataclass
class Answer:
    args: dict


@dataclass
class Raw:
    text: str


@dataclass
class Body:
    """A whole response body, served as is: malformed completions (no choices, no tool call …)."""
    body: dict


@dataclass
class Error:
    status: int
    body: str = '{"error": {"message": "scripted error", "type": "server_error"}}'
    headers: dict = field(default_factory=dict)


@dataclass
class Slow:
    seconds: float
    step: Any


class FakeLlm:
    """``with FakeLlm() as llm: … llm.url …`` — the server runs in a background thread."""

    def __init__(self, latency: float = 0.0, default: Callable[[dict], Any] | None = None, port: int = 0):
        self.latency = latency
        self.default = default or (lambda body: Answer({}))
        self.script: deque = deque()
        self.routes: dict[str, deque] = {}
        self.requests: list[dict] = []
        self.in_flight = self.max_in_flight = 0  # chat requests being answered at once
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, *steps) -> FakeLlm:
        self.script.extend(steps)
        return self

    def route(self, task: str, *steps) -> FakeLlm:
        """Steps for the requests of one response model only (e.g. ``"ReportFigures"``)."""
        self.routes.setdefault(task, deque()).extend(steps)
        return self

    def requests_for(self, task: str) -> list[dict]:
        return [b for b in self.requests if task_name(b) == task]

    def __enter__(self) -> FakeLlm:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict):
        with self._lock:
            self.requests.append(body)
            queue = self.routes.get(task_name(body))
            if queue:
                return queue.popleft()
            return self.script.popleft() if self.script else self.default(body)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # the requests seen so far, for a client in another process
                if self.path.endswith("/_requests"):
                    with fake._lock:
                        return self._send(200, json.dumps(fake.requests, ensure_ascii=False))
                return self._send(404, '{"error": {"message": "not found"}}')

            def do_DELETE(self):
                if self.path.endswith("/_requests"):
                    with fake._lock:
                        fake.requests.clear()
                    return self._send(200, "[]")
                return self._send(404, '{"error": {"message": "not found"}}')

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, '{"error": {"message": "not found"}}')
                step = fake._next(body)
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if fake.latency:
                        time.sleep(fake.latency)
                    while isinstance(step, Slow):
                        time.sleep(step.seconds)
                        step = step.step
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                if isinstance(step, Error):
                    return self._send(step.status, step.body, step.headers)
                if isinstance(step, Body):
                    return self._send(200, json.dumps(step.body, ensure_ascii=False))
                return self._send(200, json.dumps(completion(body, step), ensure_ascii=False))

            def _send(self, status: int, text: str, headers: dict | None = None):
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, str(v))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

        return Handler


def completion(body: dict, step: Answer | Raw) -> dict:
    """A chat.completion object answering ``body`` with ``step``."""
    text = step.text if isinstance(step, Raw) else json.dumps(step.args, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message["tool_calls"] = [{"id": "call_1", "type": "function",
                                  "function": {"name": name, "arguments": text}}]
    else:
        message["content"] = text
    prompt = estimate_tokens(json.dumps(body.get("messages", []), ensure_ascii=False)
                             + json.dumps(body.get("tools", []), ensure_ascii=False))
    done = estimate_tokens(text)
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if body.get("tools") else "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done},
    }


def task_name(body: dict) -> str | None:
    """The response model a request asks for: the tool name, or the schema title in JSON modes."""
    if body.get("tools"):
        return body["tools"][0]["function"]["name"]
    for m in body.get("messages", []):
        found = re.search(r'\n  "title": "(\w+)",\n  "type": "object"\n}', str(m.get("content") or ""))
        if found:
            return found.group(1)
    return None


def last_user_text(body: dict) -> str:
    """Everything the request's messages say (for assertions)."""
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))

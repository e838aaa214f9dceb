"""A real OpenAI-compatible chat-completions server on 127.0.0.1 that plays scripted answers.

Load it as a pytest plugin (`pytest_plugins = ["modelserver"]` in tests/conftest.py) and use the
`model_server` fixture, or `running_model_server()` anywhere else:

    model_server.script(status(429), ok(ANSWER, reasoning="..."))
    settings = resolve_model({"provider": "custom", "base_url": model_server.base_url,
                              "model": "test-model", "api_key_env": "TEST_KEY"}, env=...)
    ...
    assert model_server.request_count == 2
    assert "\\frac{a}{b}" in model_server.requests[-1].prompt

With the queue empty the server plays `server.default` (a Reply), or calls `server.responder`
(a function of the request returning a Reply); by default it answers with a small valid scene
named after the class the prompt asks for, and notes that use every anchor of the prompt.
"""

from __future__ import annotations

import ast
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MODELS_PATHS = ("/v1/models", "/models")


@dataclass(frozen=True)
class Reply:
    """One scripted reaction of the server to one request."""

    kind: str  # ok | status | stall | invalid_json | drop
    text: str = ""
    reasoning: str | None = None
    finish_reason: str | None = "stop"
    status: int = 200
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    chunks_before_stall: int = 3
    chunk_size: int = 24
    usage: bool = True
    delay_s: float = 0.0


def ok(text: str, reasoning: str | None = None, finish_reason: str | None = "stop", *,
       chunk_size: int = 24, usage: bool = True, delay_s: float = 0.0) -> Reply:
    """A normal answer (streamed in chunks of chunk_size characters, reasoning first)."""
    return Reply("ok", text=text, reasoning=reasoning, finish_reason=finish_reason,
                 chunk_size=chunk_size, usage=usage, delay_s=delay_s)


def status(code: int, message: str | None = None, *, retry_after_ms: int | None = 10) -> Reply:
    """An HTTP error with an OpenAI-style JSON error body (429 and 5xx carry retry-after-ms)."""
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after_ms is not None and (code == 429 or code >= 500):
        headers = (("retry-after-ms", str(retry_after_ms)),)
    default = {
        401: "Incorrect API key provided.", 403: "You do not have access to this model.",
        404: "The model does not exist.", 429: "Rate limit reached.", 500: "Internal server error.",
        502: "Bad gateway.", 503: "Service unavailable.", 400: "Bad request.",
    }.get(code, f"HTTP {code}")
    return Reply("status", status=code, message=message or default, headers=headers)


def stall(text: str = "```python\nfrom manim import *\n", chunks_before_stall: int = 2) -> Reply:
    """A stream that sends a few chunks of text and then hangs (until the server stops)."""
    return Reply("stall", text=text, chunks_before_stall=chunks_before_stall, chunk_size=8)


def invalid_json() -> Reply:
    """A 200 answer whose body (or first stream event) is not JSON."""
    return Reply("invalid_json")


def drop(text: str = "```python\n") -> Reply:
    """A stream that sends some text and closes the connection without finish_reason or [DONE]."""
    return Reply("drop", text=text, chunk_size=8)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server saw."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if any."""
        return self.headers.get("authorization")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent."""
        return list(self.body.get("messages") or [])

    @property
    def prompt(self) -> str:
        """All message contents joined: what the model was asked."""
        return "\n\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def stream(self) -> bool:
        """Whether the client asked for a stream."""
        return bool(self.body.get("stream"))


@dataclass
class ModelServer:
    """The running server's state: the script, the default, and what it recorded."""

    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    default: Reply | None = None
    responder: Callable[[RecordedRequest], Reply] | None = None
    model_ids: tuple[str, ...] = ("test-model",)
    _queue: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _in_flight: int = 0
    _max_in_flight: int = 0

    def script(self, *replies: Reply | str) -> None:
        """Queue replies, played one per chat request in order (a str is ok(str))."""
        with self._lock:
            self._queue.extend(ok(r) if isinstance(r, str) else r for r in replies)

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def request_count(self) -> int:
        """Chat requests seen so far."""
        return len(self.requests)

    @property
    def auth_headers(self) -> list[str | None]:
        """The Authorization header of every chat request, in order."""
        return [r.authorization for r in self.requests]

    @property
    def pending(self) -> int:
        """Scripted replies not yet played."""
        return len(self._queue)

    @property
    def max_in_flight(self) -> int:
        """The most chat requests this server was answering at the same moment."""
        return self._max_in_flight

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _next(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        if self.default is not None:
            return self.default
        return ok(default_answer(request))


def default_answer(request: RecordedRequest) -> str:
    """A valid small scene named as the prompt asks, and notes using every anchor in the prompt."""
    prompt = request.prompt
    match = re.search(r"class named `(\w+)`", prompt)
    scene_class = match.group(1) if match else "GeneratedScene"
    base = "ThreeDScene" if re.search(r"subclass of `ThreeDScene`", prompt) else "Scene"
    anchors = prompt_anchors(prompt)
    lines = ["from manim import *", "", "", f"class {scene_class}({base}):", "    def construct(self):"]
    if not anchors:
        lines += ["        self.play(Create(Circle()))", "        self.wait(1)"]
    for index, latex in enumerate(anchors):
        lines += [f"        eq{index} = MathTex({_raw(latex)})",
                  f"        self.play(Write(eq{index}))", "        self.wait(0.5)",
                  f"        self.play(FadeOut(eq{index}))"]
    code = "\n".join(lines) + "\n"
    notes = ["# Notes", "", "A short summary for tests.", ""]
    for latex in anchors:
        notes += ["$$", latex, "$$", ""]
    return f"```python\n{code}```\n\n````markdown\n" + "\n".join(notes) + "````\n"


def prompt_anchors(prompt: str) -> list[str]:
    """The anchor LaTeX strings listed in a mathreel prompt (from their `MathTex(...)` lines)."""
    out: list[str] = []
    for literal in re.findall(r"In the scene: MathTex\((.+?)\)$", prompt, re.MULTILINE | re.DOTALL):
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, str) and value not in out:
            out.append(value)
    return out


def _raw(latex: str) -> str:
    return f'r"{latex}"' if '"' not in latex and not latex.endswith("\\") and "\n" not in latex else repr(latex)


def _words(text: str) -> int:
    return len(text.split())


class _Handler(BaseHTTPRequestHandler):
    server_version = "mathreel-test-model/1.0"
    protocol_version = "HTTP/1.1"
    state: ModelServer  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0] in MODELS_PATHS:
            data = {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                                               for m in self.state.model_ids]}
            self._send_json(200, data)
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        if path not in CHAT_PATHS:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"error": {"message": "request body is not JSON", "type": "invalid_request_error"}})
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.state._next(RecordedRequest(path, body, headers))
        self.state._enter()
        try:
            if reply.delay_s:
                self.state._stop.wait(reply.delay_s)
            self._answer(reply, body)
        finally:
            self.state._leave()

    def _answer(self, reply: Reply, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "test-model")
        if reply.kind == "status":
            self._send_json(reply.status, {"error": {"message": reply.message, "type": "test_error",
                                                      "code": reply.status}}, reply.headers)
        elif reply.kind == "invalid_json":
            if body.get("stream"):
                self._start_stream()
                self._chunk(b"data: {this is not json\n\n")
                self._end_stream()
            else:
                data = b"{this is not json"
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(data)
        elif body.get("stream"):
            self._stream(reply, model, body)
        elif reply.kind in ("stall", "drop"):
            # Without a stream there is nothing to send first: hang (stall) or hang up (drop).
            if reply.kind == "stall":
                self.state._stop.wait(60)
            self.close_connection = True
        else:
            self._complete(reply, model)

    # -- answers

    def _complete(self, reply: Reply, model: str) -> None:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.reasoning is not None:
            message["reasoning_content"] = reply.reasoning
        data = {
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason or "stop"}],
            "usage": self._usage(reply),
        }
        self._send_json(200, data)

    def _stream(self, reply: Reply, model: str, body: dict[str, Any]) -> None:
        self._start_stream()
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model}

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            data = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self._chunk(f"data: {json.dumps(data)}\n\n".encode())

        event({"role": "assistant", "content": ""})
        pieces: list[tuple[str, str]] = []
        if reply.reasoning:
            pieces += [("reasoning_content", p) for p in _pieces(reply.reasoning, reply.chunk_size)]
        pieces += [("content", p) for p in _pieces(reply.text, reply.chunk_size)]
        if reply.kind == "stall":
            pieces = pieces[: reply.chunks_before_stall]
        for name, piece in pieces:
            event({name: piece})
        if reply.kind == "stall":
            self.state._stop.wait(60)
            self.close_connection = True
            return
        if reply.kind == "drop":
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
            return
        event({}, reply.finish_reason or "stop")
        options = body.get("stream_options") or {}
        if reply.usage and options.get("include_usage"):
            data = {**base, "choices": [], "usage": self._usage(reply)}
            self._chunk(f"data: {json.dumps(data)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._end_stream()

    def _usage(self, reply: Reply) -> dict[str, Any]:
        prompt = 100
        reasoning = _words(reply.reasoning or "")
        completion = _words(reply.text) + reasoning
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                "completion_tokens_details": {"reasoning_tokens": reasoning}}

    # -- HTTP plumbing

    def _send_json(self, code: int, data: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        payload = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (stall and timeout tests) are expected: no traceback noise."""


def _pieces(text: str, size: int) -> list[str]:
    return [text[i: i + size] for i in range(0, len(text), max(1, size))]


@contextmanager
def running_model_server() -> Iterator[ModelServer]:
    """Start a server on 127.0.0.1 (random port) for the duration of the block."""
    state = ModelServer()
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    port = int(httpd.server_address[1])
    state.base_url = f"http://127.0.0.1:{port}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state._stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    """A fresh scripted OpenAI-compatible server for one test."""
    with running_model_server() as server:
        yield server

"""The one module that talks to a model: any OpenAI-compatible endpoint, streamed, retried, bounded."""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from builder.errors import GenerateError
from builder.faults import checkpoint
from builder.model.parse import ParsedAnswer, parse_answer, split_reasoning
from builder.model.prompt import build_messages, build_repair_messages
from builder.model.providers import (
    ENV_API_KEY,
    ENV_MODEL,
    NO_KEY_NEEDED,
    ModelSettings,
    api_key,
    missing_key_message,
)
from builder.spec import Concept

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

#: Backoff between retries when the server gives no Retry-After: 1 s, 2 s, 4 s ... capped.
RETRY_BASE_S = 1.0
RETRY_CAP_S = 30.0
#: A Retry-After longer than this is not waited for (the error is raised instead).
RETRY_AFTER_MAX_S = 120.0
CONNECT_TIMEOUT_S = 10.0


class ModelError(GenerateError):
    """The model endpoint failed or answered unusably; the message says what to do."""

    def __init__(self, message: str, *, host: str = "", status: int | None = None) -> None:
        self.host = host
        self.status = status
        super().__init__(message)


class ModelAuthError(ModelError):
    """401/403, or no key in the environment: names the env var to set."""


class ModelNotFound(ModelError):
    """404: the model (or the base URL) does not exist at the endpoint."""


class ModelRateLimited(ModelError):
    """429 on every attempt."""


class ModelTimeout(ModelError):
    """No complete answer in time: the overall timeout, or a stream that stalled on every attempt."""


class ModelUnavailable(ModelError):
    """The endpoint could not be reached or failed with 5xx on every attempt."""


class ModelProtocolError(ModelError):
    """The endpoint rejected the request (400) or did not speak the chat-completions protocol."""


class BadAnswer(ModelError):
    """The answer held no usable scene code; carries the parse problems and the raw answer."""

    def __init__(self, message: str, *, host: str = "", problems: tuple[str, ...] = (),
                 answer: str = "", reasoning: str = "", usage: Usage | None = None) -> None:
        self.problems = problems
        self.answer = answer
        self.reasoning = reasoning
        self.usage = usage
        super().__init__(message, host=host)


class Usage(TypedDict):
    """Token counts of one completion (estimated from chunks when the server sent none)."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    total_tokens: int
    reported: bool
    requests: int


@dataclass(frozen=True)
class ProgressEvent:
    """Live progress of one completion, for the CLI: kind is request, reasoning, content, retry or done."""

    kind: str
    elapsed_s: float
    tokens: int
    reasoning_delta: str = ""
    content_delta: str = ""
    attempt: int = 1
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Generation:
    """One answer turned into a scene: code, notes, reasoning and its provenance (never the key)."""

    code: str
    notes: str
    reasoning: str
    model: str
    endpoint_host: str
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    latency_s: float
    finish_reason: str
    problems: tuple[str, ...]
    fixes: tuple[str, ...]
    provider: str = ""
    requests: int = 1
    tokens_reported: bool = True
    answer: str = ""


def complete(settings: ModelSettings, messages: list[dict[str, str]], *, env: Mapping[str, str],
             stream: bool = True, on_progress: ProgressCallback | None = None) -> tuple[str, str, str, Usage]:
    """Ask the model once (retrying transient failures): (content, reasoning, finish_reason, usage).

    Streams by default; a stream that sends nothing for stall_timeout_s is retried like a 429 or 5xx.
    The overall deadline (timeout_s) is checked between chunks, and no single read waits longer than
    what is left of it when the attempt starts.
    """
    key = api_key(settings, env)
    host = settings.endpoint_host()
    if key is None:
        raise ModelAuthError(missing_key_message(settings), host=host)
    import openai

    secrets = () if key == NO_KEY_NEEDED else (key,)
    started = time.monotonic()
    deadline = started + settings.timeout_s
    call = _Call(settings, messages, started, deadline, on_progress)
    stream_options = True
    attempt = 0
    client = openai.OpenAI(api_key=key, base_url=settings.base_url, max_retries=0,
                           timeout=openai.Timeout(settings.timeout_s, connect=CONNECT_TIMEOUT_S))
    # Organization and project ids from OPENAI_* variables belong to api.openai.com only.
    client.organization = None
    client.project = None
    with client:
        while True:
            attempt += 1
            call.attempt = attempt
            call.tokens = 0
            call.emit("request", message=f"asking {settings.describe()}"
                      + (f" (attempt {attempt})" if attempt > 1 else ""))
            log.info("asking %s (attempt %d of %d)", settings.describe(), attempt, settings.max_retries + 1)
            try:
                if stream:
                    content, reasoning, finish, usage = call.streamed(client, stream_options)
                else:
                    content, reasoning, finish, usage = call.blocking(client)
            except openai.BadRequestError as exc:
                if stream and stream_options and "stream_options" in _server_message(exc, secrets):
                    log.info("%s does not take stream_options; asking again without", host)
                    stream_options = False
                    attempt -= 1
                    continue
                raise _as_model_error(exc, settings, env, secrets, attempt) from None
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError,
                    _Stalled, _Truncated) as exc:
                if time.monotonic() >= deadline:
                    raise call.timeout_error() from None
                delay = _retry_delay(exc, attempt)
                if attempt > settings.max_retries or delay is None or time.monotonic() + delay >= deadline:
                    raise _as_model_error(exc, settings, env, secrets, attempt) from None
                reason = _retry_reason(exc, settings)
                log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", host, reason, delay,
                            attempt + 1, settings.max_retries + 1)
                call.emit("retry", message=f"{reason}; retrying in {delay:.1f} s")
                time.sleep(delay)
                continue
            except openai.APIStatusError as exc:
                if exc.status_code in (408, 409) and attempt <= settings.max_retries:
                    delay = _retry_delay(exc, attempt) or RETRY_BASE_S
                    if time.monotonic() + delay < deadline:
                        time.sleep(delay)
                        continue
                raise _as_model_error(exc, settings, env, secrets, attempt) from None
            except (openai.APIResponseValidationError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise _as_model_error(exc, settings, env, secrets, attempt) from None
            except openai.OpenAIError as exc:
                raise ModelError(f"{host}: {_scrub(str(exc), secrets)}", host=host) from None
            usage["requests"] = attempt
            call.emit("done", message=f"finished ({finish})")
            return content, reasoning, finish, usage


def generate(concept: Concept, settings: ModelSettings, *, manim_version: str, env: Mapping[str, str],
             on_progress: ProgressCallback | None = None) -> Generation:
    """Ask the model for the concept's scene and notes; raise a ModelError subclass on failure."""
    messages = build_messages(concept, manim_version=manim_version, duration=concept.scene.duration)
    return _ask(concept, settings, messages, env=env, on_progress=on_progress, expect_notes=True)


def repair(concept: Concept, settings: ModelSettings, *, manim_version: str, code: str, diagnostics: str,
           attempt: int, env: Mapping[str, str], on_progress: ProgressCallback | None = None) -> Generation:
    """Ask the model to fix a failing scene; the result's notes are usually empty (keep the old ones)."""
    messages = build_repair_messages(concept, manim_version=manim_version, code=code,
                                     diagnostics=diagnostics, attempt=attempt)
    return _ask(concept, settings, messages, env=env, on_progress=on_progress, expect_notes=False)


def _ask(concept: Concept, settings: ModelSettings, messages: list[dict[str, str]], *,
         env: Mapping[str, str], on_progress: ProgressCallback | None, expect_notes: bool) -> Generation:
    started = time.monotonic()
    content, reasoning, finish, usage = complete(settings, messages, env=env, on_progress=on_progress)
    latency = time.monotonic() - started
    parsed: ParsedAnswer = parse_answer(content, scene_class=concept.scene_class, finish_reason=finish)
    problems = parsed.problems
    if not expect_notes:
        problems = tuple(p for p in problems if "notes" not in p)
    reasoning = reasoning or parsed.reasoning
    host = settings.endpoint_host()
    if parsed.code is None:
        raise BadAnswer(
            f"{settings.describe()} gave no usable scene for {concept.slug}: " + "; ".join(problems),
            host=host, problems=problems, answer=content, reasoning=reasoning, usage=usage)
    for fix in parsed.fixes:
        log.info("%s: %s", concept.slug, fix)
    return Generation(
        code=parsed.code, notes=parsed.notes or "", reasoning=reasoning, model=settings.model,
        endpoint_host=host, prompt_tokens=usage["prompt_tokens"],
        completion_tokens=usage["completion_tokens"], reasoning_tokens=usage["reasoning_tokens"],
        latency_s=round(latency, 3), finish_reason=finish, problems=problems, fixes=parsed.fixes,
        provider=settings.provider, requests=usage["requests"], tokens_reported=usage["reported"],
        answer=content,
    )


# ---------------------------------------------------------------- one request


class _Stalled(Exception):
    """The stream sent nothing for stall_timeout_s."""


class _Truncated(Exception):
    """The stream ended with no finish_reason and no [DONE]: the connection dropped."""


class _Call:
    """State shared by the attempts of one completion: timing, progress, counters."""

    def __init__(self, settings: ModelSettings, messages: list[dict[str, str]], started: float,
                 deadline: float, on_progress: ProgressCallback | None) -> None:
        self.settings = settings
        self.messages = messages
        self.started = started
        self.deadline = deadline
        self.on_progress = on_progress
        self.attempt = 1
        self.tokens = 0

    def emit(self, kind: str, *, reasoning: str = "", content: str = "", message: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(ProgressEvent(kind, round(time.monotonic() - self.started, 3), self.tokens,
                                           reasoning, content, self.attempt, message))

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timeout_error()
        return left

    def timeout_error(self) -> ModelTimeout:
        s = self.settings
        return ModelTimeout(
            f"{s.describe()} gave no complete answer within {s.timeout_s:g} s (model.timeout_s): "
            "raise the timeout, lower model.max_tokens, or try a faster model", host=s.endpoint_host())

    def _params(self, stream: bool) -> dict[str, Any]:
        s = self.settings
        params: dict[str, Any] = {"model": s.model, "messages": self.messages, "temperature": s.temperature}
        # OpenAI's reasoning models take only max_completion_tokens; other servers know max_tokens.
        params["max_completion_tokens" if s.provider == "openai" else "max_tokens"] = s.max_tokens
        if stream:
            params["stream"] = True
        return params

    def streamed(self, client: openai.OpenAI, stream_options: bool) -> tuple[str, str, str, Usage]:
        import openai

        self.tokens = 0
        left = self.remaining()
        params = self._params(stream=True)
        if stream_options:
            params["stream_options"] = {"include_usage": True}
        timeout = openai.Timeout(min(self.settings.stall_timeout_s, left), connect=min(CONNECT_TIMEOUT_S, left))
        content: list[str] = []
        reasoning: list[str] = []
        finish = ""
        usage: Usage | None = None
        splitter = _ThinkSplitter()
        try:
            response = client.chat.completions.create(**params, timeout=timeout)
            with response:
                for chunk in response:
                    if time.monotonic() > self.deadline:
                        raise self.timeout_error()
                    if getattr(chunk, "usage", None) is not None:
                        usage = _usage(chunk.usage)
                    choices = getattr(chunk, "choices", None)
                    if not choices:
                        continue
                    choice = choices[0]
                    delta = getattr(choice, "delta", None)
                    r_delta = _text_attr(delta, "reasoning_content") or _text_attr(delta, "reasoning")
                    c_delta = _text_attr(delta, "content")
                    if r_delta:
                        reasoning.append(r_delta)
                    if c_delta:
                        content.append(c_delta)
                    if r_delta or c_delta:
                        self.tokens += 1
                        if self.tokens == 1:
                            checkpoint("model-answer")  # test kill point: an answer is arriving
                        think, shown = splitter.feed(c_delta)
                        self.emit("reasoning" if r_delta or think else "content",
                                  reasoning=r_delta + think, content=shown)
                    if getattr(choice, "finish_reason", None):
                        finish = str(choice.finish_reason)
        except openai.APITimeoutError:
            raise _Stalled(self.settings.stall_timeout_s) from None
        if not finish:
            raise _Truncated()
        return self._finish("".join(content), "".join(reasoning), finish, usage)

    def blocking(self, client: openai.OpenAI) -> tuple[str, str, str, Usage]:
        import openai

        left = self.remaining()
        timeout = openai.Timeout(left, connect=min(CONNECT_TIMEOUT_S, left))
        try:
            completion = client.chat.completions.create(**self._params(stream=False), timeout=timeout)
        except openai.APITimeoutError:
            raise self.timeout_error() from None
        if not hasattr(completion, "choices"):
            raise openai.APIResponseValidationError(
                response=getattr(completion, "response", None), body=completion,  # type: ignore[arg-type]
                message="not a chat completion")
        if not completion.choices:
            raise _Truncated()
        choice = completion.choices[0]
        message = choice.message
        content = message.content or ""
        reasoning = _text_attr(message, "reasoning_content") or _text_attr(message, "reasoning")
        self.tokens = completion.usage.completion_tokens if completion.usage else 0
        usage = _usage(completion.usage) if completion.usage is not None else None
        return self._finish(content, reasoning, str(choice.finish_reason or "stop"), usage)

    def _finish(self, content: str, reasoning: str, finish: str, usage: Usage | None) -> tuple[str, str, str, Usage]:
        think, rest, unterminated = split_reasoning(content)
        if think and not unterminated:
            reasoning = "\n\n".join(part for part in (reasoning.strip(), think) if part)
            content = rest
        if usage is None:
            usage = Usage(prompt_tokens=0, completion_tokens=self.tokens, reasoning_tokens=0,
                          total_tokens=self.tokens, reported=False, requests=self.attempt)
        return content, reasoning.strip(), finish, usage


class _ThinkSplitter:
    """Routes streamed content inside a leading <think> block to the reasoning, for live display."""

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self.state = "start"
        self.buffer = ""

    def feed(self, text: str) -> tuple[str, str]:
        self.buffer += text
        think, shown = "", ""
        while True:
            if self.state == "start":
                head = self.buffer.lstrip()
                if not head or (len(head) < len(self.OPEN) and self.OPEN.startswith(head)):
                    return think, shown
                if head.startswith(self.OPEN):
                    self.state, self.buffer = "think", head[len(self.OPEN):]
                else:
                    self.state = "content"
            elif self.state == "think":
                end = self.buffer.find(self.CLOSE)
                if end >= 0:
                    think += self.buffer[:end]
                    self.state, self.buffer = "content", self.buffer[end + len(self.CLOSE):].lstrip("\n")
                    continue
                keep = len(self.CLOSE) - 1
                if len(self.buffer) > keep:
                    think += self.buffer[:-keep]
                    self.buffer = self.buffer[-keep:]
                return think, shown
            else:
                shown += self.buffer
                self.buffer = ""
                return think, shown


def _text_attr(obj: Any, name: str) -> str:
    value = getattr(obj, name, None) if obj is not None else None
    return value if isinstance(value, str) else ""


def _usage(raw: Any) -> Usage:
    details = getattr(raw, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    prompt = int(getattr(raw, "prompt_tokens", 0) or 0)
    completion = int(getattr(raw, "completion_tokens", 0) or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, reasoning_tokens=int(reasoning or 0),
                 total_tokens=int(getattr(raw, "total_tokens", 0) or prompt + completion),
                 reported=True, requests=1)


# ---------------------------------------------------------------- errors and retries


def _retry_delay(exc: BaseException, attempt: int) -> float | None:
    """Seconds to wait before the next attempt; None when the server asks for too long a wait."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            value = headers.get(name)
            if value is None:
                continue
            try:
                seconds = float(value) * scale
            except ValueError:
                continue
            if seconds > RETRY_AFTER_MAX_S:
                return None
            if seconds >= 0:
                return seconds
    backoff: float = min(RETRY_BASE_S * 2.0 ** (attempt - 1), RETRY_CAP_S)
    return backoff * (0.75 + 0.25 * random.random())


def _retry_reason(exc: BaseException, settings: ModelSettings) -> str:
    """A few words on why an attempt failed, for the retry log line."""
    if isinstance(exc, _Stalled):
        return f"the stream stalled (nothing for {settings.stall_timeout_s:g} s)"
    if isinstance(exc, _Truncated):
        return "the stream closed before the answer finished"
    code = getattr(exc, "status_code", None)
    if code == 429:
        return "rate limited (HTTP 429)"
    if code is not None:
        return f"HTTP {code}"
    return f"connection failed ({type(exc).__name__})"


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Remove keys (and key-looking tokens) from text that may reach a message or a log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return re.sub(r"\b(sk|key|api|tok)-[A-Za-z0-9_\-*]{6,}", r"\1-***", text)


def _server_message(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """The server's own error message, scrubbed and shortened."""
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            message = str(inner.get("message") or "")
        elif isinstance(inner, str):
            message = inner
        if not message:
            message = str(body.get("message") or "")
    elif isinstance(body, str):
        message = body
    if not message:
        message = getattr(exc, "message", "") or str(exc)
    message = " ".join(_scrub(message, secrets).split())
    return message[:300] + ("..." if len(message) > 300 else "")


def _key_var(settings: ModelSettings, env: Mapping[str, str]) -> str:
    if settings.api_key_env and env.get(settings.api_key_env, "").strip():
        return settings.api_key_env
    return settings.api_key_env or ENV_API_KEY


def _as_model_error(exc: BaseException, settings: ModelSettings, env: Mapping[str, str],
                    secrets: tuple[str, ...], attempts: int) -> ModelError:
    """Turn an openai exception into our error, with what to do next and without the key."""
    import openai

    host = settings.endpoint_host()
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
    status = getattr(exc, "status_code", None)
    said = _server_message(exc, secrets) if isinstance(exc, openai.APIStatusError) else ""
    said_part = f" The server said: {said}" if said else ""
    var = _key_var(settings, env)
    if isinstance(exc, openai.AuthenticationError):
        if not settings.needs_key and not env.get(settings.api_key_env or ENV_API_KEY, "").strip():
            hint = f"this server wants an API key: set {ENV_API_KEY} (or name its variable with model.api_key_env)"
        else:
            hint = f"check that the environment variable {var} holds a valid key for {settings.provider}"
        return ModelAuthError(f"{host} refused the API key (HTTP 401): {hint}.{said_part}", host=host, status=401)
    if isinstance(exc, openai.PermissionDeniedError):
        return ModelAuthError(
            f"{host} denied access (HTTP 403) to model {settings.model!r}: the key in {var} may lack access "
            f"to this model, or the account may be out of credit.{said_part}", host=host, status=403)
    if isinstance(exc, openai.NotFoundError):
        return ModelNotFound(
            f"{host} has no model {settings.model!r} (HTTP 404): set `model:` (model.model in the mathreel "
            f"settings of mkdocs.yml, {ENV_MODEL}, or the concept's `model:`) to a model this endpoint "
            f"serves, and check model.base_url ({settings.base_url}; OpenAI-compatible APIs usually end "
            f"in /v1).{said_part}", host=host, status=404)
    if isinstance(exc, openai.RateLimitError):
        return ModelRateLimited(
            f"{host} kept rate-limiting requests (HTTP 429){tries}: wait and build again, use fewer "
            f"--jobs, or raise model.max_retries.{said_part}", host=host, status=429)
    if isinstance(exc, openai.InternalServerError):
        return ModelUnavailable(f"{host} failed with HTTP {status}{tries}: try again later.{said_part}",
                                host=host, status=status)
    if isinstance(exc, openai.BadRequestError):
        return ModelProtocolError(
            f"{host} rejected the request (HTTP 400) for model {settings.model!r}: check model.max_tokens "
            f"({settings.max_tokens}) and model.temperature against what this model accepts.{said_part}",
            host=host, status=400)
    if isinstance(exc, openai.APIStatusError):
        if status == 402:
            return ModelAuthError(f"{host} says payment is required (HTTP 402): top up the account whose "
                                  f"key is in {var}.{said_part}", host=host, status=402)
        return ModelError(f"{host} answered HTTP {status} for model {settings.model!r}.{said_part}",
                          host=host, status=status)
    if isinstance(exc, _Stalled):
        return ModelTimeout(
            f"{host} stopped sending (nothing for {settings.stall_timeout_s:g} s, model.stall_timeout_s)"
            f"{tries}: the server may be overloaded; try again or raise the stall timeout", host=host)
    if isinstance(exc, openai.APITimeoutError):
        return ModelTimeout(f"{host} did not answer in time{tries}: check that the server is up and "
                            "not overloaded", host=host)
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable(
            f"could not connect to {host}{tries} ({type(exc.__cause__).__name__ if exc.__cause__ else 'connection error'}): "
            f"check model.base_url ({settings.base_url}) and that the server is running", host=host)
    if isinstance(exc, _Truncated):
        return ModelUnavailable(f"{host} closed the answer stream before it finished{tries}: try again",
                                host=host)
    # Invalid JSON, HTML pages, or other bodies that are not chat completions.
    return ModelProtocolError(
        f"{host} sent something that is not an OpenAI chat-completions answer ({type(exc).__name__}): "
        f"check model.base_url ({settings.base_url}); OpenAI-compatible APIs usually end in /v1",
        host=host)

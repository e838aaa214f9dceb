"""The real openai client against a scripted server on 127.0.0.1, and the prompts it sends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from modelserver import (
    ModelServer,
    drop,
    invalid_json,
    ok,
    prompt_anchors,
    stall,
    status,
)

from builder.model import client as client_module
from builder.model.client import (
    BadAnswer,
    Generation,
    ModelAuthError,
    ModelError,
    ModelNotFound,
    ModelProtocolError,
    ModelRateLimited,
    ModelTimeout,
    ModelUnavailable,
    ProgressEvent,
    complete,
    generate,
    repair,
)
from builder.model.prompt import (
    build_messages,
    build_repair_messages,
    generation_key_parts,
    python_literal,
    template_hash,
)
from builder.model.providers import ModelSettings, resolve_model
from builder.spec import Anchor, Concept, SceneOptions

# Loaded by tests/conftest.py too; naming it here lets this file run on its own.
pytest_plugins = ["modelserver"]

KEY = "sk-test-0123456789abcdef"
KEY_ENV = "MATHREEL_TEST_MODEL_KEY"
ENV = {KEY_ENV: KEY}
MANIM = "0.22.0"

ANCHORS = (
    Anchor("Pythagoras", r"a^2 + b^2 = c^2"),
    Anchor("Fraction", r"\frac{\partial f}{\partial x} = \lim_{h \to 0} \frac{f(x+h)-f(x)}{h}"),
    Anchor("Quotes and text", r'\text{"area"} = \int_0^1 x\,dx'),
    Anchor("Aligned", "\\begin{aligned} x &= 1 \\\\\n y &= 2 \\end{aligned}"),
)

CONCEPT = Concept(slug="pythagoras", path=Path("concepts/pythagoras.yaml"), title="Pythagoras' theorem",
                  prompt="Show the squares on the sides of a right triangle.", anchors=ANCHORS)

SCENE = '''from manim import *


class PythagorasScene(Scene):
    def construct(self):
        self.play(Write(MathTex(r"a^2 + b^2 = c^2")))
        self.wait(1)
'''
NOTES = "# Pythagoras\n\n$$\na^2 + b^2 = c^2\n$$\n"
ANSWER = f"```python\n{SCENE}```\n\n````markdown\n{NOTES}````\n"
MESSAGES = [{"role": "user", "content": "hello"}]


def settings_for(server: ModelServer, **extra: Any) -> ModelSettings:
    raw = {"provider": "custom", "base_url": server.base_url, "model": "test-model", "api_key_env": KEY_ENV,
           "timeout_s": 30, "stall_timeout_s": 2, "max_retries": 2, **extra}
    return resolve_model(raw, env=ENV)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without a Retry-After header wait 10 ms, not seconds."""
    monkeypatch.setattr(client_module, "RETRY_BASE_S", 0.01)


# ---------------------------------------------------------------- happy paths


def test_streaming_with_reasoning_content(model_server: ModelServer) -> None:
    model_server.script(ok(ANSWER, reasoning="First I draw the triangle, then the squares."))
    events: list[ProgressEvent] = []
    gen = generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV, on_progress=events.append)
    assert isinstance(gen, Generation)
    assert gen.code == SCENE
    assert gen.notes == NOTES
    assert gen.reasoning == "First I draw the triangle, then the squares."
    assert gen.finish_reason == "stop"
    assert gen.problems == () and gen.fixes == ()
    assert (gen.model, gen.endpoint_host, gen.provider) == ("test-model", model_server.base_url.split("/")[2], "custom")
    assert gen.prompt_tokens == 100 and gen.reasoning_tokens == 8 and gen.completion_tokens > 8
    assert gen.tokens_reported and gen.requests == 1 and gen.latency_s > 0
    request = model_server.requests[0]
    assert request.stream and request.body["stream_options"] == {"include_usage": True}
    assert request.body["model"] == "test-model"
    assert request.body["max_tokens"] == 8192 and request.body["temperature"] == 0.2
    kinds = [e.kind for e in events]
    assert kinds[0] == "request" and kinds[-1] == "done"
    assert "".join(e.reasoning_delta for e in events) == "First I draw the triangle, then the squares."
    assert "".join(e.content_delta for e in events) == ANSWER
    assert kinds.index("reasoning") < kinds.index("content")
    elapsed = [e.elapsed_s for e in events]
    assert elapsed == sorted(elapsed)
    assert events[-2].tokens > 0


def test_think_block_in_content(model_server: ModelServer) -> None:
    model_server.script(ok("<think>\nPlan: triangle, squares, equation.\n</think>\n\n" + ANSWER, chunk_size=5))
    events: list[ProgressEvent] = []
    gen = generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV, on_progress=events.append)
    assert gen.reasoning == "Plan: triangle, squares, equation."
    assert gen.code == SCENE and gen.notes == NOTES
    assert "<think>" not in gen.answer
    shown = "".join(e.content_delta for e in events)
    assert "<think>" not in shown and "</think>" not in shown and "Plan:" not in shown
    assert "Plan: triangle" in "".join(e.reasoning_delta for e in events)


def test_non_streaming(model_server: ModelServer) -> None:
    model_server.script(ok(ANSWER, reasoning="why"))
    content, reasoning, finish, usage = complete(settings_for(model_server), MESSAGES, env=ENV, stream=False)
    assert content == ANSWER and reasoning == "why" and finish == "stop"
    assert usage["prompt_tokens"] == 100 and usage["reported"]
    assert not model_server.requests[0].stream


def test_server_without_usage_chunk(model_server: ModelServer) -> None:
    model_server.script(ok(ANSWER, usage=False))
    _, _, _, usage = complete(settings_for(model_server), MESSAGES, env=ENV)
    assert not usage["reported"] and usage["completion_tokens"] > 0


def test_answer_without_notes_keeps_the_code(model_server: ModelServer) -> None:
    model_server.script(ok(f"```python\n{SCENE}```\n"))
    gen = generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    assert gen.code == SCENE and gen.notes == ""
    assert "no study notes in the answer" in gen.problems


def test_non_streaming_stall_hits_the_deadline(model_server: ModelServer) -> None:
    model_server.default = stall()
    with pytest.raises(ModelTimeout):
        complete(settings_for(model_server, timeout_s=1), MESSAGES, env=ENV, stream=False)


def test_default_answer_follows_the_prompt(model_server: ModelServer) -> None:
    gen = generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    assert "class PythagorasScene(Scene)" in gen.code
    for anchor in ANCHORS:
        assert anchor.latex in gen.notes


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("fault", [429, 500, 503])
def test_transient_error_then_success(model_server: ModelServer, fault: int) -> None:
    model_server.script(status(fault), ok(ANSWER))
    events: list[ProgressEvent] = []
    gen = generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV, on_progress=events.append)
    assert gen.code == SCENE
    assert model_server.request_count == 2 and gen.requests == 2
    assert [e.kind for e in events].count("retry") == 1


def test_retry_without_retry_after_uses_backoff(model_server: ModelServer) -> None:
    model_server.script(status(500, retry_after_ms=None), status(502, retry_after_ms=None), ok(ANSWER))
    content, *_ = complete(settings_for(model_server), MESSAGES, env=ENV)
    assert content == ANSWER and model_server.request_count == 3


def test_rate_limit_exhausted(model_server: ModelServer) -> None:
    model_server.default = status(429)
    with pytest.raises(ModelRateLimited, match=r"HTTP 429\) after 3 attempts") as info:
        complete(settings_for(model_server, max_retries=2), MESSAGES, env=ENV)
    assert model_server.request_count == 3
    assert "max_retries" in str(info.value)


def test_server_error_exhausted(model_server: ModelServer) -> None:
    model_server.default = status(500)
    with pytest.raises(ModelUnavailable, match="HTTP 500 after 2 attempts"):
        complete(settings_for(model_server, max_retries=1), MESSAGES, env=ENV)


def test_too_long_retry_after_is_not_waited_for(model_server: ModelServer) -> None:
    model_server.script(status(429, retry_after_ms=10_000_000), ok(ANSWER))  # almost three hours
    started = time.monotonic()
    with pytest.raises(ModelRateLimited):
        complete(settings_for(model_server), MESSAGES, env=ENV)
    # Gave up instead of waiting: no second request, and nowhere near the hours asked for
    # (the bound is loose on purpose: a slow, busy machine must not fail this).
    assert model_server.request_count == 1
    assert time.monotonic() - started < 60


def test_stream_options_refused_then_asked_without(model_server: ModelServer) -> None:
    model_server.script(status(400, "Unrecognized request argument supplied: stream_options"), ok(ANSWER))
    content, *_ = complete(settings_for(model_server), MESSAGES, env=ENV)
    assert content == ANSWER
    assert "stream_options" in model_server.requests[0].body
    assert "stream_options" not in model_server.requests[1].body


def test_bad_request_is_not_retried(model_server: ModelServer) -> None:
    model_server.script(status(400, "max_tokens is too large: 8192 > 4096"))
    with pytest.raises(ModelProtocolError, match=r"HTTP 400.*max_tokens is too large"):
        complete(settings_for(model_server), MESSAGES, env=ENV)
    assert model_server.request_count == 1


# ---------------------------------------------------------------- errors that name the fix


def test_401_names_the_env_var(model_server: ModelServer) -> None:
    model_server.default = status(401, f"Incorrect API key provided: {KEY}.")
    with pytest.raises(ModelAuthError) as info:
        generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    text = str(info.value)
    assert KEY_ENV in text and "401" in text
    assert KEY not in text
    assert model_server.request_count == 1  # never retried


def test_403(model_server: ModelServer) -> None:
    model_server.default = status(403)
    with pytest.raises(ModelAuthError, match="HTTP 403") as info:
        complete(settings_for(model_server), MESSAGES, env=ENV)
    assert KEY_ENV in str(info.value)


def test_404_names_the_model_setting(model_server: ModelServer) -> None:
    model_server.default = status(404, "The model `test-model` does not exist")
    with pytest.raises(ModelNotFound) as info:
        generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    text = str(info.value)
    assert "'test-model'" in text and "`model:`" in text and "model.base_url" in text


def test_missing_key_makes_no_request(model_server: ModelServer) -> None:
    settings = settings_for(model_server)
    with pytest.raises(ModelAuthError, match=KEY_ENV):
        generate(CONCEPT, settings, manim_version=MANIM, env={})
    assert model_server.request_count == 0


def test_stalled_stream_times_out_within_bound(model_server: ModelServer) -> None:
    model_server.default = stall()  # the server holds the stream open for 60 s
    started = time.monotonic()
    with pytest.raises(ModelTimeout, match=r"nothing for 2 s") as info:
        complete(settings_for(model_server, max_retries=0), MESSAGES, env=ENV)
    took = time.monotonic() - started
    # Waited the stall_timeout_s (a slow machine only adds to it), then gave up on its own,
    # well before the server would have let go: bounds in order, not a tight wall-clock figure.
    assert 2 <= took < 30, took
    assert model_server.request_count == 1
    assert "stall_timeout_s" in str(info.value)


def test_stall_then_success(model_server: ModelServer) -> None:
    model_server.script(stall(), ok(ANSWER))
    content, *_ = complete(settings_for(model_server, stall_timeout_s=0.5), MESSAGES, env=ENV)
    assert content == ANSWER and model_server.request_count == 2


def test_hard_overall_timeout(model_server: ModelServer) -> None:
    model_server.default = ok(ANSWER, delay_s=120)
    started = time.monotonic()
    with pytest.raises(ModelTimeout, match=r"within 1.5 s \(model.timeout_s\)"):
        complete(settings_for(model_server, timeout_s=1.5, stall_timeout_s=5), MESSAGES, env=ENV)
    took = time.monotonic() - started
    # Not before the deadline, and long before the answer; the message names the limit that fired.
    assert 1.5 <= took < 60, took


def test_hard_overall_timeout_non_streaming(model_server: ModelServer) -> None:
    model_server.default = ok(ANSWER, delay_s=120)
    started = time.monotonic()
    with pytest.raises(ModelTimeout, match=r"model\.timeout_s"):
        complete(settings_for(model_server, timeout_s=1.5), MESSAGES, env=ENV, stream=False)
    took = time.monotonic() - started
    assert 1.5 <= took < 60, took


@pytest.mark.parametrize("stream", [True, False])
def test_invalid_json(model_server: ModelServer, stream: bool) -> None:
    model_server.default = invalid_json()
    with pytest.raises(ModelProtocolError, match=r"not an OpenAI chat-completions answer.*base_url"):
        complete(settings_for(model_server), MESSAGES, env=ENV, stream=stream)
    assert model_server.request_count == 1


def test_dropped_stream(model_server: ModelServer) -> None:
    model_server.default = drop()
    with pytest.raises(ModelUnavailable, match=r"closed the answer stream"):
        complete(settings_for(model_server, max_retries=1), MESSAGES, env=ENV)
    assert model_server.request_count == 2


def test_unreachable_endpoint() -> None:
    settings = resolve_model({"provider": "custom", "base_url": "http://127.0.0.1:9/v1", "model": "m",
                              "max_retries": 0}, env={})
    with pytest.raises(ModelUnavailable, match=r"could not connect to 127.0.0.1:9.*base_url"):
        complete(settings, MESSAGES, env={})


def test_no_code_is_a_bad_answer(model_server: ModelServer) -> None:
    model_server.script(ok("I cannot help with that."))
    with pytest.raises(BadAnswer) as info:
        generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    assert "no python code block" in str(info.value)
    assert info.value.answer == "I cannot help with that."
    assert info.value.usage is not None and info.value.usage["prompt_tokens"] == 100


def test_truncated_answer_is_a_bad_answer(model_server: ModelServer) -> None:
    model_server.script(ok("```python\nfrom manim import *\n\nclass PythagorasScene(Scene):\n    def construct(self):\n        x = (",
                           finish_reason="length"))
    with pytest.raises(BadAnswer, match="cut off") as info:
        generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    assert any("max_tokens" in p for p in info.value.problems)


FAULTS = {
    "401": status(401, f"bad key {KEY}"), "403": status(403, f"key {KEY} has no access"),
    "404": status(404, f"no model for {KEY}"), "429": status(429, f"slow down {KEY}"),
    "500": status(500, f"boom {KEY}"), "400": status(400, f"bad {KEY}"), "json": invalid_json(),
    "drop": drop(), "stall": stall(), "prose": ok(f"no code here {KEY}"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_key_never_in_error_text(model_server: ModelServer, fault: str) -> None:
    model_server.default = FAULTS[fault]
    with pytest.raises(ModelError) as info:
        generate(CONCEPT, settings_for(model_server, max_retries=0, stall_timeout_s=0.3), manim_version=MANIM,
                 env=ENV)
    error = info.value
    assert KEY not in str(error) and KEY not in repr(error)
    assert error.__cause__ is None or KEY not in str(error.__cause__)
    assert all(KEY not in str(getattr(error, name, "")) for name in ("problems", "reasoning"))
    assert model_server.auth_headers[0] == f"Bearer {KEY}"


def test_key_not_in_generation_or_logs(model_server: ModelServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    model_server.script(status(429), ok(ANSWER))
    gen = generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    assert KEY not in repr(gen)
    assert KEY not in caplog.text
    assert KEY not in "".join(r.body.get("messages", [{}])[0].get("content", "") for r in model_server.requests)


def test_local_server_gets_a_dummy_key(model_server: ModelServer) -> None:
    settings = resolve_model({"provider": "vllm", "model": "test-model"},
                             env={"MATHREEL_BASE_URL": model_server.base_url})
    model_server.script(ok(ANSWER))
    complete(settings, MESSAGES, env={})
    assert model_server.auth_headers == ["Bearer not-needed"]


def test_mathreel_api_key_is_sent(model_server: ModelServer) -> None:
    env = {"MATHREEL_BASE_URL": model_server.base_url, "MATHREEL_API_KEY": "env-key-1", "DEEPSEEK_API_KEY": "ds"}
    settings = resolve_model(None, env=env)
    complete(settings, MESSAGES, env=env)
    assert model_server.auth_headers == ["Bearer env-key-1"]


def test_openai_org_is_not_sent_elsewhere(model_server: ModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-private")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-private")
    complete(settings_for(model_server), MESSAGES, env=ENV)
    headers = model_server.requests[0].headers
    assert "openai-organization" not in headers and "openai-project" not in headers


def test_openai_provider_uses_max_completion_tokens(model_server: ModelServer) -> None:
    settings = resolve_model({"provider": "openai", "max_tokens": 2000},
                             env={"MATHREEL_BASE_URL": model_server.base_url, "OPENAI_API_KEY": "k"})
    complete(settings, MESSAGES, env={"OPENAI_API_KEY": "k"})
    body = model_server.requests[0].body
    assert body["max_completion_tokens"] == 2000 and "max_tokens" not in body


# ---------------------------------------------------------------- prompts


def test_prompt_sent_contains_every_anchor_verbatim(model_server: ModelServer) -> None:
    generate(CONCEPT, settings_for(model_server), manim_version=MANIM, env=ENV)
    prompt = model_server.requests[0].prompt
    for anchor in ANCHORS:
        assert anchor.latex in prompt
    assert prompt_anchors(prompt) == [a.latex for a in ANCHORS]
    assert "PythagorasScene" in prompt and "Manim Community v0.22.0" in prompt
    assert CONCEPT.prompt in prompt and CONCEPT.title in prompt


def test_scene_prompt_contents() -> None:
    messages = build_messages(CONCEPT, manim_version="0.22.0", duration=30)
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    for rule in ("`Create` (never `ShowCreation`)", "`TexMobject`", "axes.plot", "raw string", "No `$` inside `MathTex`",
                 "No Unicode math", "np.trapezoid", "MovingCameraScene", "from manim import *", "14.2 units wide",
                 "8 units high", "16:9"):
        assert rule in system, rule
    for module in ("manim", "numpy", "math", "random", "itertools", "functools", "typing", "dataclasses",
                   "collections"):
        assert module in system
    assert "about 30 seconds" in user
    assert "subclass of `Scene`" in user
    assert "```python" in user and "````markdown" in user
    assert "{{" not in system + user


def test_three_d_prompt() -> None:
    concept = Concept(slug="torus", path=Path("concepts/torus.yaml"), title="Torus", prompt="A torus.",
                      anchors=(Anchor("T", "x^2"),), scene=SceneOptions(three_d=True))
    user = build_messages(concept, manim_version="0.22.0", duration=20)[1]["content"]
    assert "class named `TorusScene`, a subclass of `ThreeDScene`" in user


def test_repair_prompt() -> None:
    code = SCENE + "\n# a ``` fence in a comment\n"
    messages = build_repair_messages(CONCEPT, manim_version="0.22.0", code=code,
                                     diagnostics="line 6: NameError: name 'ShowCreation' is not defined", attempt=2)
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert code.rstrip("\n") in user
    assert "NameError: name 'ShowCreation'" in user
    assert "attempt 2" in user
    assert "````python" in user  # the fence is longer than any backtick run inside
    for anchor in ANCHORS:
        assert anchor.latex in user


def test_repair_round_trip(model_server: ModelServer) -> None:
    model_server.script(ok(f"Fixed:\n```python\n{SCENE}```\n"))
    gen = repair(CONCEPT, settings_for(model_server), manim_version=MANIM, code="broken", diagnostics="E1",
                 attempt=1, env=ENV)
    assert gen.code == SCENE and gen.notes == "" and gen.problems == ()
    assert "E1" in model_server.requests[0].prompt


@pytest.mark.parametrize(("latex", "literal"), [
    (r"a^2", 'r"a^2"'),
    (r'\text{"x"}', "r'\\text{\"x\"}'"),
    ("a\\\\\nb", 'r"""a\\\\\nb"""'),
    ("x\\", "'x\\\\'"),
])
def test_python_literal_round_trips(latex: str, literal: str) -> None:
    assert python_literal(latex) == literal
    assert eval(literal) == latex


def test_template_hash_and_key_parts() -> None:
    digest = template_hash()
    assert len(digest) == 64 and digest == template_hash()
    env = {"DEEPSEEK_API_KEY": "sk-never-in-keys"}
    settings = resolve_model(None, env=env)
    parts = generation_key_parts(CONCEPT, settings, manim_version="0.22.0")
    assert set(parts) == {"title", "prompt", "level", "anchors", "duration", "three_d", "scene_class",
                          "template_hash", "provider", "endpoint", "model", "temperature", "max_tokens",
                          "manim_version"}
    assert parts["template_hash"] == digest and parts["endpoint"] == "api.deepseek.com"
    assert "sk-never-in-keys" not in repr(parts) and "DEEPSEEK_API_KEY" not in repr(parts)
    slower = resolve_model({"timeout_s": 5, "max_retries": 0, "stall_timeout_s": 1}, env=env)
    assert generation_key_parts(CONCEPT, slower, manim_version="0.22.0") == parts
    other = resolve_model({"model": "deepseek-reasoner"}, env=env)
    assert generation_key_parts(CONCEPT, other, manim_version="0.22.0") != parts


def test_importing_the_client_does_not_import_openai() -> None:
    code = "import sys, builder.model, builder.model.client; assert 'openai' not in sys.modules"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                   env={**os.environ, "PYTHONPATH": str(root)})

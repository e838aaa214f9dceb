"""parse_answer on realistic model answers: one row per way models format (or break) them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import pytest

from builder.model.parse import parse_answer, split_reasoning

CLS = "PythagorasScene"

SCENE = '''from manim import *


class PythagorasScene(Scene):
    def construct(self):
        eq = MathTex(r"a^2 + b^2 = c^2")
        self.play(Write(eq))
        self.wait(2)
'''

NOTES = r'''# Pythagoras' theorem

For a right triangle with legs $a$, $b$ and hypotenuse $c$:

$$
a^2 + b^2 = c^2
$$

## Exercises

1. Show that $3, 4, 5$ is a Pythagorean triple.
'''


def fenced(lang: str, body: str, fence: str = "```") -> str:
    return f"{fence}{lang}\n{body.rstrip()}\n{fence}\n"


@dataclass(frozen=True)
class Case:
    """An answer and what parsing it must give."""

    text: str
    finish: str | None = "stop"
    code_has: tuple[str, ...] = ()  # substrings of the code; () with code_none=False: code just exists
    code_none: bool = False
    notes_has: tuple[str, ...] = ()
    notes_none: bool = False
    reasoning_has: str = ""
    problem: str = ""  # a substring of one problem
    fix: str = ""  # a substring of one fix
    no_problems: bool = False
    extra: dict[str, str] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "clean two blocks": Case(
        fenced("python", SCENE) + "\n" + fenced("markdown", NOTES, "````"),
        code_has=("class PythagorasScene(Scene)",), notes_has=("a^2 + b^2 = c^2", "## Exercises"),
        no_problems=True),
    "reasoning block first": Case(
        "<think>\nThe user wants squares on the sides. I will use MathTex.\n</think>\n\n"
        + fenced("python", SCENE) + fenced("markdown", NOTES),
        code_has=("MathTex",), notes_has=("Exercises",), reasoning_has="squares on the sides",
        no_problems=True),
    "prose around the blocks": Case(
        "Sure! Here is a Manim scene that shows the theorem.\n\n" + fenced("python", SCENE)
        + "\nAnd here are the study notes:\n\n" + fenced("markdown", NOTES)
        + "\nLet me know if you want changes!",
        code_has=("self.wait(2)",), notes_has=("Pythagoras",), no_problems=True),
    "draft then corrected version": Case(
        "First attempt:\n" + fenced("python", SCENE.replace("Write(eq)", "ShowCreation(eq)"))
        + "\nOops, ShowCreation is old. Corrected:\n" + fenced("python", SCENE) + fenced("markdown", NOTES),
        code_has=("Write(eq)",), fix="used block 2"),
    "helper block without a scene is skipped": Case(
        fenced("python", "def helper(x):\n    return x ** 2\n") + fenced("python", SCENE)
        + fenced("markdown", NOTES),
        code_has=("class PythagorasScene",), no_problems=True),
    "truncated inside the code": Case(
        "```python\nfrom manim import *\n\nclass PythagorasScene(Scene):\n    def construct(self):\n"
        "        eq = MathTex(r\"a^2 + b^2",
        finish="length", code_none=True, notes_none=True, problem="cut off"),
    "truncated code that happens to parse": Case(
        "```python\nfrom manim import *\n\nclass PythagorasScene(Scene):\n    def construct(self):\n"
        "        self.wait(1)\n",
        finish="length", code_none=True, problem="cut off before its end"),
    "truncated inside the notes": Case(
        fenced("python", SCENE) + "````markdown\n# Pythagoras\n\nFor a right triangle $a^2 + b",
        finish="length", code_has=("class PythagorasScene",), notes_none=True,
        problem="study notes were cut off"),
    "unfenced code cut off by the token limit": Case(
        SCENE, finish="length", code_none=True, problem="cut off before its end"),
    "notes given first": Case(
        fenced("markdown", NOTES) + "\nNow the scene:\n" + fenced("python", SCENE),
        code_has=("class PythagorasScene",), notes_has=("Exercises",), no_problems=True),
    "no fences, whole answer is python": Case(
        SCENE, code_has=("class PythagorasScene(Scene)",), notes_none=True, problem="no study notes"),
    "windows line endings": Case(
        (fenced("python", SCENE) + fenced("markdown", NOTES)).replace("\n", "\r\n"),
        code_has=("class PythagorasScene(Scene):\n    def construct",), notes_has=("$$\na^2",),
        no_problems=True, extra={"no_cr": "yes"}),
    "wrong class name is renamed": Case(
        fenced("python", SCENE.replace("PythagorasScene", "PythagoreanTheorem")) + fenced("markdown", NOTES),
        code_has=("class PythagorasScene(Scene)",), fix="renamed class PythagoreanTheorem to PythagorasScene",
        no_problems=True),
    "two scene classes": Case(
        fenced("python", SCENE.replace("PythagorasScene", "Intro")
               + "\n\nclass Proof(Scene):\n    def construct(self):\n        self.wait()\n")
        + fenced("markdown", NOTES),
        code_has=("class Intro(Scene)", "class Proof(Scene)"), problem="two Scene subclasses: Intro, Proof"),
    "missing import is added": Case(
        fenced("python", SCENE.replace("from manim import *\n", "import numpy as np\n"))
        + fenced("markdown", NOTES),
        code_has=("from manim import *\nimport numpy as np",), fix="added `from manim import *`",
        no_problems=True),
    "prose only": Case(
        "I'm sorry, but I can't produce an animation without more details about the triangle.",
        code_none=True, notes_none=True, problem="no python code block"),
    "tilde fences": Case(
        fenced("python", SCENE, "~~~") + fenced("markdown", NOTES, "~~~~"),
        code_has=("class PythagorasScene",), notes_has=("Exercises",), no_problems=True),
    "py tag": Case(
        fenced("py", SCENE) + fenced("md", NOTES), code_has=("MathTex",), notes_has=("Exercises",),
        no_problems=True),
    "python3 tag": Case(
        fenced("python3", SCENE) + fenced("markdown", NOTES), code_has=("MathTex",), no_problems=True),
    "untagged code fence": Case(
        fenced("", SCENE) + fenced("markdown", NOTES), code_has=("MathTex",), notes_has=("Exercises",),
        no_problems=True),
    "notes under a Notes heading": Case(
        fenced("python", SCENE) + "\n## Notes\n\n" + NOTES,
        code_has=("MathTex",), notes_has=("# Pythagoras' theorem", "Exercises"), no_problems=True),
    "notes heading then the scene": Case(
        "## Study notes\n\n" + NOTES + "\n## Scene code\n\n" + fenced("python", SCENE),
        code_has=("MathTex",), notes_has=("Exercises",), no_problems=True,
        extra={"notes_lacks": "Scene code"}),
    "notes with an inner code fence": Case(
        fenced("python", SCENE) + "````markdown\n" + NOTES
        + "\nIn Manim:\n\n```python\neq = MathTex(r\"a^2\")\n```\n\nThe end.\n````\n",
        code_has=("class PythagorasScene",), notes_has=("The end.", "```python"), no_problems=True),
    "markdown fence with inner fence of the same length": Case(
        fenced("python", SCENE) + "```markdown\n" + NOTES
        + "\nExample:\n\n```python\nx = 1\n```\n\nAfter the example.\n```\n",
        code_has=("class PythagorasScene",), notes_has=("After the example.",), no_problems=True),
    "helper classes in the scene block are kept": Case(
        fenced("python", "from manim import *\n\n\nclass Square3(VGroup):\n    pass\n\n\n"
               "class Base(Scene):\n    def setup(self):\n        self.title = Text('P')\n\n\n"
               "class Main(Base):\n    def construct(self):\n        self.add(Square3())\n")
        + fenced("markdown", NOTES),
        code_has=("class Square3(VGroup)", "class Base(Scene)", "class PythagorasScene(Base)"),
        fix="renamed class Main to PythagorasScene", no_problems=True),
    "syntax error in a complete block": Case(
        fenced("python", SCENE.replace("self.wait(2)", "self.wait(2")) + fenced("markdown", NOTES),
        code_has=("self.wait(2",), problem="does not parse"),
    "answer ended inside its reasoning": Case(
        "<think>\nLet me plan the scene. First the triangle, then", finish="length",
        code_none=True, reasoning_has="plan the scene", problem="inside its reasoning"),
    "closing think tag only": Case(
        "The user wants a triangle. Plan: squares.\n</think>\n\n" + fenced("python", SCENE)
        + fenced("markdown", NOTES),
        code_has=("MathTex",), reasoning_has="Plan: squares.", no_problems=True),
    "manimgl import": Case(
        fenced("python", SCENE.replace("from manim import *", "from manimlib import *"))
        + fenced("markdown", NOTES),
        code_has=("from manim import *",), fix="manimlib", no_problems=True),
    "empty answer": Case("", code_none=True, notes_none=True, problem="empty"),
    "unfenced code then a notes heading": Case(
        "Here is the code.\n\n" + SCENE + "\n## Notes\n\n" + NOTES,
        code_has=("class PythagorasScene",), notes_has=("Exercises",), fix="without code fences"),
    "latex block is not taken for code": Case(
        fenced("latex", r"a^2 + b^2 = c^2") + fenced("python", SCENE) + fenced("markdown", NOTES),
        code_has=("class PythagorasScene",), no_problems=True),
    "content filter": Case(
        fenced("python", SCENE) + fenced("markdown", NOTES), finish="content_filter",
        code_has=("MathTex",), problem="content filter"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parse_answer(name: str) -> None:
    case = CASES[name]
    parsed = parse_answer(case.text, scene_class=CLS, finish_reason=case.finish)
    problems = " | ".join(parsed.problems)
    if case.code_none:
        assert parsed.code is None, parsed.code
    else:
        assert parsed.code is not None, problems
        for part in case.code_has:
            assert part in parsed.code
        assert parsed.code.endswith("\n") and not parsed.code.endswith("\n\n")
        assert "\r" not in parsed.code
        assert "```" not in parsed.code and "~~~" not in parsed.code
    if case.notes_none:
        assert parsed.notes is None, parsed.notes
    for part in case.notes_has:
        assert parsed.notes is not None and part in parsed.notes, parsed.notes
    if "notes_lacks" in case.extra:
        assert parsed.notes is not None and case.extra["notes_lacks"] not in parsed.notes
    if case.extra.get("no_cr"):
        assert parsed.notes is not None and "\r" not in parsed.notes
    if case.reasoning_has:
        assert case.reasoning_has in parsed.reasoning
    else:
        assert "<think>" not in (parsed.code or "")
    if case.problem:
        assert case.problem in problems, problems
    if case.no_problems:
        assert parsed.problems == (), problems
    if case.fix:
        assert any(case.fix in f for f in parsed.fixes), parsed.fixes


def test_every_shape_at_once_gives_back_exactly_the_scene_and_notes() -> None:
    """Reasoning, prose, a stray shell block, the scene and the notes in one answer."""
    text = ("<think>First the triangle, then the squares.</think>\nHere is a scene. Install Manim first:\n\n"
            + fenced("bash", "pip install manim") + "\nThe scene:\n\n" + fenced("python", SCENE)
            + "\nAnd the notes:\n\n" + fenced("markdown", NOTES) + "\nHope this helps!\n")
    parsed = parse_answer(text, scene_class=CLS, finish_reason="stop")
    assert (parsed.code, parsed.notes) == (SCENE, NOTES)
    assert parsed.reasoning == "First the triangle, then the squares."
    assert parsed.problems == () and parsed.fixes == ()
    cut = parse_answer(fenced("python", SCENE) + "```markdown\n# Notes\n\nCut off mid", scene_class=CLS,
                       finish_reason="length")
    assert cut.code == SCENE and cut.notes is None, "a truncated answer keeps its finished scene only"


def test_code_that_parses_is_valid_python() -> None:
    for case in CASES.values():
        parsed = parse_answer(case.text, scene_class=CLS, finish_reason=case.finish)
        if parsed.code is not None and not any("does not parse" in p for p in parsed.problems):
            ast.parse(parsed.code)


def test_rename_leaves_strings_alone() -> None:
    code = SCENE.replace("PythagorasScene", "Foo") + "\nLABEL = 'Foo'\n\n\ndef f():\n    return Foo\n"
    parsed = parse_answer(fenced("python", code), scene_class=CLS)
    assert parsed.code is not None
    assert "LABEL = 'Foo'" in parsed.code
    assert "return PythagorasScene" in parsed.code
    assert "class PythagorasScene(Scene)" in parsed.code


def test_import_goes_after_docstring_and_future() -> None:
    code = '"""Doc."""\nfrom __future__ import annotations\n\nclass PythagorasScene(Scene):\n    def construct(self):\n        self.play(Create(Circle()))\n'
    parsed = parse_answer(fenced("python", code), scene_class=CLS)
    assert parsed.code is not None
    lines = parsed.code.splitlines()
    assert lines[:3] == ['"""Doc."""', "from __future__ import annotations", "from manim import *"]
    ast.parse(parsed.code)


def test_existing_expected_class_is_not_renamed() -> None:
    code = SCENE + "\n\nclass Extra(Scene):\n    def construct(self):\n        pass\n"
    parsed = parse_answer(fenced("python", code), scene_class=CLS)
    assert parsed.code is not None and "class Extra(Scene)" in parsed.code
    assert parsed.fixes == ()
    assert not any("Scene subclasses" in p for p in parsed.problems)


def test_split_reasoning() -> None:
    assert split_reasoning("<think>a</think>b") == ("a", "b", False)
    assert split_reasoning("x <thinking>r</thinking> y") == ("r", "x  y", False)
    assert split_reasoning("<think>never closed") == ("never closed", "", True)
    assert split_reasoning("plain") == ("", "plain", False)

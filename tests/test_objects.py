"""The API lint on what a scene does with the Manim objects it builds (builder/checks/objects.py):
a method the class lacks, an argument a call leaves out, a formula part past the end. Each rule
speaks only where the source leaves no doubt, so the other half of every test is a scene Manim
runs, which must pass untouched."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.checks import check_scene, format_diagnostics

NEW_KINDS = {"unknown-attribute", "missing-argument", "no-such-part"}


def scene(body: str, *, head: str = "from manim import *\n") -> str:
    return head + "\n\nclass Demo(Scene):\n    def construct(self):\n" + textwrap.indent(textwrap.dedent(body), " " * 8)


def findings(source: str) -> list[tuple[str, int | None, str]]:
    result = check_scene(source, scene_class="Demo", latex=False, fix=False)
    return [(d.kind, d.line, d.message) for d in result.errors]


def kinds(source: str) -> list[tuple[str, int | None]]:
    return [(kind, line) for kind, line, _ in findings(source)]


# -- methods the class does not have ----------------------------------------------------------------


def test_a_method_the_class_lacks_is_named_with_its_line_and_a_suggestion() -> None:
    (found,) = findings(scene("c = Circle()\nself.add(c)\nc.shift(UP)\nc.get_centre()\n"))
    kind, line, message = found
    assert (kind, line) == ("unknown-attribute", 9)
    assert "Circle has no method `get_centre`" in message and "did you mean .get_center()?" in message


@pytest.mark.parametrize("play", ["c.animate.rotate_in_place(PI / 2)", "c.animate(run_time=2).rotate_in_place(PI / 2)"])
def test_a_method_called_through_animate_is_checked(play: str) -> None:
    (found,) = findings(scene(f"c = Circle()\nself.play({play})\n"))
    assert found[:2] == ("unknown-attribute", 7)
    assert "c.animate.rotate_in_place() does not exist: Circle has no method `rotate_in_place`" in found[2]


def test_a_method_called_on_a_fresh_object_is_checked_too() -> None:
    assert kinds(scene("self.add(Square().move_too(ORIGIN))\n")) == [("unknown-attribute", 6)]


@pytest.mark.parametrize("body", [
    "c = Circle()\nc.set_glow(2)\nself.add(c)\n",                  # set_X is a setter on any mobject
    "c = Circle()\nc.set_glow(2)\nc.get_glow()\n",                  # get_X of an attribute set before
    "c = Circle()\nc.set(glow=2)\nc.get_glow()\n",
    "c = Circle()\nc.glow = 2\nc.get_glow()\n",
    "c = Circle()\nc.generate_target()\nc.target.shift(UP)\nself.play(MoveToTarget(c))\n",
    "t = ValueTracker(0)\nself.play(t.animate.set_value(1))\nself.add(DecimalNumber(t.get_value()))\n",
    "c = Circle()\nself.play(c.animate.shift(UP).set_fill(RED, 0.5), c.animate(run_time=2).scale(2))\n",
    "c = Circle()\nself.play(c.animate.set_glow(1))\n",
    "c = Circle()\nc = Text('x')\nc.set_text_color(RED)\nc.anything_text_has()\n",  # bound twice: unknown
    "c = Circle()\nitems = [Text('a')]\nself.add(*[c.anything() for c in items])\n",  # another c
])
def test_what_manim_accepts_is_not_flagged(body: str) -> None:
    assert [k for k in kinds(scene(body)) if k[0] in NEW_KINDS] == []


def test_a_parameter_of_the_same_name_is_another_object() -> None:
    source = scene("c = Circle()\nself.add(c)\n") + "\n    def helper(self, c):\n        return c.whatever()\n"
    assert kinds(source) == []


def test_opengl_scenes_are_left_to_the_preflight() -> None:
    source = scene("c = Circle()\nc.only_in_opengl()\n", head="from manim import *\nfrom manim.opengl import *\n")
    assert [k for k in kinds(source) if k[0] in NEW_KINDS] == []


# -- arguments a call leaves out ----------------------------------------------------------------------


def test_a_transform_without_target_is_named() -> None:
    (found,) = findings(scene("c = Circle()\nself.play(Transform(c))\n"))
    assert found[:2] == ("missing-argument", 7) and "Transform(mobject, target_mobject)" in found[2]


def test_a_missing_required_argument_is_named() -> None:
    (found,) = findings(scene("d = Dot()\nself.play(GrowFromPoint(d))\n"))
    assert found[:2] == ("missing-argument", 7) and "`point`" in found[2] and "TypeError" in found[2]


@pytest.mark.parametrize("call", [
    "Transform(c, Square())", "Transform(c, target_mobject=Square())", "ReplacementTransform(c, Square())",
    "MoveToTarget(c)",  # takes its target from c.target
    "GrowFromPoint(c, ORIGIN)", "GrowFromPoint(c, point=ORIGIN)", "GrowFromPoint(*pair)",
    "Transform(**spec)",
])
def test_calls_that_give_what_is_needed_pass(call: str) -> None:
    body = f"c = Circle()\nc.generate_target()\npair = (c, ORIGIN)\nspec = dict(mobject=c, target_mobject=Dot())\n" \
           f"self.play({call})\n"
    assert [k for k in kinds(scene(body)) if k[0] in NEW_KINDS] == []


# -- formula parts past the end ------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "index"), [
    ('MathTex("a", "+", "b")', "3"), ('MathTex("a", "+", "b")', "-4"),
    ('MathTex("a", "", "b")', "2"),  # Manim drops the empty string: two parts
    ('Tex("one", "two")', "2"),
])
def test_a_part_past_the_end_is_named(build: str, index: str) -> None:
    body = f"eq = {build}\nself.play(Write(eq))\nself.play(eq.animate.shift(UP))\nself.play(Indicate(eq[{index}]))\n"
    (found,) = findings(scene(body))
    assert found[:2] == ("no-such-part", 9) and f"eq[{index}] does not exist" in found[2]
    assert "one per string argument" in found[2]


@pytest.mark.parametrize("use", [
    "self.play(Transform(eq, MathTex('a', 'b', 'c', 'd', 'e', 'f')))",   # takes the target's parts
    "self.play(TransformMatchingTex(eq, MathTex('a', 'b', 'c', 'd', 'e', 'f')))",
    "group = VGroup(eq, Dot())",                                          # a holder may be transformed
    "eq.become(MathTex('a', 'b', 'c', 'd', 'e', 'f'))",
    "self.play(eq.animate.become(MathTex('a', 'b', 'c', 'd', 'e', 'f')))",
    "eq.add(Dot(), Dot(), Dot())",
    "eq.add_updater(lambda m: m)",
    "other = eq",
    "self.play(Write(eq.scale(2).copy()), FadeIn(VGroup(eq.set_color(RED))))",
])
def test_a_use_that_may_change_the_parts_silences_the_rule(use: str) -> None:
    body = f'eq = MathTex("a", "+", "b")\nself.add(eq)\n{use}\nself.play(Indicate(eq[5]))\n'
    assert [k for k in kinds(scene(body)) if k[0] == "no-such-part"] == []


@pytest.mark.parametrize("build", [
    'MathTex("a {{b}} c")', 'MathTex("a", "b", substrings_to_isolate=["x"])',
    'MathTex(*["a", "b"])', 'MathTex(r"\\frac{a}{b}", name)', 'MathTex("a", "b", **style)',
])
def test_formulas_whose_parts_the_source_does_not_show_are_left_alone(build: str) -> None:
    body = f'name = "x"\nstyle = {{}}\neq = {build}\nself.add(eq[7])\n'
    assert [k for k in kinds(scene(body)) if k[0] == "no-such-part"] == []


def test_parts_inside_range_pass() -> None:
    body = 'eq = MathTex("a", "+", "b")\nself.add(eq[0], eq[2], eq[-3], eq[0][0], eq[1:9])\n'
    assert kinds(scene(body)) == []


# -- no false rejections on scenes Manim's own documentation runs ------------------------------------------


def _manim_doc_examples() -> Iterator[tuple[str, str, str]]:
    """(where, scene class, source) for every `.. manim:: Scene` example in Manim's docstrings."""
    import manim

    for path in sorted(Path(manim.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                continue
            lines = (ast.get_docstring(node, clean=True) or "").splitlines()
            for i, line in enumerate(lines):
                found = re.match(r"^(\s*)\.\. manim:: (\w+)", line)
                if not found:
                    continue
                indent, body = len(found.group(1)), []
                for more in lines[i + 1:]:
                    if more.strip() and len(more) - len(more.lstrip()) <= indent:
                        break
                    if not more.strip().startswith(":"):
                        body.append(more)
                source = textwrap.dedent("\n".join(body))
                yield f"{path.name}:{found.group(2)}", found.group(2), "from manim import *\n" + source


def test_manims_documented_examples_raise_none_of_these_findings() -> None:
    examples = list(_manim_doc_examples())
    assert len(examples) > 300
    flagged: list[str] = []
    for where, scene_class, source in examples:
        try:
            result = check_scene(source, scene_class=scene_class, latex=False, fix=False)
        except SyntaxError:
            continue
        flagged += [f"{where}: {format_diagnostics([d])}" for d in result.errors if d.kind in NEW_KINDS]
    assert flagged == []

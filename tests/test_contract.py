"""The scene contract: one scene, or several scenes in one file as one concept's chapters."""

from __future__ import annotations

import ast

import pytest

from builder.checks import check_scene
from builder.checks.contract import SceneInfo, check_contract, readable_class_name, scene_classes
from builder.checks.diagnostics import Diagnostic

EXPECTED = "EulerIdentityScene"

STORY = '''from manim import *


def unit_circle(radius=2.0):
    return Circle(radius=radius, color=BLUE)


class Badge(VGroup):
    def __init__(self, label, **kwargs):
        super().__init__(RoundedRectangle(width=3, height=1), Text(label, font_size=28), **kwargs)


class StoryScene(Scene):
    def headline(self, text):
        title = Text(text, font_size=40).to_edge(UP)
        self.play(Write(title))
        return title


class Scene1_Intro(StoryScene):
    """Where e to the i pi comes from.

    A longer explanation that is not the title.
    """

    def construct(self):
        self.headline("Euler")
        self.play(Create(unit_circle()), FadeIn(Text("Opening")))


class Scene2(StoryScene):
    def construct(self):
        self.add(Badge("rotation"))
        title = Text("Rotation   by  angle")
        self.play(Write(title), Write(Tex("ignored")))


class Scene3_QEDLagrangian(StoryScene):
    def construct(self):
        self.play(Create(Square()))
        self.wait(0.5)
'''


def contract(source: str, scene_class: str = EXPECTED, *, fix: bool = True
             ) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
    return check_contract(ast.parse(source), source, scene_class=scene_class, fix=fix)


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def test_three_chapters_with_helpers_pass_the_contract() -> None:
    source, diags, rewrites = contract(STORY)
    assert diags == () and rewrites == () and source == STORY


def test_three_chapters_pass_the_whole_static_ladder() -> None:
    result = check_scene(STORY, scene_class=EXPECTED, latex=False)
    assert result.ok, result.diagnostics
    assert result.source == STORY  # several scenes are never renamed to the expected class


def test_chapters_come_in_file_order_with_readable_titles() -> None:
    chapters = scene_classes(STORY)
    assert [c.name for c in chapters] == ["Scene1_Intro", "Scene2", "Scene3_QEDLagrangian"]
    assert [c.line for c in chapters] == [line_of(STORY, "class Scene1_Intro"), line_of(STORY, "class Scene2"),
                                          line_of(STORY, "class Scene3_QED")]
    assert all(c.base == "StoryScene" for c in chapters)
    intro, second, third = chapters
    # the docstring's first line wins over the first Text (the helper's Text is not in construct)
    assert intro.title == "Where e to the i pi comes from."
    assert intro.docstring is not None and intro.docstring.startswith("Where e")
    assert intro.title_text == "Opening"
    # the first Text/Tex/Title literal in construct, whitespace collapsed; Badge's Text is inside a helper
    assert second == SceneInfo("Scene2", line_of(STORY, "class Scene2"), "StoryScene", None,
                               "Rotation by angle", "Rotation by angle")
    assert third.title == "QED Lagrangian"
    assert third.title_text is None


def test_scene_classes_takes_a_tree_and_survives_bad_source() -> None:
    assert [c.name for c in scene_classes(ast.parse(STORY))] == [c.name for c in scene_classes(STORY)]
    assert scene_classes("class (:") == []
    assert scene_classes("x = 1\n") == []


def test_six_threed_chapters_pass() -> None:
    body = "\n\n".join(f"class Scene{i}(ThreeDScene):\n    def construct(self):\n"
                       f"        self.set_camera_orientation(phi={10 * i} * DEGREES)\n"
                       "        self.play(Create(Sphere()))\n" for i in range(1, 7))
    source = f"from manim import *\n\n\n{body}"
    assert contract(source)[1:] == ((), ())
    result = check_scene(source, scene_class=EXPECTED, latex=False)
    assert result.ok, result.diagnostics
    chapters = scene_classes(source)
    assert [c.title for c in chapters] == [f"Scene {i}" for i in range(1, 7)]
    assert {c.base for c in chapters} == {"ThreeDScene"}


def test_a_chapter_without_construct_is_named_with_its_line() -> None:
    source = ("from manim import *\n\n\nclass Intro(Scene):\n    def construct(self):\n"
              "        self.play(Create(Circle()))\n\n\nclass Outro(Scene):\n    def build(self):\n"
              "        self.wait()\n")
    _, diags, _ = contract(source)
    assert [(d.kind, d.line) for d in diags] == [("no-construct", 9)]
    assert diags[0].message.startswith("in scene Outro (line 9): ")
    assert diags[0].snippet == "class Outro(Scene):"
    assert not check_scene(source, scene_class=EXPECTED, latex=False).ok


def test_a_chapter_with_a_bad_construct_is_named() -> None:
    source = ("from manim import *\n\n\nclass Scene1(Scene):\n    def construct(self, n):\n        pass\n\n\n"
              "class Scene2(Scene):\n    def construct(self):\n        pass\n")
    _, diags, _ = contract(source)
    assert [(d.kind, d.line) for d in diags] == [("bad-construct", 5)]
    assert "in scene Scene1 (line 4): " in diags[0].message


def test_a_chapter_defined_twice_is_reported() -> None:
    source = ("from manim import *\n\n\nclass Scene1(Scene):\n    def construct(self):\n        pass\n\n\n"
              "class Scene1(Scene):\n    def construct(self):\n        self.wait()\n")
    _, diags, _ = contract(source)
    assert [(d.kind, d.line) for d in diags] == [("duplicate-scene-class", 9)]
    assert "in scene Scene1 (line 4)" in diags[0].message
    assert [c.name for c in scene_classes(source)] == ["Scene1"]


def test_single_scene_with_another_name_is_still_renamed() -> None:
    source = ("from manim import *\n\n\nclass Pythagoras(Scene):\n    def construct(self):\n"
              "        self.play(Create(Square()))\n")
    _, diags, _ = contract(source, fix=False)
    assert [(d.kind, d.line, d.fixable) for d in diags] == [("wrong-scene-name", 4, True)]
    fixed, diags, rewrites = contract(source)
    assert diags == ()
    assert rewrites == (f"line 4: class Pythagoras -> class {EXPECTED}",)
    assert f"class {EXPECTED}(Scene):" in fixed
    assert [c.name for c in scene_classes(fixed)] == [EXPECTED]


def test_a_shared_base_is_not_a_chapter() -> None:
    source = ("from manim import *\n\n\nclass Base(Scene):\n    def construct(self):\n        self.wait()\n\n\n"
              f"class {EXPECTED}(Base):\n    pass\n")
    assert contract(source)[1:] == ((), ())
    assert [c.name for c in scene_classes(source)] == [EXPECTED]


@pytest.mark.parametrize(("source", "kind", "line"), [
    ("from manim import *\n\n\nclass Thing(VGroup):\n    pass\n", "no-scene-class", None),
    (f"from manim import *\n\n\nclass {EXPECTED}(VGroup):\n    pass\n", "no-scene-class", 4),
    (f"from manim import *\n\n\nclass {EXPECTED}(Scene):\n    pass\n", "no-construct", 4),
    (f"from manim import *\n\n\nclass {EXPECTED}(Scene):\n    def construct(self):\n        pass\n\n\n"
     f"class {EXPECTED}(Scene):\n    def construct(self):\n        pass\n", "duplicate-scene-class", 9),
])
def test_single_scene_diagnostics_are_kept(source: str, kind: str, line: int | None) -> None:
    _, diags, _ = contract(source)
    assert [(d.kind, d.line) for d in diags] == [(kind, line)]
    assert not diags[0].message.startswith("in scene")


@pytest.mark.parametrize(("name", "title"), [
    ("Scene3_QEDLagrangian", "QED Lagrangian"),
    ("IntroScene", "Intro"),
    ("Scene2", "Scene 2"),
    ("Scene_4", "Scene 4"),
    ("Part2Outro", "Outro"),
    ("EulerIdentityScene", "Euler Identity"),
    ("Scene", "Scene"),
    ("the_end", "The end"),
    ("MainScene", "Main"),
    ("ThreeDSurfaceDemo", "Three D Surface Demo"),
    ("Surface3DScene", "Surface 3D"),
    ("SceneIntro", "Intro"),
    ("Scene1_intro", "Intro"),
    ("fourier_series", "Fourier series"),
    ("Part2Scene", "Part 2"),
    ("HTTPServerScene", "HTTP Server"),
])
def test_readable_class_names(name: str, title: str) -> None:
    assert readable_class_name(name) == title


@pytest.mark.parametrize(("construct", "expected"), [
    ('        self.add(Title("Fourier", "series"))\n', "Fourier series"),
    ('        t = Tex(r"The $\\pi$ trick")\n', "The $\\pi$ trick"),
    ('        name = "x"\n        self.add(Text(name))\n        self.add(Text("later"))\n', None),
    ('        self.add(MathTex("x^2"))\n', None),
])
def test_title_text_is_the_first_title_call_if_literal(construct: str, expected: str | None) -> None:
    source = f"from manim import *\n\n\nclass Scene1(Scene):\n    def construct(self):\n{construct}"
    [info] = scene_classes(source)
    assert info.title_text == expected
    assert info.title == (expected or "Scene 1")

"""mathreel_style, the reviewed style module scenes may import: its helpers, its staging beside
scene.py for every child, the checks' view of it, and a real sandboxed render of scenes using it.

The module is loaded the way the checks load it (builder/templates/mathreel_style.py under its
own name), so these tests judge the very file that is staged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO, RenderPool, make_project

from builder.checks import check_scene
from builder.checks.safety import import_scene_module
from builder.runner import Completed, Limits

TEMPLATES = REPO / "builder" / "templates"


@pytest.fixture(scope="module")
def style() -> ModuleType:
    module = import_scene_module("mathreel_style")
    assert module is not None, "builder/templates/mathreel_style.py does not import"
    return module


def test_title_sits_at_the_top_edge_in_ink(style: ModuleType) -> None:
    from manim import Text, config

    title = style.make_title("A title")
    assert isinstance(title, Text)
    assert title.get_top()[1] == pytest.approx(config.frame_height / 2 - style.EDGE_BUFF)
    assert abs(title.get_center()[0]) < 1e-6
    assert title.font_size == pytest.approx(style.TITLE_SIZE)
    assert title.get_color().to_hex().upper() == style.INK.upper()
    assert title.font == style.FONT


def test_caption_sits_at_the_bottom_edge_muted(style: ModuleType) -> None:
    from manim import Text, config

    caption = style.make_caption("A caption")
    assert isinstance(caption, Text)
    assert caption.get_bottom()[1] == pytest.approx(-config.frame_height / 2 + style.EDGE_BUFF)
    assert caption.font_size == pytest.approx(style.CAPTION_SIZE)
    assert caption.get_color().to_hex().upper() == style.MUTED.upper()
    assert caption.font == style.FONT


def test_max_width_shrinks_long_text_and_never_enlarges(style: ModuleType) -> None:
    from manim import config

    long = style.make_caption("a caption far too long for the frame " * 3, max_width=10)
    assert long.width == pytest.approx(10)
    assert long.get_bottom()[1] == pytest.approx(-config.frame_height / 2 + style.EDGE_BUFF)
    short, plain = style.make_title("Hi", max_width=10), style.make_title("Hi")
    assert plain.width < 10 and short.width == pytest.approx(plain.width)
    assert short.get_top()[1] == pytest.approx(config.frame_height / 2 - style.EDGE_BUFF)


def test_swap_fades_the_old_caption_out_then_the_new_one_in(style: ModuleType) -> None:
    from manim import FadeIn, FadeOut, Succession

    old, new = style.make_caption("one"), style.make_caption("two")
    animation = style.swap(old, new)
    assert isinstance(animation, Succession)
    first, second = animation.animations
    assert isinstance(first, FadeOut) and first.mobject is old
    assert isinstance(second, FadeIn) and second.mobject is new


def test_palette_and_type_scale(style: ModuleType) -> None:
    from manim import ManimColor

    colours = [style.BG, style.INK, style.MUTED, *style.ACCENTS]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in colours)
    assert [ManimColor(c).to_hex().upper() for c in colours] == [c.upper() for c in colours]
    assert style.ACCENTS == (style.C_BLUE, style.C_GOLD, style.C_GREEN, style.C_CORAL, style.C_VIOLET)
    assert style.TITLE_SIZE > style.BODY_SIZE > style.CAPTION_SIZE > style.LABEL_SIZE > 0
    assert all(hasattr(style, name) for name in style.__all__)


def test_the_prompt_names_only_what_the_module_has() -> None:
    from builder.model.prompt import STYLE_NOTE, allowed_imports, allowed_imports_text

    module = import_scene_module("mathreel_style")
    assert module is not None
    assert "mathreel_style" in allowed_imports()
    assert "optional" in STYLE_NOTE and STYLE_NOTE in allowed_imports_text()
    named = set(re.findall(r"`([A-Za-z_]+)(?:\([^`]*\))?`", STYLE_NOTE)) - {"mathreel_style"}
    assert named and named <= set(module.__all__), named - set(module.__all__)


# -- staging and the checks -------------------------------------------------------------------


class _Recorder:
    """A Runner that runs nothing: it records the work folder's files when the child would start."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def __call__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
                 timeout: float = 600.0, limits: Limits | None = None, check: bool = True) -> Completed:
        self.files = {p.name: p.read_text(encoding="utf-8") for p in cwd.glob("*.py")}
        return Completed(tuple(argv), 0, "", "")


def test_run_manim_stages_the_module_beside_the_scene(tmp_path: Path) -> None:
    from builder.sandbox import run_manim

    (tmp_path / "scene.py").write_text("from mathreel_style import *\n", encoding="utf-8")
    recorder = _Recorder()
    run_manim(["render", "scene.py", "S"], tmp_path, runner=recorder, env={}, timeout=10, trusted=True)
    staged = (TEMPLATES / "mathreel_style.py").read_text(encoding="utf-8")
    assert recorder.files.get("mathreel_style.py") == staged
    assert {"scene.py", "layout_hook.py", "guard.py"} <= set(recorder.files)


STYLED = '''\
from manim import *
from mathreel_style import *
import mathreel_style as ms


class Demo(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        caption = make_caption("one")
        self.play(FadeIn(make_title("Title", max_width=10)), FadeIn(caption))
        self.play(swap(caption, make_caption("two")))
        self.add(Dot(color=ACCENTS[0]), Text("x", font=FONT, font_size=LABEL_SIZE, color=ms.C_GOLD))
'''


def test_the_checks_know_the_names_it_binds() -> None:
    result = check_scene(STYLED, scene_class="Demo", latex=False)
    assert result.ok and result.diagnostics == (), [d.message for d in result.diagnostics]
    typo = check_scene(STYLED.replace("ms.C_GOLD", "ms.C_GLOD"), scene_class="Demo", latex=False)
    assert [d.kind for d in typo.diagnostics] == ["unknown-name"]
    assert "ms.C_GOLD" in typo.diagnostics[0].message


def test_samples_and_the_anchor_template_import_it_instead_of_copying() -> None:
    from builder.anchor_template import template_scene
    from builder.spec import load_concepts

    sources = {p.parent.name: p.read_text(encoding="utf-8") for p in (REPO / "scenes").glob("*/scene.py")}
    concept = load_concepts(REPO / "tests" / "fixtures" / "tiny" / "concepts")[0]
    sources["anchor template"] = template_scene(concept)
    assert len(sources) >= 9
    for name, source in sources.items():
        assert "from mathreel_style import" in source, name
        assert not re.search(r"^(BG|INK|MUTED|FONT|C_[A-Z]+) = |^def (make_title|make_caption|swap)\(",
                             source, flags=re.MULTILINE), f"{name} still defines its own copy"


# -- a real render, sandboxed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory, render_pool: RenderPool) -> Iterator[tuple[Path, Any]]:
    """The tiny gallery built offline: its scenes come from the anchor template, which imports
    mathreel_style. Renders come from the run's shared cache when another module made them."""
    from builder.build import BuildOptions, build

    root = make_project(tmp_path_factory.mktemp("style") / "gallery", "tiny")
    render_pool.seed(root)
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    render_pool.add(root)
    yield root, report


@pytest.mark.integration
def test_a_scene_importing_the_module_renders_in_the_sandbox(tiny_build: tuple[Path, Any]) -> None:
    from builder.sandbox import bwrap_works
    from builder.video.render import VIDEO

    root, report = tiny_build
    for slug in ("euler-identity", "geometric-series"):
        item = report.concepts[slug]
        assert item.status == "built", item.error
        assert "from mathreel_style import" in (root / "scenes" / slug / "scene.py").read_text(encoding="utf-8")
        assert item.render is not None
        if bwrap_works():
            assert item.render.sandbox.startswith("bubblewrap"), item.render.sandbox
        video = root / ".cache" / "render" / item.render_key / VIDEO
        assert video.stat().st_size > 0

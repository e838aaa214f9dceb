"""The sample gallery: every concept's anchors appear in its hand-written scene and notes.

Fast and static (no rendering): each `concepts/*.yaml` is read with `yaml.safe_load`, and its
`scenes/<slug>/` folder must hold a scene that parses and defines the expected class, study notes
of at least 700 words, and a meta.json that marks the scene as hand-written.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
CONCEPTS = sorted((REPO / "concepts").glob("*.yaml"))
MIN_WORDS = 700
SAMPLES = (
    "pythagorean-theorem",
    "optimal-transport",
    "diffusion-models",
    "electroweak-symmetry-breaking",
    "quantum-electrodynamics",
    "gale-shapley",
    "taylor-series-radius",
    "bias-variance",
)


def _class_name(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-")) + "Scene"


def _spec(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: the top level must be a mapping"
    return data


def _anchors(path: Path) -> list[str]:
    anchors = _spec(path).get("anchors")
    assert isinstance(anchors, list) and anchors, f"{path.name}: needs a non-empty list of anchors"
    out = []
    for item in anchors:
        assert isinstance(item, dict) and isinstance(item.get("latex"), str), f"{path.name}: bad anchor {item!r}"
        out.append(item["latex"].strip())
    return out


def test_every_sample_has_a_concept() -> None:
    slugs = {p.stem for p in CONCEPTS}
    missing = [s for s in SAMPLES if s not in slugs]
    assert not missing, f"sample concepts missing from concepts/: {missing}"


@pytest.fixture(params=CONCEPTS, ids=lambda p: p.stem)
def concept(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]


def test_scene_parses_and_defines_the_class(concept: Path) -> None:
    path = REPO / "scenes" / concept.stem / "scene.py"
    assert path.is_file(), f"{path} is missing"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    name = _class_name(concept.stem)
    assert name in classes, f"{path}: no class {name} (found {sorted(classes)})"
    methods = {n.name for n in classes[name].body if isinstance(n, ast.FunctionDef)}
    assert "construct" in methods, f"{path}: {name} has no construct()"


def test_anchors_appear_verbatim_in_scene_and_notes(concept: Path) -> None:
    scene = (REPO / "scenes" / concept.stem / "scene.py").read_text(encoding="utf-8")
    notes = (REPO / "scenes" / concept.stem / "notes.md").read_text(encoding="utf-8")
    for latex in _anchors(concept):
        assert latex in scene, f"{concept.stem}: anchor {latex!r} is not in scene.py"
        assert latex in notes, f"{concept.stem}: anchor {latex!r} is not in notes.md"


def test_notes_are_long_enough_and_start_with_a_section(concept: Path) -> None:
    notes = (REPO / "scenes" / concept.stem / "notes.md").read_text(encoding="utf-8")
    words = len(re.findall(r"\S+", notes))
    assert words >= MIN_WORDS, f"{concept.stem}: notes have {words} words, fewer than {MIN_WORDS}"
    first = next(line for line in notes.splitlines() if line.strip())
    assert first.startswith("## "), f"{concept.stem}: notes must start with a level-2 heading, not {first!r}"
    assert not re.search(r"^# ", notes, flags=re.MULTILINE), f"{concept.stem}: notes must not have a level-1 title"


def test_meta_marks_the_scene_as_hand_written(concept: Path) -> None:
    path = REPO / "scenes" / concept.stem / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    assert meta["provenance"] == "hand-written", f"{path}: provenance is {meta.get('provenance')!r}"
    assert meta["scene_class"] == _class_name(concept.stem), f"{path}: scene_class is {meta.get('scene_class')!r}"
    assert meta["slug"] == concept.stem, f"{path}: slug is {meta.get('slug')!r}"


def test_prerequisites_name_other_concepts(concept: Path) -> None:
    slugs = {p.stem for p in CONCEPTS}
    prereqs = _spec(concept).get("prerequisites") or []
    assert isinstance(prereqs, list)
    for name in prereqs:
        assert name in slugs and name != concept.stem, f"{concept.stem}: bad prerequisite {name!r}"


@pytest.mark.integration
@pytest.mark.parametrize("slug", SAMPLES)
def test_every_sample_scene_runs_to_the_end(slug: str, tmp_path: Path) -> None:
    """Each sample's construct runs (animations skipped to their ends), so a Manim upgrade that
    breaks a sample fails CI; and it shows at least one of its anchors. One test per sample, so
    the test workers share them out."""
    from builder.checks.dryrun import anchor_times, preflight_scenes
    from builder.runner import run
    from builder.video.render import scrubbed_env

    source = (REPO / "scenes" / slug / "scene.py").read_text(encoding="utf-8")
    (tmp_path / "tex").mkdir()
    runs = preflight_scenes(source, scene_class=_class_name(slug), runner=run, workdir=tmp_path / "work",
                            env=scrubbed_env(tmp_path / "home"), budget=240, trusted=True,
                            tex_cache=tmp_path / "tex")
    assert [d.message for d in runs.errors] == []
    assert runs.finished, f"construct did not finish: {[r.facts.phase for _, r in runs.runs]}"
    spec = _spec(REPO / "concepts" / f"{slug}.yaml")
    anchors = [str(a["latex"]) for a in spec["anchors"]]  # type: ignore[union-attr]
    times = anchor_times(anchors, runs.anchors_seen())
    assert any(t is not None for t in times.values()), f"none of its anchors shows on screen: {anchors}"

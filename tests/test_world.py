"""The API mirror: the static checks answer the same from a recorded mirror as from the live
modules, on every corpus the project keeps (hostile, broken, real answers, samples), without
importing Manim or NumPy; a question the mirror cannot answer falls back to the live modules."""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import marshal
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from builder.checks import check_scene, world
from builder.checks.contract import scene_classes
from builder.checks.safety import check_safety

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import test_hostile  # noqa: E402
import test_safety  # noqa: E402


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> world.Mirror:
    path = tmp_path_factory.mktemp("mirror") / "mirror.marshal"
    world.record(path)
    found = world.load(path)
    assert found is not None
    return found


def _scene_sources() -> Iterator[tuple[str, str, str]]:
    """(name, source, scene class) for every scene file the project keeps."""
    files = [*sorted((REPO / "tests" / "corpus").rglob("*.py")), *sorted((REPO / "scenes").rglob("*.py")),
             *sorted((REPO / "tests" / "fixtures").rglob("*.py"))]
    for path in files:
        source = path.read_text(encoding="utf-8")
        try:
            classes = scene_classes(source)
        except SyntaxError:
            classes = ()
        yield str(path.relative_to(REPO)), source, classes[0].name if classes else "Demo"
    for name, source in test_hostile.HOSTILE.items():
        yield f"hostile:{name}", source, "HostileScene"


def _snippets() -> Iterator[tuple[str, str]]:
    for name, prelude, body in test_safety.HOSTILE:
        yield f"safety-hostile:{name}", prelude + test_safety.in_scene(body)
    for case in test_safety.REFUSED:
        yield f"safety-refused:{case[0]}", case[1] + test_safety.in_scene(case[2])
    for name, prelude, body in test_safety.LEGIT:
        yield f"safety-legit:{name}", prelude + test_safety.in_scene(body)


def _static(source: str, scene_class: str) -> tuple[object, ...]:
    result = check_scene(source, scene_class=scene_class, latex=False, fix=True)
    return result.source, result.diagnostics, result.rewrites


def test_mirror_answers_as_the_live_modules_on_every_corpus(mirror: world.Mirror) -> None:
    cases: list[tuple[str, Callable[[], object]]] = [
        (name, functools.partial(_static, source, scene_class)) for name, source, scene_class in _scene_sources()]
    for name, source in _snippets():
        with contextlib.suppress(SyntaxError):
            cases.append((name, functools.partial(check_safety, ast.parse(source), source)))
    assert len(cases) > 400
    before = len(world.misses)
    differ: list[str] = []
    for name, check in cases:
        with world.using(world.live()):
            live = check()
        with world.using(mirror):
            mirrored = check()
        if live != mirrored:
            differ.append(name)
    assert differ == []
    # and the mirror answered every question itself: none went to the live modules
    assert world.misses[before:] == []


def test_mirror_holds_the_facts_of_the_live_modules(mirror: world.Mirror) -> None:
    live = world.live()
    for fact in ("version", "denied_attributes", "manim_attributes"):
        assert mirror.fact(fact) == live.fact(fact), fact
    for method in ("next_to", "set_color", "add_updater"):
        assert mirror.fact("method_kwargs")[method] == live.fact("method_kwargs")[method]
    axes = mirror.namespace["Axes"]
    assert world.class_fact(axes, "accepted_kwargs") == world.class_fact(live.namespace["Axes"], "accepted_kwargs")
    assert "x_range" in world.class_fact(axes, "accepted_kwargs")
    for name in ("Transform", "GrowFromPoint", "MoveToTarget"):
        assert (world.class_fact(mirror.namespace[name], "required_args")
                == world.class_fact(live.namespace[name], "required_args")), name
    assert world.class_fact(mirror.namespace["Transform"], "required_args") == (("mobject", 0), ("target_mobject", 1))
    assert world.is_subclass(mirror.namespace["ThreeDScene"], mirror.namespace["Scene"])
    assert not world.is_subclass(mirror.namespace["Scene"], mirror.namespace["ThreeDScene"])
    # standard-library objects are the real ones, so identity tests stay exact
    np = mirror.import_module("numpy")
    assert isinstance(np, world.Mirrored) and world.name_of(np) == "numpy"
    assert mirror.import_module("functools") is __import__("functools")
    # numpy computes some attributes on demand: names the recorder asked are answered (trapz was
    # removed in NumPy 2), a name nobody asked is not guessed at: it goes to the live modules
    assert world.get_attr(np, "trapz") is world.MISSING
    assert world.is_module(world.get_attr(np, "linalg"))
    with pytest.raises(world.MirrorMiss):
        world.get_attr(np, "a_name_no_one_asked_for")


def test_a_question_the_mirror_cannot_answer_goes_to_the_live_modules(mirror: world.Mirror) -> None:
    # a mirror that lost NumPy: the check still gives the live answer, and says it asked live
    data = marshal.loads(marshal.dumps({"format": world.FORMAT, "objects": mirror._objects,
                                        "modules": {k: v for k, v in mirror._modules.items() if k != "numpy"},
                                        "facts": mirror._facts, "namespace": mirror._raw_namespace}))
    partial = world.Mirror(data)
    source = ("from manim import *\nimport numpy as np\nfrom numpy.lib import npyio\n\n\nclass Demo(Scene):\n"
              "    def construct(self):\n        np.load('x')\n        self.add(Circle())\n")
    with world.using(world.live()):
        live = _static(source, "Demo")
    before = len(world.misses)
    with world.using(partial):
        answered = _static(source, "Demo")
    assert answered == live
    assert any("numpy" in m for m in world.misses[before:])
    assert any(d.kind in ("file-access", "forbidden-attribute", "forbidden-import") for d in live[1])


def test_a_torn_or_foreign_mirror_is_not_used(tmp_path: Path, mirror: world.Mirror) -> None:
    torn = tmp_path / "torn.marshal"
    torn.write_bytes(b"\x00\x01garbage")
    assert world.load(torn) is None
    other = tmp_path / "other.marshal"
    other.write_bytes(marshal.dumps({"format": world.FORMAT + 1, "objects": []}))
    assert world.load(other) is None
    assert world.load(tmp_path / "missing.marshal") is None


def test_the_key_follows_the_checks_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an edited rule (any file of builder/checks) records the mirror again
    before = world._key()
    copy = tmp_path / "checks"
    copy.mkdir()
    for path in Path(world.__file__).parent.glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "safety.py").write_text((copy / "safety.py").read_text() + "\n# edited\n")
    monkeypatch.setattr(world, "__file__", str(copy / "world.py"))
    assert world._key() != before


def test_a_check_with_the_mirror_imports_neither_manim_nor_numpy(tmp_path: Path) -> None:
    # the check of a scene that uses Manim and NumPy freely, in a fresh process, with the mirror
    # this installation has (recorded by the first run if missing)
    scene = REPO / "tests" / "corpus" / "real" / "vector_addition_submodules.py"
    code = (
        "import json, sys\n"
        "from builder.checks import check_scene, world\n"
        "from builder.checks.contract import scene_classes\n"
        f"source = open({str(scene)!r}).read()\n"
        "result = check_scene(source, scene_class=scene_classes(source)[0].name, latex=False)\n"
        "print(json.dumps({'mirrored': world.current().mirrored, 'manim': 'manim' in sys.modules,\n"
        "                  'numpy': 'numpy' in sys.modules, 'errors': [d.message for d in result.diagnostics\n"
        "                  if d.severity == 'error'], 'misses': world.misses}))\n"
    )
    # first a run that makes sure the mirror exists, then the measured one
    subprocess.run([sys.executable, "-c", "from builder.checks import world; world.live().namespace; "
                    "world.ensure_mirror()"], cwd=REPO, check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"mirrored": True, "manim": False, "numpy": False, "errors": [], "misses": []}


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATHREEL_API_MIRROR", "0")
    assert world._load() is None


def test_doctor_says_whether_the_mirror_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.doctor import _mirror_check

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert "not recorded yet" in _mirror_check().detail
    path = world.mirror_path()
    assert path is not None and str(path).startswith(str(tmp_path))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    assert _mirror_check().detail.startswith("recorded for this installation")


def test_recording_keeps_only_the_newest_mirrors(tmp_path: Path, mirror: world.Mirror) -> None:
    # other installations' mirrors stay; a long trail of edits does not pile up
    folder = tmp_path / "mirror"
    folder.mkdir()
    for age in range(6):
        old = folder / f"old{age}.marshal"
        old.write_bytes(b"")
        os.utime(old, (1_000_000 - age, 1_000_000 - age))
    (folder / "notes.txt").write_text("not a mirror")
    new = folder / "new.marshal"
    world.record(new)
    assert sorted(p.name for p in folder.iterdir()) == ["new.marshal", "notes.txt", "old0.marshal",
                                                        "old1.marshal", "old2.marshal"]
    assert world.load(new) is not None


def test_the_first_check_that_imported_manim_records_the_mirror(tmp_path: Path) -> None:
    # a new installation: a syntax error never needs Manim, so it records nothing and imports
    # nothing; the first check that asked the live modules records the mirror for the next ones
    code = (
        "import sys\n"
        "from builder.checks import check_scene, world\n"
        "check_scene('class Demo(Scene)\\n', scene_class='Demo', latex=False)\n"
        "print('RESULT', 'manim' in sys.modules, world.mirror_path().exists())\n"
        "check_scene('from manim import *\\nclass Demo(Scene):\\n    def construct(self):\\n"
        "        self.add(Circle())\\n', scene_class='Demo', latex=False)\n"
        "print('RESULT', 'manim' in sys.modules, world.mirror_path().exists(), world.current().mirrored)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    assert [line for line in out if line.startswith("RESULT ")] == ["RESULT False False", "RESULT True True True"]

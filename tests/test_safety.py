"""The safety step: hostile snippets are rejected, ordinary scene code is not."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from builder.checks import check_scene
from builder.checks.safety import check_safety, denied_attribute_names
from builder.runner import CountingRunner

HEAD = "from manim import *\nimport numpy as np\n\n\nclass Demo(Scene):\n    def construct(self):\n"


def in_scene(body: str) -> str:
    """Wrap statements into a scene's construct (the way model code arrives)."""
    return HEAD + textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8) + "\n"


# (id, module-level prelude, construct body)
HOSTILE: list[tuple[str, str, str]] = [
    ("open-read", "", "t = open('/etc/passwd').read()"),
    ("open-as-value", "", "reader = open\nreader('/etc/passwd')"),
    ("os-environ", "import os\n", "key = os.environ['OPENAI_API_KEY']"),
    ("from-os-environ", "from os import environ\n", "key = environ['HOME']"),
    ("socket", "import socket\n", "socket.create_connection(('example.com', 80))"),
    ("subprocess", "", "import subprocess\nsubprocess.run(['ls'])"),
    ("dunder-import", "", "__import__('os').system('ls')"),
    ("importlib", "import importlib\n", "importlib.import_module('os')"),
    ("getattr-builtins", "", "f = getattr(__builtins__, 'open')"),
    ("subclasses-walk", "", "k = ().__class__.__bases__[0].__subclasses__()"),
    ("type-subclasses", "", "k = type.__subclasses__(object)"),
    ("manim-module-chain", "import manim\n", "manim.utils.file_ops.os.listdir('/')"),
    ("star-module-chain", "", "utils.file_ops.open_file('/etc/passwd')"),
    ("np-os", "", "np.os.system('ls')"),
    ("np-load", "", "a = np.load('data.npy')"),
    ("np-fromfile", "", "a = np.fromfile('/etc/passwd', dtype=np.uint8)"),
    ("np-loadtxt-alias", "import numpy as n\n", "a = n.loadtxt('/etc/passwd')"),
    ("np-savetxt", "", "np.savetxt('/tmp/x.txt', np.zeros(3))"),
    ("ndarray-tofile", "", "np.zeros(3).tofile('/tmp/x.bin')"),
    ("np-lib-npyio", "", "np.lib.npyio.load('x.npy')"),
    ("from-numpy-load", "from numpy import load\n", "a = load('x.npy')"),
    ("numpy-star", "from numpy import *\n", "a = linspace(0, 1, 3)"),
    ("eval", "", "x = eval('1 + 1')"),
    ("exec", "", "exec('import os')"),
    ("compile", "", "c = compile('1', 'f', 'eval')"),
    ("lambda-globals", "", "g = (lambda: 0).__globals__['__builtins__']"),
    ("lambda-default-open", "", "f = lambda o=open: o('/etc/passwd')"),
    ("fstring-open", "", "t = Text(f\"{open('/etc/passwd').read()}\")"),
    ("format-attribute", "", "t = '{0.__init__.__globals__}'.format(Circle())"),
    ("format-frames", "", "t = '{0.gi_frame.f_back.f_globals}'.format((i for i in []))"),
    ("decorator-globals", "", "@(lambda f: f.__globals__)\ndef g():\n    pass"),
    ("decorator-eval", "", "@eval\ndef g():\n    pass"),
    ("generator-frame", "", "fr = (i for i in []).gi_frame.f_back.f_globals"),
    ("init-globals", "", "os_mod = Circle.__init__.__globals__['os']"),
    ("globals", "", "b = globals()['__builtins__']"),
    ("vars", "", "v = vars(Circle)"),
    ("breakpoint", "", "breakpoint()"),
    ("input", "", "name = input()"),
    ("getattr-dynamic", "", "name = 'op' + 'en'\nf = getattr(Circle(), name)"),
    ("getattr-as-value", "", "g = getattr\nf = g(Circle(), '__class__')"),
    ("setattr-dunder", "", "setattr(Circle(), '__class__', Square)"),
    ("random-private-os", "import random\n", "random._os.system('ls')"),
    ("dataclasses-sys", "import dataclasses\n", "m = dataclasses.sys.modules"),
    ("typing-get-type-hints", "import typing\n", "typing.get_type_hints(Circle)"),
    ("attrgetter", "import operator\n", "f = operator.attrgetter('gi_frame')"),
    ("traceback-frame", "", "try:\n    1 / 0\nexcept Exception as e:\n    fr = e.__traceback__.tb_frame"),
    ("image-file", "", "img = ImageMobject('/etc/passwd')"),
    ("image-path-variable", "", "path = 'logo.png'\nimg = ImageMobject(path)"),
    ("svg-file", "", "s = SVGMobject('/etc/x.svg')"),
    ("code-file", "", "c = Code('/etc/passwd')"),
    ("code-file-kw", "", "c = Code(code_file='/etc/passwd', language='text')"),
    ("tex-input", "", "t = MathTex(r'\\input{/etc/passwd}')"),
    ("tex-input-concat", "", "t = Tex('\\\\in' + 'put{/etc/passwd}')"),
    ("tex-input-join", "", "t = Tex(''.join(['\\\\inp', 'ut{/etc/passwd}']))"),
    ("tex-catcode", "", "t = Tex(r'\\catcode`\\^^5c=0 x')"),
    ("tex-template-from-file", "", "tpl = TexTemplate.from_file('/etc/passwd')"),
    ("add-sound", "", "self.add_sound('/etc/passwd')"),
    ("file-writer", "", "self.renderer.file_writer.output_file = '/tmp/x.mp4'"),
    ("camera-image-save", "", "self.camera.get_image().save('/tmp/x.png')"),
    ("config-media-dir", "", "config.media_dir = '/home'"),
    ("config-preview-command", "", "config['preview_command'] = 'rm -rf /'"),
    ("tempconfig", "", "with tempconfig({'media_dir': '/'}):\n    pass"),
    ("manim-capture", "", "out = capture(['ls'])"),
    ("register-font", "", "with register_font('/etc/passwd'):\n    pass"),
    ("import-manim-submodule", "import manim.utils.file_ops\n", "pass"),
    ("from-manim-submodule", "from manim.utils.file_ops import open_file\n", "pass"),
    ("pickle", "import pickle\n", "pickle.loads(b'')"),
    ("builtins-import", "from builtins import open as o\n", "o('/etc/passwd')"),
    ("relative-import", "from . import helpers\n", "pass"),
    ("walrus-open", "", "(o := open)('/etc/passwd')"),
    ("help", "", "help(Circle)"),
    ("math-loader", "import math\n", "l = math.__loader__"),
    ("dunder-keyword", "", "d = dict(__class__=1)"),
    ("string-formatter", "import string\n", "string.Formatter().get_field('0.__class__', [1], {})"),
    ("logger-console-save", "", "logger.handlers[0].console.save_text('/tmp/x')"),
    ("svg-class-alias", "", "make = SVGMobject\ns = make('/etc/x.svg')"),
    ("svg-subclass", "", "class Icon(SVGMobject):\n    pass\ni = Icon('/etc/x.svg')"),
    ("image-partial", "import functools\n", "f = functools.partial(ImageMobject, '/etc/passwd')"),
    ("array-ctypes", "", "c = np.zeros(3).ctypes._ctypes"),
    ("private-attribute", "", "cfg = config._d"),
    ("rng-cffi", "", "x = np.random.default_rng().bit_generator.cffi"),
]

# (id, module-level prelude, construct body) of ordinary scene code that must pass
LEGIT: list[tuple[str, str, str]] = [
    ("random-seed", "import random\n", "random.seed(42)\nx = random.choice([1, 2, 3]) + random.uniform(0, 1)"),
    ("numpy-math", "", "xs = np.linspace(0, 1, 50)\nys = np.sin(xs) * np.exp(-xs)\nn = np.linalg.norm(ys)"),
    ("numpy-rng", "", "rng = np.random.default_rng(0)\npts = rng.uniform(-1, 1, size=(5, 3))"),
    ("numpy-image-array", "", "img = ImageMobject(np.uint8([[0, 100, 30, 200], [255, 0, 5, 33]]))"),
    ("itertools", "import itertools\n", "pairs = list(itertools.product(range(3), repeat=2))"),
    ("value-tracker-redraw", "", "t = ValueTracker(0)\nd = always_redraw(lambda: Dot(RIGHT * t.get_value()))\n"
     "self.add(d)\nself.play(t.animate.set_value(2), run_time=2)"),
    ("updater-dt", "", "c = Circle()\nc.add_updater(lambda m, dt: m.rotate(dt))\nself.add(c)\nself.wait(0.5)\n"
     "c.clear_updaters()"),
    ("functools", "import functools\n", "f = functools.partial(Circle, radius=2)\n"
     "total = functools.reduce(lambda a, b: a + b, [1, 2, 3])"),
    ("collections", "from collections import defaultdict, deque, namedtuple\n",
     "P = namedtuple('P', 'x y')\nd = defaultdict(list)\nq = deque([P(1, 2)])"),
    ("math-cmath", "import math\nimport cmath\n", "r = math.pi * math.sqrt(2) + cmath.exp(1j).real"),
    ("colorsys-fractions", "import colorsys\nfrom fractions import Fraction\n",
     "rgb = colorsys.hsv_to_rgb(0.5, 1, 1)\nq = Fraction(1, 3)"),
    ("typing", "from typing import Callable, Sequence\n", "fs: Sequence[Callable[[float], float]] = [abs]"),
    ("getattr-constant", "", "c = Circle()\nr = getattr(c, 'radius', 1.0)\nsetattr(c, 'tag', 'x')\n"
     "ok = hasattr(c, 'points')"),
    ("config-frame", "", "w = config.frame_width / 2\nconfig.background_color = BLACK\n"
     "h = config['frame_height']"),
    ("camera-background", "", "self.camera.background_color = '#1e1e1e'"),
    ("code-string", "", "c = Code(code_string='x = 1', language='python')"),
    ("save-state-restore", "", "s = Square()\ns.save_state()\nself.play(s.animate.shift(UP))\n"
     "self.play(Restore(s))"),
    ("rate-functions", "", "self.play(FadeIn(Circle()), rate_func=rate_functions.ease_in_out_sine)"),
    ("colors", "", "c = interpolate_color(RED, BLUE, 0.5)\ng = color_gradient([RED, BLUE], 4)"),
    ("text-words", "", "t = Text('open the system: load, save, os and sys are just words')"),
    ("fstring-format", "", "x = 3.14159\nt = Text(f'{x:.2f} and {x!r}')"),
    ("str-format", "", "t = Text('{:.2f} / {}'.format(3.14159, 'pi'))"),
    ("user-attributes", "", "self.N = 50\nself.mu = 0.5\nself.data = [self.N * self.mu]"),
    ("renderer-time", "", "now = self.renderer.time + self.time"),
    ("number-line-numbers", "", "n = NumberLine(x_range=[0, 5, 1], include_numbers=True)\nlabels = n.numbers"),
    ("copy-become", "", "a = Circle()\nb = a.copy().shift(RIGHT)\na.become(b)"),
    ("own-private-attributes", "", "self._cache = {}\nself._cache['k'] = Circle()\nc = self._cache['k']"),
]

MODULE_LEGIT = [
    ("dataclass-helper",
     "from dataclasses import dataclass, field\nfrom manim import *\n\n\n@dataclass\nclass Cfg:\n"
     "    n: int = 3\n    colors: list = field(default_factory=lambda: [RED, BLUE])\n\n    def __post_init__(self):\n"
     "        self.n = max(self.n, 1)\n\n\nclass Demo(Scene):\n    def construct(self):\n        cfg = Cfg()\n"
     "        self.add(*[Dot(color=c) for c in cfg.colors])\n"),
    ("vgroup-subclass-super-init",
     "from manim import *\n\n\nclass Pair(VGroup):\n    def __init__(self, **kwargs):\n"
     "        super().__init__(Circle(), Square(), **kwargs)\n        self.arrange(RIGHT)\n\n\n"
     "class Demo(Scene):\n    def construct(self):\n        self.add(Pair())\n"),
    ("explicit-base-init",
     "from manim import *\n\n\nclass Pair(VGroup):\n    def __init__(self):\n"
     "        VGroup.__init__(self, Circle(), Square())\n\n\nclass Demo(Scene):\n    def construct(self):\n"
     "        self.add(Pair())\n"),
    ("main-guard",
     "from manim import *\n\n\nclass Demo(Scene):\n    def construct(self):\n        self.add(Circle())\n\n\n"
     "if __name__ == \"__main__\":\n    Demo().render()\n"),
    ("enum",
     "from enum import Enum\nfrom manim import *\n\n\nclass Mode(Enum):\n    A = 1\n    B = 2\n\n\n"
     "class Demo(Scene):\n    def construct(self):\n        self.add(Text(Mode.A.name))\n"),
    ("moving-camera-frame",
     "from manim import *\n\n\nclass Demo(MovingCameraScene):\n    def construct(self):\n"
     "        self.camera.frame.save_state()\n        self.play(self.camera.frame.animate.scale(0.5))\n"),
]


@pytest.mark.parametrize(("prelude", "body"), [(p, b) for _, p, b in HOSTILE], ids=[i for i, _, _ in HOSTILE])
def test_hostile_snippet_is_rejected(prelude: str, body: str) -> None:
    source = prelude + in_scene(body)
    diags = check_safety(ast.parse(source), source)
    assert diags, "expected the safety step to reject this"
    assert all(d.step == "safety" and d.severity == "error" and d.line for d in diags)


def test_hostile_table_is_large_enough() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize(("prelude", "body"), [(p, b) for _, p, b in LEGIT], ids=[i for i, _, _ in LEGIT])
def test_legitimate_scene_code_passes(prelude: str, body: str) -> None:
    source = prelude + in_scene(body)
    diags = check_safety(ast.parse(source), source)
    assert diags == (), [d.message for d in diags]
    result = check_scene(source, scene_class="Demo", latex=False)
    assert result.ok, [d.message for d in result.diagnostics]


@pytest.mark.parametrize("source", [s for _, s in MODULE_LEGIT], ids=[i for i, _ in MODULE_LEGIT])
def test_legitimate_modules_pass(source: str) -> None:
    result = check_scene(source, scene_class="Demo", latex=False)
    assert result.ok, [d.message for d in result.diagnostics]


def test_rejected_scene_is_never_run_or_imported(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
              + in_scene("self.add(Circle())"))
    runner = CountingRunner()
    result = check_scene(source, scene_class="Demo", runner=runner, workdir=tmp_path)
    assert not result.ok
    assert {d.step for d in result.diagnostics} == {"safety"}
    assert runner.calls == []
    assert not marker.exists()


def test_common_attribute_names_are_never_denied() -> None:
    common = ["format", "color", "copy", "time", "numbers", "N", "mu", "data", "points", "value", "width",
              "height", "scale", "shift", "animate", "camera", "frame", "renderer", "get_value", "set_value",
              "submobjects", "items", "keys", "values", "append", "join", "split", "replace", "strip",
              "index", "count", "sort", "reverse", "update", "get", "add", "remove", "name", "label", "text",
              "tex_string", "font_size", "x_range", "axes", "graph", "mobjects", "play", "wait", "real", "imag",
              "shape", "T", "dot", "sum", "mean", "round", "tolist", "flatten", "reshape", "astype"]
    assert set(common).isdisjoint(denied_attribute_names())


def test_rejection_names_the_line() -> None:
    source = in_scene("c = Circle()\nx = open('f')")
    (diag,) = check_safety(ast.parse(source), source)
    assert diag.line == 8
    assert diag.kind == "forbidden-name"
    assert diag.snippet == "x = open('f')"

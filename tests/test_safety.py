"""The safety step: hostile snippets are rejected, ordinary scene code is not."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from builder.checks import check_scene
from builder.checks.safety import check_safety, denied_attribute_names, tex_danger
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

# (id, module-level prelude, construct body, expected kind, a fragment of the message): the bypass
# classes a red team found, and for each relaxation of the rules the case that must stay closed
REFUSED: list[tuple[str, str, str, str, str]] = [
    # 1. dynamic format strings
    ("formatter-subclass", "import string\n",
     "class F(string.Formatter):\n    def convert_field(self, value, conversion):\n        return value",
     "format-string", "string.Formatter"),
    ("formatter-import", "from string import Formatter\n", "pass", "forbidden-import", "Formatter"),
    ("format-built-at-runtime", "", "n = len('ab')\nt = ('{0.' + '_' * n + 'init' + '_' * n + '}').format(Circle())",
     "format-string", "only allowed on a string written in the code"),
    ("format-folded-dunder", "", "t = ('{0.' + '_' * 2 + 'init' + '_' * 2 + '}').format(Circle())",
     "format-string", "__init__"),
    ("format-name-bound", "", "f = '{0.' + 'gi_frame}'\nt = f.format((i for i in []))", "format-string", "gi_frame"),
    ("format-joined-list", "", "parts = ['{0.', '__class__}']\nt = ''.join(parts).format(1)",
     "format-string", "written in the code"),
    ("str-format-unbound", "", "t = str.format('{0.__class__}', 1)", "format-string", "written in the code"),
    ("format-map", "", "t = '{a.__class__}'.format_map({'a': 1})", "format-string", "__class__"),
    ("format-nested-spec", "", "t = '{0:{1.__class__}}'.format(1, 2)", "format-string", "__class__"),
    ("format-item-dunder", "", "t = '{0[__builtins__]}'.format({})", "format-string", "__builtins__"),
    ("format-private", "", "t = '{0._d}'.format(Circle())", "format-string", "private"),
    ("getattr-format", "", "s = Text('x').text\nf = getattr(s, 'format')", "dynamic-attribute", "written in the code"),
    # 2. attribute copying, class creation, the class hierarchy
    ("wraps-assigned", "import functools\n", "g = functools.wraps(print, assigned=('__globals__',))(lambda: 0)",
     "dynamic-attribute", "assigned="),
    ("update-wrapper-positional", "import functools\n", "functools.update_wrapper(Circle(), Square(), ('x',))",
     "dynamic-attribute", "assigned="),
    ("wraps-as-value", "from functools import partial, wraps\n", "p = partial(wraps, updated=())",
     "dynamic-attribute", "may only be called directly"),
    ("type-three-args", "", "K = type('K', (), {'x': 1})", "introspection", "type(name, bases, dict)"),
    ("mro-call", "", "m = Circle.mro()", "introspection", ".mro"),
    ("mro-dunder", "", "m = Circle.__mro__", "dunder", "__mro__"),
    ("type-result-called", "", "c = type(Circle())()", "introspection", "type(x)(...)"),
    ("type-result-alias", "", "T = type(Circle())\nc = T()", "introspection", "holds type(x)"),
    ("metaclass-call", "import abc\n", "K = abc.ABCMeta('K', (), {})", "introspection", "ABCMeta"),
    ("make-dataclass-namespace", "import dataclasses\n", "K = dataclasses.make_dataclass('K', [], namespace={})",
     "dynamic-attribute", "namespace="),
    # 3. dunders inside longer names (Mobject's get_X/set_X magic)
    ("get-dunder-class", "", "k = Square().get___class__()", "dunder", "get___class__"),
    ("set-dunder-class", "", "Square().set___class__(Circle)", "dunder", "set___class__"),
    ("get-private", "", "k = Circle().get__original__init__()", "dunder", "__original__"),
    ("get-denied-name", "", "f = Square().get_f_globals()", "forbidden-attribute", "Mobject turns it into `.f_globals`"),
    ("getattr-get-dunder", "", "k = getattr(Square(), 'get___class__')()", "dynamic-attribute", "get___class__"),
    ("dunder-in-name", "", "a__b__c = 1", "dunder", "a__b__c"),
    ("dunder-inside-attribute", "", "k = Circle().x__class__", "dunder", "x__class__"),
    ("match-class-dunder", "", "match Circle():\n    case Circle(__class__=k):\n        pass", "dunder",
     "the pattern reads `.__class__`"),
    ("double-star-dunder", "", "Circle().set(**{'__class__': Square})", "dunder", "__class__"),
    ("class-without-name", "", "k = self.__class__", "dunder", "__class__"),
    # 4. config through an alias
    ("config-alias-attr", "", "c = config\nc.tex_dir = '/tmp'", "forbidden-config", "config.tex_dir"),
    ("config-alias-key", "", "c = config\nc['text_dir'] = '/tmp'", "forbidden-config", "text_dir"),
    ("config-setattr", "", "setattr(config, 'media_dir', '/')", "forbidden-config", "may only be used as config.<key>"),
    ("config-alias-digest", "", "c = config\nc.digest_file('/etc/passwd')", "forbidden-config", "digest_file"),
    ("config-digest", "", "config.digest_file('/etc/passwd')", "forbidden-config", "digest_file"),
    ("config-tuple-alias", "", "a, c = 1, config\nc.media_dir = '/'", "forbidden-config", "media_dir"),
    ("config-alias-of-alias", "", "c = config\nd = c\nd.media_dir = '/'", "forbidden-config", "media_dir"),
    ("config-as-argument", "", "def f(cfg):\n    cfg.media_dir = '/'\nf(config)", "forbidden-config", "not passed"),
    ("config-walrus", "", "(c := config).media_dir = '/'", "forbidden-config", "media_dir"),
    ("config-import-as", "from manim import config as cfg\n", "cfg.media_dir = '/'", "forbidden-config", "media_dir"),
    ("config-through-manim", "import manim\n", "c = manim.config\nc.media_dir = '/'", "forbidden-config",
     "media_dir"),
    ("config-in-list", "", "cs = [config]", "forbidden-config", "not passed"),
    ("config-global-alias", "", "global c2\nc2 = config\nc2.media_dir = '/'", "forbidden-config", "media_dir"),
    ("config-method", "", "config.update({'media_dir': '/'})", "forbidden-config", "config.update"),
    ("config-delete", "", "del config.frame_width", "forbidden-config", "deleting"),
    # 5. TeX the old regex missed, templates, and strings built to hide TeX
    ("tex-usename-input", "", "t = Tex(r'\\UseName{@@input}{/etc/passwd}')", "tex-file-access", "UseName"),
    ("tex-usename-lua", "", "t = Tex(r'\\UseName{directlua}{os.exit()}')", "tex-file-access", "UseName"),
    ("tex-csname", "", "t = Tex(r'\\csname input\\endcsname{/etc/passwd}')", "tex-file-access", "csname"),
    ("tex-letcs", "", "t = Tex(r'\\letcs\\x{input}\\x{/etc/passwd}')", "tex-file-access", "letcs"),
    ("tex-directlua", "", "t = Tex(r'\\directlua{os.exit()}')", "tex-file-access", "directlua"),
    ("tex-luaexec", "", "t = Tex(r'\\luaexec{os.exit()}')", "tex-file-access", "luaexec"),
    ("tex-usepackage-abs", "", "tpl = TexTemplate(preamble=r'\\usepackage{/etc/passwd}')", "tex-file-access",
     "usepackage"),
    ("tex-requirepackage-rel", "", "tpl = TexTemplate(preamble=r'\\RequirePackage{../evil}')", "tex-file-access",
     "RequirePackage"),
    ("tex-documentclass-dot", "", "tpl = TexTemplate(documentclass=r'\\documentclass[preview]{./evil}')",
     "tex-file-access", "documentclass"),
    ("tex-usepackage-in-list", "", "tpl = TexTemplate(preamble=r'\\usepackage{amsmath,./evil}')",
     "tex-file-access", "usepackage"),
    ("tex-openin", "", "t = Tex(r'\\openin1=secret')", "tex-file-access", "openin"),
    ("tex-openout", "", "t = Tex(r'\\openout1=out.tex')", "tex-file-access", "openout"),
    ("tex-write18", "", "t = Tex(r'\\write18{ls}')", "tex-file-access", "write18"),
    ("tex-immediate", "", "t = Tex(r'\\immediate\\write1{x}')", "tex-file-access", "immediate"),
    ("tex-read", "", "t = Tex(r'\\read1 to \\x')", "tex-file-access", "read"),
    ("tex-font-path", "", "t = Tex(r'\\font\\x=/etc/passwd')", "tex-file-access", "font"),
    ("tex-replace-folded", "", "t = Tex('\\\\iXnput{/etc/passwd}'.replace('X', ''))", "tex-file-access", "input"),
    ("tex-name-folded", "", "b = '\\\\'\nt = Tex(b + 'input{/etc/passwd}')", "tex-file-access", "input"),
    ("tex-fstring-folded", "", "b = 'in'\nt = Tex(f'\\\\{b}put{{/etc/passwd}}')", "tex-file-access", "input"),
    ("tex-compiler-kwarg", "", "tpl = TexTemplate(tex_compiler='lualatex')", "tex-template", "latex"),
    ("tex-compiler-attribute", "", "tpl = TexTemplate()\ntpl.tex_compiler = 'lualatex'", "tex-template", "latex"),
    ("tex-compiler-replace", "import dataclasses\n",
     "tpl = dataclasses.replace(TexTemplate(), tex_compiler='lualatex')", "tex-template", "latex"),
    ("tex-template-runtime", "", "s = str(len('x'))\ntpl = TexTemplate(preamble=s)", "tex-template",
     "written in the code"),
    ("tex-preamble-runtime", "", "tpl = TexTemplate()\ntpl.add_to_preamble(Text('x').text)", "tex-template",
     "written in the code"),
    ("tex-preamble-attribute", "", "tpl = TexTemplate()\ntpl.preamble += Text('x').text", "tex-template",
     "written in the code"),
    ("tex-setattr-template", "", "tpl = TexTemplate()\nsetattr(tpl, 'preamble', '')", "tex-template",
     "assign the attribute directly"),
    ("chr-backslash", "", "t = Tex(chr(92) + 'input{/etc/passwd}')", "string-construction", "chr(92)"),
    ("chr-computed", "", "i = 3\nt = chr(65 + i)", "string-construction", "string.ascii_uppercase"),
    ("chr-as-value", "", "t = ''.join(map(chr, [92]))", "string-construction", "called directly"),
    ("bytes-decode", "", "t = bytes([92]).decode()", "string-construction", "bytes"),
    ("bytearray", "", "t = bytearray(b'x')", "string-construction", "bytearray"),
    ("decode", "", "t = b'x'.decode()", "string-construction", ".decode"),
    ("str-of-bytes", "", "t = str(b'x', 'ascii')", "string-construction", "str(data, encoding)"),
    ("codecs", "import codecs\n", "pass", "forbidden-import", "codecs"),
    # 6. ImageMobject's data: only array-producing calls count
    ("image-np-str", "", "img = ImageMobject(np.str_('/etc/passwd'))", "file-access", "ImageMobject"),
    ("image-np-choice", "", "img = ImageMobject(np.random.choice(['/etc/passwd']))", "file-access", "ImageMobject"),
    ("image-array-item", "", "img = ImageMobject(np.array(['/etc/passwd'])[0])", "file-access", "ImageMobject"),
    ("image-np-object", "", "img = ImageMobject(np.object_('/etc/passwd'))", "file-access", "ImageMobject"),
    ("image-str-times-array", "", "img = ImageMobject('/etc/passwd' * np.array(1))", "file-access", "ImageMobject"),
    ("image-keyword-path", "", "img = ImageMobject(filename_or_array='/etc/passwd')", "file-access", "ImageMobject"),
    # the relaxations, each shown to open nothing
    ("relax-submodule-module", "from manim.utils.file_ops import os\n", "pass", "forbidden-import",
     "only Manim's public names"),
    ("relax-submodule-file-function", "from manim.utils.file_ops import open_file\n", "pass", "forbidden-import",
     "touches files"),
    ("relax-submodule-private", "from manim.mobject.mobject import _AnimationBuilder\n", "pass", "forbidden-import",
     "public names"),
    ("relax-warnings-import-sys", "from warnings import sys\n", "pass", "forbidden-import", "sys"),
    ("relax-warnings-sys", "import warnings\n", "m = warnings.sys.modules", "forbidden-module", "warnings.sys"),
    ("relax-re-sys", "import re\n", "m = re.sys", "forbidden-module", "sys"),
    ("relax-typing-sys", "import typing\n", "m = typing.sys", "forbidden-module", "typing.sys"),
    ("relax-textwrap-re-sys", "import textwrap\n", "m = textwrap.re.sys", "forbidden-module", "sys"),
    ("relax-string-formatter", "import string\n", "f = string.Formatter()", "format-string", "Formatter"),
    ("relax-formatwarning", "import warnings\n",
     "t = Text(warnings.formatwarning('', UserWarning, '/etc/passwd', 1))", "file-access", "formatwarning"),
    ("relax-warn-explicit", "import warnings\n", "warnings.warn_explicit('x', UserWarning, '/etc/passwd', 1)",
     "file-access", "warn_explicit"),
    ("relax-module-modified", "import warnings\n", "warnings.showwarning = print", "forbidden-attribute",
     "may not modify modules"),
    ("relax-as-strided", "", "x = np.lib.stride_tricks.as_strided(np.zeros(1), (10**6,), (8,))",
     "forbidden-attribute", "sliding_window_view"),
    ("relax-as-strided-import", "from numpy.lib.stride_tricks import as_strided\n", "pass", "forbidden-import",
     "as_strided"),
    ("relax-npyio", "", "np.lib.npyio.load('x.npy')", "forbidden-attribute", "numpy.lib.npyio"),
    ("relax-mrecords", "import numpy.ma.mrecords\n", "pass", "forbidden-import", "numpy.ma.mrecords"),
    ("relax-star-typing", "from typing import *\n", "pass", "forbidden-import", "get_type_hints"),
    ("relax-star-string", "from string import *\n", "pass", "forbidden-import", "Formatter"),
    ("relax-star-functools", "from functools import *\n", "pass", "forbidden-import", "singledispatch"),
    ("relax-typing-hints", "import typing\n", "typing.get_type_hints(Circle)", "forbidden-attribute",
     "get_type_hints"),
    ("relax-decimal-context-elsewhere", "", "c = Circle().Context", "forbidden-attribute", ".Context"),
    ("relax-module-alias", "", "m = np\nm.load('x.npy')", "module-value", "may only be used as `np.name`"),
    ("relax-module-argument", "", "def f(m):\n    return m\nf(np)", "module-value", "np"),
    ("relax-manim-logger", "import manim\n", "manim.logger.info('x')", "forbidden-attribute", "manim.logger"),
    ("relax-dunder-store", "", "Circle.__name__ = 'x'", "dunder", "__name__"),
    ("relax-getattr-class", "", "k = getattr(Circle(), '__class__')", "dynamic-attribute", "__class__"),
    # own attributes: never for foreign objects, interpreter internals, library attributes
    ("own-unbound-call", "class A:\n    def go(self):\n        if False:\n            self._ctypes = 0\n"
     "        return self._ctypes\n", "c = A.go(np.zeros(3).ctypes)", "private-attribute", "_ctypes"),
    ("own-unbound-alias", "class A:\n    def go(self):\n        if False:\n            self._d = 0\n"
     "        return self._d\n", "B = A\nd = B.go(config)", "private-attribute", "_d"),
    ("own-never-for-file-api", "class A:\n    def go(self):\n        if False:\n            self.tofile = 0\n"
     "        return self.tofile\n", "pass", "file-access", "tofile"),
    ("own-unbound-partial", "import functools\n\n\nclass A:\n    def go(self):\n        if False:\n"
     "            self._d = 0\n        return self._d\n", "f = functools.partial(A.go, config)",
     "private-attribute", "_d"),
    ("own-unbound-keyword", "class A:\n    def go(self):\n        if False:\n            self._d = 0\n"
     "        return self._d\n", "x = Circle()\nx.go(self=config)", "private-attribute", "_d"),
    ("own-staticmethod", "class A:\n    @staticmethod\n    def go(self):\n        self._d = 0\n"
     "        return self._d\n", "pass", "private-attribute", "_d"),
    ("own-rebound-self", "class A:\n    def go(self, other):\n        self = other\n        self._d = 0\n"
     "        return self._d\n", "pass", "private-attribute", "_d"),
    ("own-free-function", "def go(self):\n    self._d = 0\n    return self._d\n", "pass", "private-attribute", "_d"),
    ("own-interpreter-internal", "class A:\n    def go(self):\n        self.gi_frame = 1\n        return self.gi_frame\n",
     "pass", "forbidden-attribute", "gi_frame"),
    ("own-library-attribute", "", "self.file_writer = None", "forbidden-attribute", "file_writer"),
    ("own-library-private", "", "s = self._original_skipping_status", "private-attribute",
     "_original_skipping_status"),
    ("own-foreign-receiver", "class A:\n    def __init__(self):\n        self._d = 0\n", "cfg = np.zeros(3)\n"
     "x = cfg._d", "private-attribute", "_d"),
]

HOSTILE += [(i, p, b) for i, p, b, _, _ in REFUSED]

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
    # what real models write and the old rules refused
    ("submodule-names", "from manim.mobject.geometry.tips import ArrowSquareTip\n"
     "from manim.mobject.three_d.three_dimensions import Surface\n"
     "from manim.mobject.text.tex_mobject import Tex, MathTex\n",
     "a = Arrow(LEFT, RIGHT, tip_shape=ArrowSquareTip)\nt = MathTex('x')\n"
     "s = Surface(lambda u, v: np.array([u, v, 0]), u_range=[0, 1], v_range=[0, 1])"),
    ("manim-typing", "from manim.typing import Point3D\n", "p: Point3D = ORIGIN"),
    ("warnings", "import warnings\n", "warnings.filterwarnings('ignore')\n"
     "warnings.simplefilter('ignore', DeprecationWarning)\nwarnings.warn('x')"),
    ("typing-names", "from typing import List, Optional\nimport typing\n",
     "xs: List[int] = []\ny: Optional[int] = None\nz: typing.Dict[str, int] = {}"),
    ("textwrap-re", "import textwrap\nimport re\n",
     "t = textwrap.dedent('  x')\nm = re.sub(r'\\s+', ' ', t)\nw = textwrap.wrap('a b c', 2)"),
    ("string-constants", "import string\n", "t = string.ascii_letters + string.digits + string.ascii_uppercase[3]"),
    ("decimal-context", "import decimal\nfrom decimal import Context\n",
     "c = decimal.Context(prec=5)\nd = decimal.Decimal('1.5')\ndecimal.getcontext().prec = 30\ne = Context()"),
    ("numpy-typing", "import numpy.typing as npt\n", "a: npt.NDArray[np.float64] = np.zeros(3)"),
    ("stride-tricks", "from numpy.lib.stride_tricks import sliding_window_view\n",
     "w = np.lib.stride_tricks.sliding_window_view(np.arange(10), 3)\nv = sliding_window_view(np.arange(5), 2)"),
    ("math-star", "from math import *\n", "r = sqrt(2) * pi + cos(e)"),
    ("getattr-three-args", "", "c = Circle()\nr = getattr(c, 'radius', 1.0)\nw = getattr(c, 'stroke_width')"),
    ("name-reads", "", "n = type(self).__name__\nm = self.__class__.__name__\nq = Circle.__qualname__\n"
     "d = Circle.__doc__\nk = __name__"),
    ("text-with-dunders", "", "t = Text(\"if __name__ == '__main__':\")\nu = Text('2 + 3 = ______')\n"
     "c = Code(code_string='def __init__(self): ...', language='python')"),
    ("own-denied-names", "", "self.system = VGroup()\nself.system.add(Dot())\nself.images = [Square()]\n"
     "self.load = 3\nx = self.load + len(self.images)"),
    ("fstring-numbers", "", "v = 1.5\nt = MathTex(f'x = {v:.2f}')"),
    ("format-literals", "", "fmt = '{:.2f}'\nt = Text(fmt.format(3.14))\nu = Text('{a} {b}'.format(a=1, b=2))\n"
     "w = '{0.real}'.format(1 + 2j)"),
    ("tex-template-packages", "", "tpl = TexTemplate()\ntpl.add_to_preamble(r'\\usepackage{mathrsfs}')\n"
     "t = Tex(r'$\\mathscr{L}$', tex_template=tpl)\n"
     "tpl2 = TexTemplate(preamble=r'\\usepackage{amsmath}', tex_compiler='latex')"),
    ("chr-constant", "", "p = Text(chr(960) + chr(0x3B1))"),
    ("image-array-name", "", "img = np.zeros((4, 4, 3), dtype=np.uint8)\nimg[0, 0] = [255, 0, 0]\n"
     "m = ImageMobject(img)\nrng = np.random.default_rng(0)\n"
     "m2 = ImageMobject(rng.integers(0, 255, (4, 4, 3)).astype(np.uint8))\nm3 = ImageMobject(255 * np.ones((2, 2)))"),
    ("config-reads", "", "c = config\nh = c.frame_height\nx = config.get('frame_width')"),
    ("user-param-named-config", "", "def make(config):\n    return Axes(**config)\n"
     "a = make({'x_range': [0, 1, 1]})"),
    ("np-random-calls", "", "x = np.random.uniform(0, 1, 5)\ny = np.random.choice([1, 2])"),
    ("hasattr", "", "ok = hasattr(Circle(), 'points')"),
    ("type-in-annotations", "", "def make(cls: type[Mobject], data: bytes = b'') -> type:\n    return cls\n"
     "k: type = make(Circle)\nok = isinstance(k, type)"),
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
    ("helper-class-private-state",
     "from manim import *\n\n\nclass Particle:\n    def __init__(self, pos):\n        self.pos = pos\n"
     "        self._vel = 0.0\n\n    def step(self, dt):\n        self._vel += dt\n        self.pos = self.pos + self._vel * RIGHT\n\n\n"
     "class Demo(Scene):\n    def construct(self):\n        ps = [Particle(ORIGIN) for _ in range(3)]\n"
     "        for p in ps:\n            p.step(0.1)\n        self.add(*[Dot(p.pos) for p in ps])\n"),
    ("chapters-with-own-names",
     "from manim import *\n\n\nclass Scene1(Scene):\n    images = 2\n\n    def construct(self):\n"
     "        self.load = Circle()\n        self.add(self.load)\n\n\nclass Demo(Scene1):\n    def construct(self):\n"
     "        Scene1.construct(self)\n        self.add(Square().next_to(self.load, RIGHT))\n        n = Demo.images\n"),
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


@pytest.mark.parametrize(("prelude", "body", "kind", "fragment"), [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_refused_with_its_reason(prelude: str, body: str, kind: str, fragment: str) -> None:
    source = prelude + in_scene(body)
    diags = check_safety(ast.parse(source), source)
    assert any(d.kind == kind and fragment in d.message for d in diags), [(d.kind, d.message) for d in diags]
    assert all(d.step == "safety" and d.severity == "error" and d.line and not d.fixable for d in diags)


@pytest.mark.parametrize(("text", "found"), [
    (r"\input{/etc/passwd}", r"\input"),
    (r"\UseName{@@input}{x}", r"\UseName"),
    (r"\@@input x", r"\@@input"),
    (r"\csname input\endcsname", r"\csname"),
    (r"\csuse{input}", r"\csuse"),
    (r"\ifcsname x\endcsname", r"\ifcsname"),
    (r"\usepackage{/abs/path}", r"\usepackage{/"),
    (r"\usepackage[opt]{../up}", r"\usepackage[opt]{."),
    (r"\RequirePackage{a, ./b}", r"\RequirePackage{a, ."),
    (r"\documentclass{\x}", r"\documentclass{"),
    (r"\write18{ls}", r"\write18"),
    ("^^5cinput", "^^"),
])
def test_tex_danger_finds(text: str, found: str) -> None:
    assert (tex_danger(text) or "").startswith(found)


@pytest.mark.parametrize("text", [
    r"\frac{1}{2}", r"\csc x + \csch y", r"\usepackage{amsmath}", r"\usepackage{amsmath}[2020/01/01]",
    r"\documentclass[preview]{standalone}", r"\mathscr{L}", "input{x}", r"\readable",
    r"\fontsize{10}{12}\selectfont", "2 + 3 = ______", "if __name__ == '__main__':",
])
def test_tex_danger_leaves_ordinary_text(text: str) -> None:
    assert tex_danger(text) is None


SUBMODULE_STAR = "from manim.opengl import *\n\n\nclass Demo(Scene):\n    def construct(self):\n        self.add(Circle())\n"


def test_submodule_star_is_rewritten_and_recorded() -> None:
    result = check_scene(SUBMODULE_STAR, scene_class="Demo", latex=False, fix=True)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.source == SUBMODULE_STAR.replace("from manim.opengl import *", "from manim import *")
    assert result.rewrites == ("line 1: from manim.opengl import * -> from manim import *",)
    assert result.diagnostics == ()  # applied by the builder, never sent to the model


def test_submodule_star_without_fix_is_a_fixable_error() -> None:
    result = check_scene(SUBMODULE_STAR, scene_class="Demo", latex=False, fix=False)
    (diag,) = result.errors
    assert (diag.step, diag.kind, diag.line, diag.fixable) == ("safety", "submodule-star", 1, True)
    assert result.source == SUBMODULE_STAR and result.rewrites == ()


def test_a_second_submodule_star_is_dropped_not_duplicated() -> None:
    source = "from manim import *\nfrom manim.mobject.geometry.arc import *\n" + SUBMODULE_STAR.split("\n", 1)[1]
    result = check_scene(source, scene_class="Demo", latex=False, fix=True)
    assert result.ok
    assert result.source.count("import *") == 1
    assert "removed" in result.rewrites[0]


def test_rewritten_source_is_checked_from_the_start() -> None:
    # the star of file_ops becomes Manim's star: `os` is then an unknown module name, still refused
    source = ("from manim.utils.file_ops import *\n\n\nclass Demo(Scene):\n    def construct(self):\n"
              "        self.add(Text(str(os.listdir('/'))))\n")
    result = check_scene(source, scene_class="Demo", latex=False, fix=True)
    assert not result.ok
    assert result.source.startswith("from manim import *\n")
    assert result.rewrites == ("line 1: from manim.utils.file_ops import * -> from manim import *",)
    assert [(d.step, d.kind, d.line) for d in result.errors] == [("safety", "forbidden-name", 6)]


def test_module_level_config_rebinding_is_still_config() -> None:
    # before the assignment runs, the module's `config` is Manim's: it stays under the config rule
    source = ("from manim import *\n\nconfig = config\nconfig.media_dir = '/'\n\n\nclass Demo(Scene):\n"
              "    def construct(self):\n        pass\n")
    diags = check_safety(ast.parse(source), source)
    assert [(d.kind, d.line) for d in diags] == [("forbidden-config", 4)]


def test_module_docstring_lists_the_rules() -> None:
    import builder.checks.safety as safety

    doc = safety.__doc__ or ""
    for rule in ("I1", "I3", "I4", "N2", "N4", "N6", "A2", "A5", "A6", "C1", "C3", "R2", "R4", "R5"):
        assert f"  {rule}." in doc, rule


COMBINED = '''\
from manim import *
from manim.mobject.geometry.tips import ArrowSquareTip
import numpy as np
import string
import warnings

warnings.filterwarnings("ignore")


class Demo(Scene):
    def construct(self):
        self.system = VGroup(Dot(LEFT), Dot(RIGHT))
        self.images = VGroup(*[Square(0.5, fill_opacity=v) for v in np.linspace(0.2, 1, 3)]).arrange(RIGHT)
        fmt = "{:.1f}"
        label = Text(fmt.format(2.5) + " " + string.ascii_uppercase[:3] + " __init__", font_size=24)
        arrow = Arrow(LEFT, RIGHT, tip_shape=ArrowSquareTip)
        title = Text(type(self).__name__).to_edge(UP)
        self.add(self.system, self.images.to_edge(DOWN), label.next_to(arrow, UP), arrow, title)
        self.wait(0.2)
'''


def test_combined_legitimate_scene_passes_the_static_checks() -> None:
    result = check_scene(COMBINED, scene_class="Demo", latex=False)
    assert result.ok and result.rewrites == (), [d.message for d in result.diagnostics]


@pytest.mark.integration
def test_combined_legitimate_scene_renders(tmp_path: Path) -> None:
    from builder.video.render import render_job, render_scene

    result = check_scene(COMBINED, scene_class="Demo", latex=False)
    assert result.ok
    out = render_scene(render_job("combined", result.source, "Demo", "l"), render_dir=tmp_path / "render",
                       tex_dir=tmp_path / "tex", timeout=300)
    assert out.video.exists() and out.video.stat().st_size > 0 and out.duration > 0


# -- mathreel_style: the reviewed style module scenes may import -----------------------------------

STYLE_IMPORTS = [
    ("star", "from mathreel_style import *\n",
     "self.camera.background_color = ManimColor(BG)\ncap = make_caption('a')\n"
     "self.play(FadeIn(make_title('T')), swap(cap, make_caption('b')))"),
    ("module", "import mathreel_style\n",
     "self.add(mathreel_style.make_title('T'), Dot(color=mathreel_style.C_GOLD))"),
    ("names", "from mathreel_style import INK, make_caption as caption\n",
     "self.add(caption('a'), Text('x', color=INK))"),
]


@pytest.mark.parametrize(("prelude", "body"), [(p, b) for _, p, b in STYLE_IMPORTS],
                         ids=[i for i, _, _ in STYLE_IMPORTS])
def test_style_module_imports_pass(prelude: str, body: str) -> None:
    source = prelude + in_scene(body)
    diags = check_safety(ast.parse(source), source)
    assert diags == (), [d.message for d in diags]
    result = check_scene(source, scene_class="Demo", latex=False)
    assert result.ok, [d.message for d in result.diagnostics]


STYLE_HOSTILE = [
    ("open-after-star", "from mathreel_style import *\n", "t = open('/etc/passwd')"),
    ("module-dict", "import mathreel_style\n", "d = mathreel_style.__dict__"),
    ("private-helper", "from mathreel_style import _shrink_to\n", "self.add(Circle())"),
    ("helper-globals", "from mathreel_style import make_title\n", "g = make_title.__globals__"),
    ("manim-through-style", "import mathreel_style\n", "g = mathreel_style.Text.__init__.__globals__"),
    ("module-as-value", "import mathreel_style\n", "m = mathreel_style\nm.INK"),
    ("module-modified", "import mathreel_style\n", "mathreel_style.FONT = 'x'"),
    ("dynamic-getattr", "import mathreel_style\n", "n = 'make_title'\nf = getattr(mathreel_style, n)"),
    ("submodule", "import mathreel_style.os\n", "self.add(Circle())"),
    ("relative", "from .mathreel_style import *\n", "self.add(Circle())"),
]


@pytest.mark.parametrize(("prelude", "body"), [(p, b) for _, p, b in STYLE_HOSTILE],
                         ids=[i for i, _, _ in STYLE_HOSTILE])
def test_style_module_is_no_way_around_the_rules(prelude: str, body: str) -> None:
    source = prelude + in_scene(body)
    diags = check_safety(ast.parse(source), source)
    assert diags and all(d.severity == "error" for d in diags)


def test_style_module_binds_nothing_a_scene_may_not_hold() -> None:
    # The checks judge the very file that is staged beside scene.py (loaded under its own name),
    # and every public name it has, re-exports included, may be imported one by one.
    import types

    from builder.checks.safety import import_scene_module

    module = import_scene_module("mathreel_style")
    assert module is not None and module.__name__ == "mathreel_style"
    assert module.__file__ and module.__file__.endswith("builder/templates/mathreel_style.py")
    public = sorted(n for n in dir(module) if not n.startswith("_"))
    assert set(module.__all__) <= set(public)
    assert not [n for n in public if isinstance(getattr(module, n), types.ModuleType)]
    source = "".join(f"from mathreel_style import {name}\n" for name in public) + in_scene("pass")
    assert check_safety(ast.parse(source), source) == ()

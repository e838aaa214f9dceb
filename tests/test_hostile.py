"""Hostile scenes: each is rejected before it runs, or contained while it runs.

Two layers are tested separately. The static safety check must reject every scene
in HOSTILE. The sandbox must contain the scenes in RUNTIME even when they are run
*without* the static check (as if an attacker found a way past it): no file of
the host is readable, no key is in the environment, no connection leaves, nothing
outside the work folder is written, and loops, memory and process bombs are stopped.
"""

from __future__ import annotations

import socket
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from builder.checks import check_scene
from builder.errors import RenderError
from builder.video.render import render_job, render_scene

HEAD = "from manim import *\n"


def scene(body: str, imports: str = "") -> str:
    return (HEAD + imports + "\n\nclass HostileScene(Scene):\n    def construct(self):\n"
            + textwrap.indent(textwrap.dedent(body).strip() + "\n", " " * 8))


HOSTILE = {
    "read-passwd": scene("open('/etc/passwd').read()"),
    "read-key-file": scene("data = open('/root/.ssh/id_rsa', 'rb').read()"),
    "os-environ": scene("key = os.environ['OPENAI_API_KEY']", "import os\n"),
    "os-getenv": scene("from os import getenv\nkey = getenv('DEEPSEEK_API_KEY')"),
    "subprocess": scene("subprocess.run(['id'])", "import subprocess\n"),
    "os-system": scene("os.system('curl evil')", "import os\n"),
    "socket": scene("socket.create_connection(('1.2.3.4', 80))", "import socket\n"),
    "urllib": scene("urllib.request.urlopen('http://x')", "import urllib.request\n"),
    "dunder-import": scene("__import__('os').system('id')"),
    "importlib": scene("importlib.import_module('os')", "import importlib\n"),
    "getattr-builtins": scene("getattr(__builtins__, 'open')('/etc/passwd')"),
    "getattr-dynamic": scene("name = 'op' + 'en'\ngetattr(__builtins__, name)('/etc/passwd')"),
    "subclasses-walk": scene("for c in ().__class__.__bases__[0].__subclasses__():\n    pass"),
    "func-globals": scene("g = self.construct.__func__.__globals__"),
    "manim-reexport-os": scene("manim.utils.file_ops.os.system('id')", "import manim\n"),
    "numpy-os": scene("np.os.system('id')", "import numpy as np\n"),
    "np-load": scene("np.load('/etc/passwd', allow_pickle=True)", "import numpy as np\n"),
    "np-fromfile": scene("np.fromfile('/etc/shadow')", "import numpy as np\n"),
    "np-savetxt": scene("np.savetxt('/tmp/evil.txt', np.zeros(3))", "import numpy as np\n"),
    "image-mobject": scene("self.add(ImageMobject('/root/secret.png'))"),
    "svg-mobject": scene("self.add(SVGMobject('/etc/passwd'))"),
    "code-file": scene("self.add(Code('/etc/passwd'))"),
    "eval": scene("eval('__import__(\"os\")')"),
    "exec": scene("exec('import os')"),
    "compile": scene("code = compile('1', 'x', 'eval')"),
    "globals": scene("globals()['__builtins__']['open']('/etc/passwd')"),
    "vars-module": scene("vars(np)['load']('/x')", "import numpy as np\n"),
    "pathlib": scene("Path('/etc/passwd').read_text()", "from pathlib import Path\n"),
    "ctypes": scene("ctypes.CDLL(None).system(b'id')", "import ctypes\n"),
    "pickle": scene("pickle.loads(b'cos\\nsystem\\n(S\"id\"\\ntR.')", "import pickle\n"),
    "sys-modules": scene("sys.modules['os'].system('id')", "import sys\n"),
    "frame-globals": scene("import inspect\ninspect.currentframe().f_back.f_globals"),
    "type-mro": scene("type(self).__mro__[-1].__subclasses__()"),
    "lambda-closure": scene("f = (lambda: 0)\ng = f.__globals__['__builtins__']"),
    "shutil": scene("shutil.rmtree('/work')", "import shutil\n"),
    "threading-fork": scene("threading.Thread(target=print).start()", "import threading\n"),
    # bypass classes a red team found (kept refused by tests/test_safety.py with their reasons)
    "format-string-globals": scene("t = ('{0.' + '_' * 2 + 'init' + '_' * 2 + '.' + '_' * 2 + 'globals' + '_' * 2"
                                   " + '}').format(Circle())"),
    "formatter-subclass": scene("class F(string.Formatter):\n    def get_field(self, name, args, kwargs):\n"
                                "        return super().get_field(name, args, kwargs)", "import string\n"),
    "update-wrapper-globals": scene("g = functools.update_wrapper(lambda: 0, print, ('__globals__',), ())",
                                    "import functools\n"),
    "type-class-creation": scene("K = type('K', (Circle,), {'x': 1})"),
    "mobject-get-class": scene("k = Square().get___class__()"),
    "config-alias-tex-dir": scene("c = config\nc.tex_dir = '/tmp'"),
    "config-digest-file": scene("cfg = config\ncfg.digest_file('/etc/passwd')"),
    "tex-usename-input": scene("self.add(Tex(r'\\UseName{@@input}{/etc/passwd}'))"),
    "tex-lualatex": scene("self.add(Tex('x', tex_template=TexTemplate(tex_compiler='lualatex')))"),
    "tex-chr-backslash": scene("self.add(Tex(chr(92) + 'input{/etc/passwd}'))"),
    "image-np-str-path": scene("self.add(ImageMobject(np.str_('/root/secret.png')))", "import numpy as np\n"),
    "submodule-reexported-os": scene("os.system('id')", "from manim.utils.file_ops import os\n"),
    "unbound-own-method": scene("c = Probe.grab(np.zeros(3).ctypes)", "import numpy as np\n\n\nclass Probe:\n"
                                "    def grab(self):\n        if False:\n            self._ctypes = None\n"
                                "        return self._ctypes\n"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_static_check_rejects(name: str) -> None:
    result = check_scene(HOSTILE[name], scene_class="HostileScene", latex=False)
    safety = [d for d in result.diagnostics if d.step == "safety"]
    assert safety, f"{name} was not rejected: {[d.message for d in result.diagnostics]}"
    assert all(d.line for d in safety), "every rejection names a line"


# Runtime containment: these run in the sandbox WITHOUT the static check. Each raises
# "HELD" when the attack failed and "ESCAPED" when it worked.
RUNTIME = {
    "read-host-files": """
        import glob
        found = []
        for path in ["/etc/passwd", "/root/.bashrc", "/etc/shadow", PROJECT + "/README.md"]:
            try:
                open(path).read(); found.append(path)
            except OSError:
                pass
        raise RuntimeError(("ESCAPED " + ",".join(found)) if found else "HELD files")
    """,
    "read-environment": """
        import os
        keys = [k for k in os.environ if "KEY" in k or "TOKEN" in k or "SECRET" in k]
        raise RuntimeError(("ESCAPED " + ",".join(keys)) if keys else "HELD env")
    """,
    "network": """
        import socket
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=3)
            raise RuntimeError("ESCAPED connected")
        except OSError as exc:
            raise RuntimeError("HELD net " + type(exc).__name__)
    """,
    "write-outside": """
        import os
        wrote = []
        for path in [PROJECT + "/pwned", "/tmp/pwned-by-scene", "/usr/pwned"]:
            try:
                open(path, "w").write("x"); wrote.append(path)
            except OSError:
                pass
        raise RuntimeError("WROTE " + ",".join(wrote) if wrote else "HELD write")
    """,
    "fork-bomb": """
        import subprocess
        procs = []
        try:
            for _ in range(5000):
                procs.append(subprocess.Popen(["sleep", "30"]))
        except OSError:
            raise RuntimeError(f"HELD fork at {len(procs)}")
        raise RuntimeError("ESCAPED forks")
    """,
    "memory-bomb": """
        try:
            blob = bytearray(64 * 2**30)
        except MemoryError:
            raise RuntimeError("HELD memory")
        raise RuntimeError("ESCAPED memory")
    """,
    "huge-file": """
        try:
            with open("big.bin", "wb") as handle:
                chunk = b"x" * 2**24
                for _ in range(400):
                    handle.write(chunk)
        except OSError as exc:
            raise RuntimeError("HELD file size " + str(exc.errno))
        raise RuntimeError("ESCAPED file size")
    """,
    "infinite-loop": """
        while True:
            pass
    """,
}


@pytest.fixture(scope="module")
def listener() -> int:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[object] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    return int(server.getsockname()[1])


@pytest.mark.integration
def test_sandbox_contains_what_the_static_check_would_have_stopped(
        tmp_path: Path, listener: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.sandbox import bwrap_works
    from builder.video import render as render_module

    assert bwrap_works(), "bubblewrap must work here: make test installs it"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-must-not-leak")
    # a lower file-size limit keeps the huge-file case fast; the mechanism is the same
    monkeypatch.setattr(render_module, "SCENE_LIMITS",
                        render_module.replace(render_module.SCENE_LIMITS, file_size_bytes=2**30))
    project = str(Path(__file__).resolve().parent.parent)

    def attempt(name: str) -> tuple[str, str]:
        body = RUNTIME[name].replace("PROJECT", repr(project)).replace("PORT", str(listener))
        job = render_job(name, scene(body), "HostileScene", "l")
        timeout = 8 if name == "infinite-loop" else 120
        try:
            render_scene(job, render_dir=tmp_path / "render", tex_dir=tmp_path / "tex", timeout=timeout)
        except RenderError as exc:
            return name, str(exc)
        return name, "RENDERED (not contained)"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(attempt, sorted(RUNTIME)))
    # held by the sandbox or its limits, or refused first by the runtime guard (guard.py)
    held = {name: text for name, text in results.items()
            if "HELD" in text or "ran past" in text or "mathreel guard: refused" in text}
    assert set(held) == set(RUNTIME), results
    assert "ran past 8 s" in results["infinite-loop"]
    assert not Path("/tmp/pwned-by-scene").exists()
    assert not Path(project, "pwned").exists()
    assert not list((tmp_path / "render").glob("[!.]*")), "nothing hostile was published"
    print(f"\nhostile scenes: {len(HOSTILE)} rejected statically; {len(held)}/{len(RUNTIME)} contained at run time")

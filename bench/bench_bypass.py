"""The red team's bypass classes, each tried three ways: the static check, the runtime guard,
and bubblewrap alone.

Every case is a whole scene whose goal is to start a program on the host side
(`touch MARKER`, MARKER being a file outside the scene's work folder) or to copy a host
secret (SECRET, outside the work folder) into it. Per class:

- refused statically: `builder.checks.check_scene` (the static ladder) rejects the file;
- stopped at run time: run through `builder.sandbox.run_manim` with the static check skipped,
  aimed at a file and a folder bubblewrap does show the scene (read-only system ones), the
  guard ends the child (`mathreel guard: refused ...`, status 97);
- contained by the sandbox: run with bubblewrap but without the guard (plain
  `python -m manim`, as before the guard existed): the marker never appears and the secret
  never reaches the work folder the host reads.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

from bench.common import Result, figure, new_result

#: Class -> construct() body. OS_GOAL is appended to the bodies that reach `os_mod`.
OS_GOAL = "os_mod.system('touch MARKER')\nself.play(Create(Circle()), run_time=0.2)\n"
READ_GOAL = "self.play(Create(Circle()), run_time=0.2)\n"
CASES: dict[str, str] = {
    "runtime-built format field (Formatter.get_field)": """
        import string
        name = "0." + "_" * 2 + "init" + "_" * 2 + "." + "_" * 2 + "globals" + "_" * 2
        g = string.Formatter().get_field(name, [Circle()], {})[0]
        os_mod = g["_" * 2 + "builtins" + "_" * 2]["_" * 2 + "import" + "_" * 2]("os")
    """ + "\nGOAL_OS",
    "Formatter subclass overriding convert_field": """
        import string
        class F(string.Formatter):
            def convert_field(self, value, conversion):
                return value
        name = "0." + "_" * 2 + "init" + "_" * 2 + "." + "_" * 2 + "globals" + "_" * 2
        g = F().get_field(name, [Circle()], {})[0]
        os_mod = g["_" * 2 + "builtins" + "_" * 2]["_" * 2 + "import" + "_" * 2]("os")
    """ + "\nGOAL_OS",
    "functools.update_wrapper with a runtime dunder": """
        import functools
        class Box:
            pass
        dunder = "_" * 2 + "globals" + "_" * 2
        functools.update_wrapper(Box, Circle.__init__, assigned=[dunder], updated=[])
        g = vars(Box)[dunder]
        os_mod = g["_" * 2 + "builtins" + "_" * 2]["_" * 2 + "import" + "_" * 2]("os")
    """ + "\nGOAL_OS",
    "Mobject get_/set_ magic (get___class__)": """
        klass = Square().get___class__()
        g = klass.__init__.__globals__
        os_mod = g["_" * 2 + "builtins" + "_" * 2]["_" * 2 + "import" + "_" * 2]("os")
    """ + "\nGOAL_OS",
    ".mro() walk to a file-reading class": """
        svg_class = [k for k in MathTex.mro() if k.__name__ == "SVGMobject"][0]
        leak = svg_class("SECRET")
        self.add(leak)
    """ + "\nGOAL_READ",
    "type(x)(...) rebuilding Code(code_file=...)": """
        c = Code(code_string="x = 1", language="python")
        leak = type(c)(code_file="SECRET", language="text")
        self.add(leak)
    """ + "\nGOAL_READ",
    "config through an alias": """
        c = config
        c.tex_dir = "HOSTDIR"
        self.add(MathTex(r"y = 3"))
    """ + "\nGOAL_READ",
    "TeX built at run time (\\\\input)": """
        self.add(Tex(chr(92) + "input{SECRET}"))
    """ + "\nGOAL_READ",
    "TeX the regex missed (\\\\UseName{@@input})": """
        self.add(Tex(r"\\UseName{@@input}{SECRET}"))
    """ + "\nGOAL_READ",
    "lualatex with \\\\directlua": """
        tpl = TexTemplate(tex_compiler="lualatex", output_format=".pdf")
        self.add(Tex(r"\\directlua{os.execute('touch MARKER')}", tex_template=tpl))
    """ + "\nGOAL_READ",
    "ImageMobject(np.str_(path))": """
        self.add(ImageMobject(np.str_("SECRET")))
    """ + "\nGOAL_READ",
    "a program started directly": """
        os_mod = __import__("os")
    """ + "\nGOAL_OS",
}


#: A file and a folder bubblewrap binds read-only into the sandbox (TLS certificates, fonts).
VISIBLE_FILE = "/etc/ssl/certs/ca-certificates.crt"
VISIBLE_DIR = "/etc/fonts/mathreel-bypass"
VISIBLE_TEXT = "-----BEGIN CERTIFICATE-----"


def _scene(body: str, marker: Path, secret: Path, host_dir: Path) -> str:
    parts = body.split("\nGOAL_")
    code = textwrap.dedent(parts[0]).strip() + "\n" + (OS_GOAL if parts[1] == "OS" else READ_GOAL)
    code = code.replace("MARKER", str(marker)) \
        .replace("SECRET", str(secret)).replace("HOSTDIR", str(host_dir))
    return ("from manim import *\nimport numpy as np\n\n\nclass Bypass(Scene):\n"
            "    def construct(self):\n" + textwrap.indent(code, " " * 8))


def _leaked(work: Path, secret_text: str) -> bool:
    """Did the secret reach any file of the work folder (what the host reads back)?"""
    for path in work.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if secret_text.encode() in path.read_bytes():
                    return True
            except OSError:
                continue
    return False


def _run(source: str, work: Path, *, guard: bool) -> tuple[int, str]:
    """Run the scene as model code in the sandbox, with or without the guard (no static check)."""
    from builder.runner import run
    from builder.sandbox import bwrap_argv, prepare_workdir, run_manim
    from builder.video.render import scrubbed_env

    work.mkdir(parents=True)
    (work / "scene.py").write_text(source, encoding="utf-8")
    (work / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n", encoding="utf-8")
    env = scrubbed_env(work / "home")
    args = ["render", "-ql", "--progress_bar", "none", "--media_dir", "media", "scene.py", "Bypass"]
    if guard:
        done = run_manim(args, work, runner=run, env=env, timeout=120).completed
    else:
        prepare_workdir(work)
        done = run(bwrap_argv([sys.executable, "-m", "manim", *args], work), cwd=work, env=env,
                   timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def bypass(*, quick: bool) -> Result:
    """Each bypass class: refused statically? stopped by the guard? contained by bubblewrap?"""
    from builder.checks import check_scene
    from builder.sandbox import probe

    result = new_result("security-bypass", command="", quick=quick,
                        scope="the bypass classes of the red-team report, one scene each, "
                              "whose goal is a program started or a host file read")
    rows: list[dict[str, object]] = []
    works = probe().works
    for name, body in CASES.items():
        with tempfile.TemporaryDirectory(prefix="bypass-") as tmp:
            host = Path(tmp) / "host"
            host.mkdir()
            marker, secret = host / "marker", host / "secret.txt"
            secret_text = "host-secret-2f9c"
            secret.write_text(secret_text, encoding="utf-8")
            source = _scene(body, marker, secret, host)
            static = check_scene(source, scene_class="Bypass", latex=False)
            refused = any(d.severity == "error" and d.step == "safety" for d in static.diagnostics)
            # For the guard, aim at what bubblewrap does show the scene (a read-only system
            # file, a system folder): only the guard stands between the scene and them.
            visible = _scene(body, marker, Path(VISIBLE_FILE), Path(VISIBLE_DIR))
            guarded, guarded_out = _run(visible, Path(tmp) / "guarded", guard=True) if works else (-1, "")
            stopped = guarded == 97 and "mathreel guard: refused" in guarded_out
            effect_guarded = marker.exists() or _leaked(Path(tmp) / "guarded", VISIBLE_TEXT)
            marker.unlink(missing_ok=True)
            _, _ = _run(source, Path(tmp) / "bare", guard=False) if works else (-1, "")
            effect_bare = marker.exists() or _leaked(Path(tmp) / "bare", secret_text)
            shutil.rmtree(host, ignore_errors=True)
        rows.append({
            "bypass class": name, "tried": 1,
            "refused statically": "yes" if refused else "NO",
            "stopped at run time": ("yes" if stopped else ("NO, and it got through" if effect_guarded
                                                           else "no (failed on its own)"))
            if works else "not run (no bubblewrap)",
            "contained by the sandbox": ("yes" if not effect_bare else "NO") if works else "not run",
        })
    held_static = sum(1 for r in rows if r["refused statically"] == "yes")
    result["figures"].append(figure(
        f"bypass classes refused statically ({held_static} of {len(rows)})",
        [100 * held_static / len(rows)], unit="%", baseline="every bypass class", goal=(">=", 100.0)))
    stopped_n = sum(1 for r in rows if r["stopped at run time"] == "yes")
    result["figures"].append(figure(
        f"bypass classes stopped by the runtime guard with the static check skipped ({stopped_n} of {len(rows)})",
        [100 * stopped_n / len(rows)], unit="%", baseline="every bypass class", goal=(">=", 100.0),
        note="a class the guard does not stop fails on its own (e.g. the read is simply not visible) "
             "or is contained by bubblewrap: see the table"))
    contained = sum(1 for r in rows if r["contained by the sandbox"] == "yes")
    result["figures"].append(figure(
        f"bypass classes contained by bubblewrap alone ({contained} of {len(rows)})",
        [100 * contained / len(rows)], unit="%", baseline="every bypass class", goal=(">=", 100.0)))
    result["tables"].append({"title": "Bypass classes", "columns": list(rows[0]), "rows": rows})
    return result

"""The runtime guard: an audit hook inside the child stops what the static check would have.

The scenes here run WITHOUT the static safety check, through the real sandbox (bubblewrap,
the scrubbed environment, manim.cfg as a render has them), so the guard alone must stop
them: each hostile child exits 97, says `mathreel guard: refused ...` naming what it tried,
and leaves no trace of the side effect it was after. A normal scene (MathTex, Text, a 3D
surface) still renders with the guard on. Cheaper checks run the guard in a bare child
process (no Manim, no sandbox), and its path, program and TeX decisions in one subprocess:
an audit hook installed in the pytest process could not be taken out again.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

from builder.runner import Completed, run
from builder.sandbox import bwrap_argv, bwrap_works, prepare_workdir
from builder.video.render import scrubbed_env

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "builder" / "templates"
GUARD = TEMPLATES / "guard.py"
CHILD_FILES = ("layout_hook.py", "guard.py")
REFUSED = 97
LINE = "mathreel guard: refused "
CERTS = "/etc/ssl/certs/ca-certificates.crt"


def guard_line(done: Completed) -> str:
    """The guard's one line on stderr ("" when there is none)."""
    lines = [line for line in done.stderr.splitlines() if line.startswith("mathreel guard: ")]
    return lines[-1] if lines else ""


# ----------------------------------------------------------------------------- sandboxed scenes

def scene(body: str, scene_class: str = "Hostile", base: str = "Scene") -> str:
    """A scene file whose construct() is `body` (no static check will look at it)."""
    return ("from manim import *\nimport numpy as np\n\n\n"
            f"class {scene_class}({base}):\n    def construct(self):\n"
            + textwrap.indent(textwrap.dedent(body).strip() + "\n", " " * 8))


#: name -> (scene body, what the guard's line must name). MARKER is a file in the work folder
#: that the attack (or the line after it) creates if it gets through. CERTS is a file bubblewrap
#: shows the scene (/etc/ssl/certs is bound for TLS) that the guard does not let it read: a
#: file outside /tmp, since the sandbox's /tmp is its own and the guard lets the scene use it.
HOSTILE = {
    "os-system": ("""
        __import__("os").system("id > " + MARKER)
    """, "os.system"),
    "subprocess": ("""
        __import__("subprocess").run(["touch", MARKER])
        open(MARKER, "w").write("ran")
    """, "subprocess.Popen: starting 'touch'"),
    "read-hostname": ("""
        data = open("/etc/hostname").read()
        open(MARKER, "w").write(data)
    """, "open: reading '/etc/hostname'"),
    # bubblewrap shows /proc; the environment is scrubbed, but the guard refuses /proc anyway
    "read-proc-environ": ("""
        data = open("/proc/self/environ", "rb").read()
        open(MARKER, "wb").write(data)
    """, "open: reading '/proc/"),
    "np-load-outside": ("""
        data = np.load(CERTS, allow_pickle=True)
        open(MARKER, "w").write(str(data))
    """, "open: reading '/etc/ssl/certs/"),
    "image-outside": ("""
        self.add(ImageMobject(CERTS))
        open(MARKER, "w").write("read")
    """, "open: reading '/etc/ssl/certs/"),
    "socket": ("""
        net = __import__("socket")
        net.create_connection(("127.0.0.1", PORT), timeout=3)
        open(MARKER, "w").write("connected")
    """, "socket."),
    "format-walk": ("""
        import string
        probe = Mobject()
        path = "0.__init__.__globals__[sys].modules[os]"
        shown = ("{" + path + "}").format(probe)  # the walk itself: only a string
        found = string.Formatter().get_field(path, (probe,), {})[0]
        found.system("touch " + MARKER)
        open(MARKER, "w").write(shown)
    """, "os.system"),
    "tex-input": ("""
        self.add(Tex(chr(92) + "input{/etc/hostname}"))
        open(MARKER, "w").write("compiled")
    """, "\\input"),
    "tex-lualatex": ("""
        self.add(MathTex("x", tex_template=TexTemplate(tex_compiler="lualatex")))
        open(MARKER, "w").write("compiled")
    """, "lualatex"),
}

NORMAL = scene("""
    formula = MathTex(r"e^{i\\pi} + 1 = 0").to_edge(UP)
    label = Text("guarded").to_edge(DOWN)
    surface = Surface(lambda u, v: np.array([u, v, u * v]), u_range=[-1, 1],
                      v_range=[-1, 1], resolution=(3, 3))
    self.add_fixed_in_frame_mobjects(formula, label)
    self.set_camera_orientation(phi=60 * DEGREES, theta=30 * DEGREES)
    self.play(Create(surface), run_time=0.3)
""", "Normal", "ThreeDScene")


def stage(work: Path, source: str) -> dict[str, str]:
    """A work folder laid out as a render's (scene, entry script, guard, manim.cfg, env)."""
    work.mkdir(parents=True)
    (work / "scene.py").write_text(source, encoding="utf-8")
    for name in CHILD_FILES:
        shutil.copyfile(TEMPLATES / name, work / name)
    (work / "Tex").mkdir()
    (work / "manim.cfg").write_text(
        "[CLI]\nnotify_outdated_version = False\ntex_dir = Tex\n", encoding="utf-8")
    env = scrubbed_env(work / "home")
    prepare_workdir(work)
    return env


def render_in_sandbox(work: Path, source: str, scene_class: str) -> Completed:
    """Run Manim on work/scene.py as a render does, but with no static check before it."""
    env = stage(work, source)
    argv = [sys.executable, "layout_hook.py", "render", "-ql", "--progress_bar", "none",
            "--disable_caching", "--media_dir", "media", "scene.py", scene_class]
    return run(bwrap_argv(argv, work), cwd=work, env=env, timeout=180, check=False)


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP server on 127.0.0.1 that records any connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    yield int(server.getsockname()[1]), accepted
    server.close()


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory,
              listener: tuple[int, list[object]]) -> dict[str, tuple[Completed, Path]]:
    """Every hostile scene and the normal one, run once, two at a time (import manim: ~1.5 s)."""
    assert bwrap_works(), "bubblewrap must work here: make test installs it"
    assert Path(CERTS).is_file(), f"{CERTS} is missing: install ca-certificates"
    root = tmp_path_factory.mktemp("guarded")
    port = listener[0]

    def attempt(name: str) -> tuple[str, tuple[Completed, Path]]:
        work = root / name
        if name == "normal":
            return name, (render_in_sandbox(work, NORMAL, "Normal"), work)
        head = f"MARKER = {str(work / 'pwned')!r}\nCERTS = {CERTS!r}\nPORT = {port}\n"
        body = scene(HOSTILE[name][0])
        return name, (render_in_sandbox(work, body.replace("\n\n\n", "\n" + head + "\n\n", 1),
                                        "Hostile"), work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(attempt, ["normal", *HOSTILE]))


@pytest.mark.integration
@pytest.mark.parametrize("name", list(HOSTILE))
def test_guard_stops_in_the_sandbox_what_the_static_check_would_have(
        name: str, sandboxed: dict[str, tuple[Completed, Path]],
        listener: tuple[int, list[object]]) -> None:
    done, work = sandboxed[name]
    line = guard_line(done)
    assert done.returncode == REFUSED, (done.returncode, done.stderr[-2000:])
    assert line.startswith(LINE), done.stderr[-2000:]
    assert HOSTILE[name][1] in line, line
    assert not (work / "pwned").exists(), f"{name}: the side effect happened"
    # no program ran: Manim writes the .tex, latex would leave a .log and a .dvi, dvisvgm an .svg
    assert not [p.name for p in (work / "Tex").iterdir() if p.suffix != ".tex"], f"{name}: TeX ran"
    assert not listener[1], "a connection reached the host"


@pytest.mark.integration
def test_a_normal_scene_renders_with_the_guard_on(
        sandboxed: dict[str, tuple[Completed, Path]]) -> None:
    done, work = sandboxed["normal"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mathreel guard" not in done.stderr
    videos = list((work / "media" / "videos").rglob("Normal.mp4"))
    assert videos and videos[0].stat().st_size > 1000
    assert list((work / "Tex").glob("*.svg")), "latex and dvisvgm ran for the MathTex"


# ----------------------------------------------------------------------------- bare children
# The guard installed in a plain child, no Manim, no sandbox: runner.py (trusted, in the work
# folder when the guard is installed) executes scene.py as Manim would, by compiling it.

RUNNER = """\
import sys
import guard
guard.install()
guard.install()  # a second call does nothing (a second hook would be refused)
assert "guard" not in sys.modules
for name in sys.argv[1:]:
    __import__(name)  # modules Manim would have loaded before the scene
namespace = {"__name__": "scene"}
exec(compile(open("scene.py").read(), "scene.py", "exec"), namespace)
print("FINISHED")
"""


def run_bare(work: Path, body: str, *preload: str, env: dict[str, str] | None = None) -> Completed:
    """Run `body` as scene.py under the guard in a plain child process (not sandboxed)."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(GUARD, work / "guard.py")
    (work / "runner.py").write_text(RUNNER, encoding="utf-8")
    head = f"MARKER = {str(work / 'pwned')!r}\n"
    (work / "scene.py").write_text(head + textwrap.dedent(body).strip() + "\n", encoding="utf-8")
    (work / "home" / "tmp").mkdir(parents=True, exist_ok=True)
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work / "home"),
                 "TMPDIR": str(work / "home" / "tmp"), "PYTHONDONTWRITEBYTECODE": "1",
                 "LANG": "C.UTF-8", **(env or {})}
    proc = subprocess.run([sys.executable, "runner.py", *preload], cwd=work, env=child_env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return Completed(tuple(proc.args), proc.returncode, proc.stdout, proc.stderr)


FORK_EXEC = """
    os = __import__("os")
    fork_exec = __import__("_posixsubprocess").fork_exec
    read_end, write_end = os.pipe()
    fork_exec([b"/usr/bin/touch", MARKER.encode()], [b"/usr/bin/touch"], True, (write_end,),
              None, None, -1, -1, -1, -1, -1, -1, read_end, write_end, True, False, -1,
              None, None, None, -1, None, False)
"""

#: name -> (scene body, modules to load first, what the guard's line must name)
BARE = {
    # _posixsubprocess.fork_exec raises no audit event: the guard wraps it
    "fork-exec-direct": (FORK_EXEC, (), "fork_exec: starting '/usr/bin/touch'"),
    # the wrapper's globals must not be the guard's: replacing its checks there changes nothing
    "fork-exec-globals": (textwrap.dedent("""
        namespace = __import__("_posixsubprocess").fork_exec.__globals__
        namespace["program_refusal"] = lambda argv, policy: None
        namespace["_pinned_program"] = lambda candidates: (candidates[0].decode(), None)
    """) + textwrap.dedent(FORK_EXEC), (), "fork_exec: starting '/usr/bin/touch'"),
    "fork-exec-unwrapped": ("""
        real = __import__("_posixsubprocess").fork_exec.__kwdefaults__["_real"]
    """, (), "object.__getattr__ on the guard's fork_exec"),
    "posix-spawn": ("""
        __import__("os").posix_spawn("/usr/bin/touch", ["touch", MARKER], {})
    """, (), "os.posix_spawn"),
    "ctypes": ("""
        __import__("ctypes").CDLL(None).system(b"touch " + MARKER.encode())
    """, ("ctypes",), "ctypes."),
    "new-import": ("""
        __import__("pty").spawn(["touch", MARKER])
    """, (), "import pty"),
    "shadowed-import": ("""
        open("statistics.py", "w").write("open(MARKER, 'w')")
        __import__("statistics")
    """, (), "statistics"),
    "getframe": ("""
        frame = __import__("sys")._getframe()
        open(MARKER, "w").write(str(frame.f_back))
    """, (), "sys._getframe"),
    "inspect-frame": ("""
        frame = __import__("inspect").currentframe()
        open(MARKER, "w").write(str(frame))
    """, ("inspect",), "sys._getframe"),
    "logging-frame": ("""
        frame = __import__("logging").currentframe()
    """, ("logging",), "sys._getframe"),
    "code-object": ("""
        code = (lambda: 0).__code__
    """, (), "object.__getattr__(__code__)"),
    "code-replace": ("""
        code = compile("x = 1", "<string>", "exec").replace(co_name="mine")
    """, (), "code.__new__"),
    "marshal": ("""
        marshal = __import__("marshal")
        code = marshal.loads(marshal.dumps(compile("1", "<string>", "eval")))
    """, (), "marshal.loads"),
    "gc-walk": ("""
        everything = __import__("gc").get_objects()
    """, ("gc",), "gc.get_objects"),
    "reload-entry-script": ("""
        open("runner.py", "w").write("open(MARKER, 'w')")
        machinery = __import__("importlib.machinery", fromlist=["SourceFileLoader"])
        loader = machinery.SourceFileLoader("again", "runner.py")
        code = loader.source_to_code(open("runner.py", "rb").read(), "runner.py")
        exec(code, {"MARKER": MARKER})
    """, ("importlib.machinery",), "'runner.py'"),
    "second-hook": ("""
        __import__("sys").addaudithook(lambda event, args: None)
    """, (), "sys.addaudithook"),
    "write-outside": ("""
        open(OUTSIDE_FILE, "w").write("escaped")
    """, (), "open: writing"),
    "symlink-read": ("""
        data = open("hostname-link").read()
        open(MARKER, "w").write(data)
    """, (), "open: reading '/etc/hostname'"),
    "symlink-out": ("""
        __import__("os").symlink("/etc", "etc-link")
    """, (), "os.symlink"),
    "environment": ("""
        __import__("os").environ["openin_any"] = "a"
    """, (), "os.putenv"),
    "made-up-filename": ("""
        code = compile("x = 1", "/usr/lib/python3/made_up.py", "exec")
    """, (), "compile with the made-up file name"),
}


@pytest.mark.parametrize("name", list(BARE))
def test_guard_refuses_in_a_bare_child(name: str, tmp_path: Path) -> None:
    body, preload, expected = BARE[name]
    work = tmp_path / "work"
    work.mkdir()
    (work / "hostname-link").symlink_to("/etc/hostname")
    target = tmp_path / "outside.txt"
    done = run_bare(work, f"OUTSIDE_FILE = {str(target)!r}\n" + textwrap.dedent(body), *preload)
    line = guard_line(done)
    assert done.returncode == REFUSED, (done.returncode, done.stdout, done.stderr[-2000:])
    assert expected in line, done.stderr[-2000:]
    assert "FINISHED" not in done.stdout
    assert not (work / "pwned").exists() and not target.exists()
    assert not (work / "etc-link").exists()


def test_guard_lets_an_ordinary_scene_run(tmp_path: Path) -> None:
    done = run_bare(tmp_path / "work", """
        import fractions, math, random
        os = __import__("os")
        open("notes.txt", "w").write(str(fractions.Fraction(1, 3) + math.pi * random.random()))
        open(os.__file__).read(10)          # the standard library is readable
        os.makedirs("media/videos", exist_ok=True)
        os.replace("notes.txt", "media/notes.txt")
        open("/dev/null", "w").write("x")
        import dataclasses
        @dataclasses.dataclass
        class Point:
            x: float
        print(Point(1.0), os.environ["openin_any"], os.environ["openout_any"],
              os.environ["shell_escape"])
    """, env={"openin_any": "a"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "FINISHED" in done.stdout
    # the guard sets TeX's restrictions even where the parent did not (or loosened them)
    assert "Point(x=1.0) p p f" in done.stdout
    assert (tmp_path / "work" / "media" / "notes.txt").is_file()


# ----------------------------------------------------------------------------- decisions

DECISIONS = """\
import json, os, sys
sys.path.insert(0, sys.argv[1])
import guard
work = os.getcwd()
policy = guard.Policy.here("scene.py")
result = {"paths": {}, "tex": {}, "programs": {}}
for raw, write in json.loads(sys.argv[2]):
    result["paths"][f"{raw}|{'w' if write else 'r'}"] = policy.path_refusal(raw, write=write)
for name, source in json.loads(sys.argv[3]).items():
    result["tex"][name] = guard.tex_refusal(source)
for name, argv in json.loads(sys.argv[4]).items():
    result["programs"][name] = guard.program_refusal(argv, policy)
print(json.dumps(result))
"""

WRAP = "\\special{dvisvgm:raw <g id='unique000'>}%s\\special{dvisvgm:raw </g>}"


def manim_tex(formula: str, preamble: str = "") -> str:
    """A .tex file as Manim 0.22 writes it for MathTex (the default template, align*)."""
    head = ("\\documentclass[preview]{standalone}\n\\usepackage[english]{babel}\n"
            "\\usepackage{amsmath}\n\\usepackage{amssymb}\n" + preamble + "\\begin{document}\n")
    return head + "\\begin{align*}\n" + WRAP % formula + "\n\\end{align*}\n\\end{document}"


TEX = {
    "plain formula": (manim_tex(r"e^{i\pi} + 1 = 0 \quad \frac{a}{b} \text{ok}"), None),
    "substring groups": (manim_tex(
        "x \\special{dvisvgm:raw <g id='unique001substring'>}y\\special{dvisvgm:raw </g>}"), None),
    "custom preamble package": (manim_tex("x", "\\usepackage{xcolor}\n\\usepackage[T1]{fontenc}\n"), None),
    "input": (manim_tex("\\input{/etc/hostname}"), "\\input"),
    "input spelled with ^^": (manim_tex("^^5cinput{/etc/hostname}"), "^^"),
    "@@input": (manim_tex("\\makeatletter\\@@input /etc/hostname"), "makeatletter"),
    "csname": (manim_tex("\\csname in\\relax put\\endcsname{/etc/hostname}"), "\\csname"),
    "UseName": (manim_tex("\\UseName{input}{/etc/hostname}"), "\\UseName"),
    "begin builds a name": (manim_tex("\\begin{input}{/etc/hostname}"), "environment 'input'"),
    "openin": (manim_tex("\\openin1=/etc/hostname"), "\\openin"),
    "write18": (manim_tex("\\immediate\\write18{id}"), "\\immediate"),
    "openout": (manim_tex("\\openout3=x.tex"), "\\openout"),
    "read": (manim_tex("\\read16 to \\x"), "\\read"),
    "catcode": (manim_tex("\\catcode`|=0 |input /etc/hostname"), "\\catcode"),
    "directlua": (manim_tex("\\directlua{os.execute('id')}"), "\\directlua"),
    "pdf primitive": (manim_tex("\\pdffiledump length 99{/etc/hostname}"), "\\pdffiledump"),
    "font file": (manim_tex("\\font\\x=/etc/hostname"), "\\font"),
    "include": (manim_tex("\\include{x}"), "\\include"),
    "own special": (manim_tex("\\special{ps: (/etc/hostname) (r) file}"), "\\special"),
    "expl3": (manim_tex("\\ExplSyntaxOn \\use:c {input}"), "\\ExplSyntaxOn"),
    "package path": (manim_tex("x", "\\usepackage{/etc/hostname}\n"), "a path, not a package"),
    "package from macro": (manim_tex("x", "\\usepackage{\\x}\n"), "without a plain"),
    "pstricks": (manim_tex("x", "\\usepackage{pstricks}\n"), "package pstricks"),
    "custom template input": ("\\documentclass{article}\\input{x}\\begin{document}x\\end{document}",
                              "in the TeX template: \\input"),
}


def test_guard_decisions_on_paths_programs_and_tex(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "Tex").mkdir(parents=True)
    (work / "scene.py").write_text("", encoding="utf-8")
    (work / "Tex" / "ok.tex").write_text(manim_tex("x^2"), encoding="utf-8")
    (work / "Tex" / "bad.tex").write_text(manim_tex("\\input{/etc/passwd}"), encoding="utf-8")
    (work / "Tex" / "ok.dvi").write_bytes(b"")
    (work / "passwd-link").symlink_to("/etc/passwd")
    fmt = tmp_path / "formats" / "manim-key.fmt"  # the host's format of Manim's preamble
    fmt.parent.mkdir()
    fmt.write_bytes(b"")
    stdlib_file = os.__file__
    paths = [
        ("/etc/passwd", False, "outside the work folder"),
        ("/root/.env", False, "outside the work folder"),
        (str(Path.home() / ".config" / "x"), False, "outside the work folder"),
        ("/proc/self/environ", False, "outside the work folder"),
        (str(work / "Tex" / "ok.tex"), False, None),
        ("Tex/new.svg", True, None),
        ("../escape.txt", True, "only the work folder is writable"),
        ("passwd-link", False, "'/etc/passwd'"),
        ("/usr/share/fonts/x", False, None),
        ("/usr/lib/x", True, "only the work folder is writable"),
        (stdlib_file, False, None),
        (stdlib_file, True, "only the work folder is writable"),
        ("/dev/null", True, None),
        (str(fmt), False, None),
        (str(fmt), True, "only the work folder is writable"),
        ("/tmp/x", True, "only the work folder is writable"),  # the host's /tmp, outside bwrap
        (3, True, None),  # a descriptor: it was checked when it was opened
    ]
    programs = {
        "latex": (["latex", "-interaction=batchmode", "-output-format=dvi", "-halt-on-error",
                   "-output-directory=Tex", "Tex/ok.tex"], None),
        "latex with the host's format": (["latex", "-interaction=batchmode", "-output-format=dvi",
                                          "-halt-on-error", f"-fmt={fmt}", "-output-directory=Tex",
                                          "Tex/ok.tex"], None),
        "latex with the format, bad TeX": (["latex", "-interaction=batchmode", "-output-format=dvi",
                                            "-halt-on-error", f"-fmt={fmt}", "-output-directory=Tex",
                                            "Tex/bad.tex"], "\\input"),
        "latex with another format": (["latex", "-interaction=batchmode", "-output-format=dvi",
                                       "-halt-on-error", "-fmt=Tex/own.fmt", "-output-directory=Tex",
                                       "Tex/ok.tex"], "arguments Manim does not use"),
        "latex with the format first": (["latex", f"-fmt={fmt}", "-interaction=batchmode",
                                         "-output-format=dvi", "-halt-on-error", "-output-directory=Tex",
                                         "Tex/ok.tex"], "arguments Manim does not use"),
        "latex on bad TeX": (["latex", "-interaction=batchmode", "-output-format=dvi",
                              "-halt-on-error", "-output-directory=Tex", "Tex/bad.tex"], "\\input"),
        "latex shell escape": (["latex", "-shell-escape", "-interaction=batchmode",
                                "-output-format=dvi", "-halt-on-error", "-output-directory=Tex",
                                "Tex/ok.tex"], "arguments Manim does not use"),
        "latex outside": (["latex", "-interaction=batchmode", "-output-format=dvi",
                           "-halt-on-error", "-output-directory=/etc", "/etc/x.tex"],
                          "outside the work folder"),
        "lualatex": (["lualatex", "-interaction=batchmode", "-output-format=dvi",
                      "-halt-on-error", "-output-directory=Tex", "Tex/ok.tex"],
                     "the only TeX compiler allowed is latex"),
        "dvisvgm": (["dvisvgm", "--page=1", "--no-fonts", "--verbosity=0",
                     "--output=Tex/ok.svg", "Tex/ok.dvi"], None),
        "dvisvgm pdf": (["dvisvgm", "--pdf", "--page=1", "--no-fonts", "--verbosity=0",
                         "--output=Tex/ok.svg", "Tex/ok.dvi"], "arguments Manim does not use"),
        # the preflight's batch: every page of one DVI, each to its own numbered SVG
        "dvisvgm pages": (["dvisvgm", "--page=1-", "--no-fonts", "--verbosity=0",
                           "--output=Tex/mathreel-batch-%p.svg", "Tex/mathreel-batch.dvi"], None),
        "dvisvgm file pattern": (["dvisvgm", "--page=1", "--no-fonts", "--verbosity=0",
                                  "--output=Tex/%f.svg", "Tex/ok.dvi"], "output pattern"),
        "dvisvgm escaped pattern": (["dvisvgm", "--page=1-", "--no-fonts", "--verbosity=0",
                                     "--output=Tex/x%%p.svg", "Tex/ok.dvi"], "output pattern"),
        "dvisvgm pages outside": (["dvisvgm", "--page=1-", "--no-fonts", "--verbosity=0",
                                   "--output=/tmp/%p.svg", "Tex/ok.dvi"], "outside the work folder"),
        "id": (["id"], "scenes may not run programs"),
        "shell": (["/bin/sh", "-c", "id"], "scenes may not run programs"),
    }
    done = subprocess.run(
        [sys.executable, "-c", DECISIONS, str(TEMPLATES),
         json.dumps([[raw, write] for raw, write, _ in paths]),
         json.dumps({name: source for name, (source, _) in TEX.items()}),
         json.dumps({name: argv for name, (argv, _) in programs.items()})],
        cwd=work, capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "TMPDIR": str(work / "tmp"), "MATHREEL_TEX_FORMAT": str(fmt)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    wrong = []
    for raw, write, expected in paths:
        got = result["paths"][f"{raw}|{'w' if write else 'r'}"]
        if (got is None) != (expected is None) or (expected and expected not in got):
            wrong.append((raw, write, expected, got))
    for table, key in ((TEX, "tex"), (programs, "programs")):
        for name, (_, expected) in table.items():
            got = result[key][name]
            if (got is None) != (expected is None) or (expected and expected not in got):
                wrong.append((name, expected, got))
    assert not wrong, wrong


def load_guard() -> ModuleType:
    """guard.py as a module of this process, for its constants (never installed here)."""
    spec = importlib.util.spec_from_file_location("mathreel_guard_under_test", GUARD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_guard_knows_manims_template_and_imports_only_the_standard_library() -> None:
    guard = load_guard()
    spec = importlib.util.find_spec("manim")
    assert spec is not None and spec.origin is not None
    # manim/utils/tex.py imports nothing from Manim at run time: load it alone (fast)
    tex_spec = importlib.util.spec_from_file_location(
        "_manim_tex_for_test", Path(spec.origin).parent / "utils" / "tex.py")
    assert tex_spec is not None and tex_spec.loader is not None
    tex = importlib.util.module_from_spec(tex_spec)
    sys.modules[tex_spec.name] = tex  # dataclasses look their module up
    try:
        tex_spec.loader.exec_module(tex)
    finally:
        del sys.modules[tex_spec.name]
    template = tex.TexTemplate()
    head, placeholder, tail = template.body.partition(template.placeholder_text)
    assert placeholder, "Manim's template has no placeholder"
    assert (head, tail) == (guard.MANIM_HEAD, guard.MANIM_TAIL)
    tree = ast.parse(GUARD.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


FROZEN = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import guard
policy = guard.Policy("/scene", "/scene/scene.py", ("/", ), ("/scene", "/tmp"), (), "/usr/lib/python3",
                      frozenset(), ("/tmp/project/.venv",))
print(json.dumps({path: policy.writable(path) for path in sys.argv[2:]}))
"""


def test_an_install_under_a_writable_root_stays_read_only(tmp_path: Path) -> None:
    """A project cloned under /tmp: its venv lies inside the sandbox's private /tmp, where the
    scene may write; the venv (bound read-only) must still count as not writable, or its
    compiled modules are refused as "code the scene could have written" (seen on a fresh clone)."""
    paths = ["/tmp/project/.venv/lib/python3.11/site-packages/rich/__pycache__/table.cpython-311.pyc",
             "/tmp/project/.venv", "/tmp/scratch.txt", "/scene/media/x.png", "/usr/lib/x.pyc"]
    done = subprocess.run([sys.executable, "-c", FROZEN, str(TEMPLATES), *paths], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {paths[0]: False, paths[1]: False, paths[2]: True,
                                       paths[3]: True, paths[4]: False}

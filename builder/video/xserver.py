"""A virtual X server for Manim's OpenGL renderer on machines with no display.

Manim's OpenGL renderer opens its GL context through X; on a server that means
Debian's Xvfb with Mesa's software GL. The builder starts one Xvfb for the whole
build the first time an OpenGL render needs it and stops it when the build ends.
Scenes reach it through its socket in /tmp/.X11-unix, bound into the sandbox.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import threading

from builder.errors import ToolError

log = logging.getLogger(__name__)

_lock = threading.Lock()
_server: subprocess.Popen[bytes] | None = None
_display: str | None = None

SOCKET_DIR = "/tmp/.X11-unix"


def available() -> bool:
    """True when Xvfb is installed."""
    return shutil.which("Xvfb") is not None


def describe() -> str:
    """One line for `mathreel doctor`: which GL the OpenGL renderer would use."""
    if os.environ.get("DISPLAY"):
        return f"the display {os.environ['DISPLAY']} (OpenGL renderer uses it)"
    if available():
        return "Xvfb with Mesa software GL, started by the build when a scene uses OpenGL"
    return "no display and no Xvfb: OpenGL renders fall back to Cairo (apt-get install xvfb libgl1-mesa-dri)"


def display() -> str:
    """The DISPLAY for OpenGL renders: the user's own, or a shared Xvfb started now."""
    global _server, _display
    with _lock:
        if _display is not None and _server is not None and _server.poll() is None:
            return _display
        if not available():
            raise ToolError("the OpenGL renderer needs an X display: install Xvfb "
                            "(apt-get install xvfb libgl1-mesa-dri) or use `renderer: cairo`")
        read, write = os.pipe()
        try:
            _server = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write), "-screen", "0", "3840x2160x24", "-nolisten", "tcp"],
                pass_fds=(write,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        finally:
            os.close(write)
        with os.fdopen(read) as handle:
            number = handle.readline().strip()
        if not number:
            raise ToolError("Xvfb did not start: run `Xvfb :99` by hand to see why")
        _display = f":{number}"
        atexit.register(stop)
        log.info("started Xvfb on %s for OpenGL renders", _display)
        return _display


def stop() -> None:
    """Stop the Xvfb this process started, if any."""
    global _server, _display
    with _lock:
        if _server is not None and _server.poll() is None:
            _server.terminate()
            try:
                _server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _server.kill()
        _server, _display = None, None

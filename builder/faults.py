"""Kill points for the fault tests: a build can be made to die by SIGKILL at a named moment.

This is a test hook, not a feature. `checkpoint(name)` does nothing unless the environment
variable MATHREEL_TEST_KILL_AT equals `name`; then it writes a marker file (the path in
MATHREEL_TEST_KILL_MARKER) and kills its own process with SIGKILL, the one signal nothing can
catch or clean up after. tests/test_faults.py sets both variables on a `mathreel build` it runs
in a subprocess: the marker proves the kill landed exactly at that point (a random kill may land
anywhere, or after the build ended), and what the build left behind is then checked.

The points, in build order:

=================== ==============================================================
model-answer        the first streamed chunk of a model answer arrived
render              Manim finished and the video was taken, nothing published yet
notes               pandoc wrote notes.tex, pdflatex has not run yet
publish-rename-old  a stage finished; its cache entry is about to be renamed in
                    (the previous entry, if any, is renamed aside first)
publish-rename-new  between the two renames: the previous entry (if any) is aside,
                    the new one not yet in
site-write          MkDocs wrote the whole staging site; nothing swapped yet
site-swap           between the two renames of the site swap: the old site is
                    aside, the new one not yet in
=================== ==============================================================
"""

from __future__ import annotations

import os
import signal

#: The point to die at; unset (always, outside the fault tests) means never.
KILL_AT = "MATHREEL_TEST_KILL_AT"
#: The file written just before dying, so the test knows the kill landed at that point.
KILL_MARKER = "MATHREEL_TEST_KILL_MARKER"

POINTS = ("model-answer", "render", "notes", "publish-rename-old", "publish-rename-new",
          "site-write", "site-swap")


def checkpoint(name: str) -> None:
    """Die by SIGKILL here when MATHREEL_TEST_KILL_AT names this point (a test hook; else a no-op)."""
    # One dict lookup per call: cheap enough for a loop over streamed chunks, and read every
    # time (not cached at import) so a test can set it for the process it starts.
    if os.environ.get(KILL_AT) != name:
        return
    marker = os.environ.get(KILL_MARKER)
    if marker:
        # Written and flushed before dying: the marker's existence is the test's proof.
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(f"{name} {os.getpid()}\n")
            handle.flush()
            os.fsync(handle.fileno())
    os.kill(os.getpid(), signal.SIGKILL)

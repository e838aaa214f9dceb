"""A static file server for the browser tests: byte ranges (Chromium seeks video with them),
on 127.0.0.1, serving a built project's folder with its site under /site/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with byte ranges (as any real server has: browsers seek video with them)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", header or "")
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(match.group(1)) if match.group(1) else max(0, size - int(match.group(2) or 0))
        end = int(match.group(2)) if match.group(1) and match.group(2) else size - 1
        end = min(end, size - 1)
        if start > end:
            self.send_error(416)
            return None
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._range_left = end - start + 1
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        left = getattr(self, "_range_left", None)
        if left is None:
            super().copyfile(source, outputfile)
            return
        while left > 0:
            chunk = source.read(min(64 * 1024, left))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)


@dataclass
class Site:
    """A served project: its folder and the site's base URL."""

    root: Path
    base: str                       # http://127.0.0.1:PORT/site/


@contextmanager
def serve(root: Path) -> Iterator[Site]:
    """Serve a built project's folder on 127.0.0.1; the site is its /site/ sub-path."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(root, f"http://127.0.0.1:{server.server_address[1]}/site/")
    finally:
        server.shutdown()
        server.server_close()


#: The site generators the browser tests run against: MkDocs (Material; the default) and
#: Zensical, which reads the same mkdocs.yml and the pages `mathreel build` wrote.
BUILDERS = ("mkdocs", "zensical")


def zensical_build(root: Path) -> Path:
    """A copy of a built project (hard links) whose site/ Zensical built from its docs folder."""
    import os
    import shutil
    import subprocess
    import sys

    copy = root.parent / f"{root.name}-zensical"
    shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["cp", "-al", str(root), str(copy)], check=True)
    shutil.rmtree(copy / "site")
    zensical = Path(sys.executable).parent / "zensical"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([str(zensical), "build"], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and (copy / "site" / "index.html").is_file(), \
        f"zensical build failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return copy


def search_documents(site_dir: Path) -> list[dict[str, Any]]:
    """The site's search index entries (location, title, text), whichever builder wrote them.

    MkDocs' search plugin writes search/search_index.json (`docs`); Zensical writes
    search.json (`items`).
    """
    import json

    mkdocs = site_dir / "search" / "search_index.json"
    if mkdocs.is_file():
        return list(json.loads(mkdocs.read_text(encoding="utf-8"))["docs"])
    return list(json.loads((site_dir / "search.json").read_text(encoding="utf-8"))["items"])

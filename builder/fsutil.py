"""Atomic writes, published cache entries and the project lock."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from builder.errors import LockError

log = logging.getLogger(__name__)


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write data via a temp file and os.replace; skip the write when the bytes are unchanged.

    Returns True when the file was (re)written, so callers can keep mtimes stable.
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def atomic_write_text(path: Path, text: str) -> bool:
    """Text variant of atomic_write_bytes (UTF-8, newlines as given)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value: Any) -> bool:
    """Pretty JSON with sorted keys and a trailing newline, written atomically."""
    return atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path: Path) -> dict[str, Any] | None:
    """Read a JSON object; None when missing, truncated or not an object (logged)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s (%s); it will be rebuilt", path, exc)
        return None
    if not isinstance(value, dict):
        log.warning("ignoring %s: not a JSON object; it will be rebuilt", path)
        return None
    return value


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """Yield a temp dir beside `final`; on success it replaces `final` in one rename.

    On any error the temp dir is removed and `final` (if any) is left as it was,
    so a cache entry exists only when its stage finished.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
        old: Path | None = None
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.rename(final, old)
        os.rename(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sweep_partials(root: Path) -> int:
    """Remove leftovers of interrupted stages (*.partial dirs, .tmp files); return the count."""
    if not root.is_dir():
        return 0
    count = 0
    for entry in root.rglob(".*"):
        if entry.name.endswith(".partial") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            count += 1
        elif entry.name.endswith(".tmp") and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                count += 1
        elif ".old-" in entry.name and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            count += 1
    return count


@contextlib.contextmanager
def project_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for one build; a second build refuses with a clear message."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole build
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockError(f"another mathreel build is running in this project ({holder}); "
                            f"wait for it to finish, or stop it and retry (lock: {path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()

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
from builder.faults import checkpoint

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


#: The kill points (builder.faults) of a cache entry's publish: before and between the renames.
PUBLISH_POINTS = ("publish-rename-old", "publish-rename-new")


@contextlib.contextmanager
def staging_dir(final: Path, *, kill_points: tuple[str, str] = PUBLISH_POINTS) -> Iterator[Path]:
    """Yield a temp dir beside `final`; on success it replaces `final` in one rename.

    On any error the temp dir is removed and `final` (if any) is left as it was,
    so a cache entry exists only when its stage finished. `kill_points` name the two test
    kill points of the publish (see builder.faults); the site swap names its own.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
        publish_staged(tmp, final, kill_points=kill_points)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish_staged(tmp: Path, final: Path, *, kill_points: tuple[str, str] = PUBLISH_POINTS) -> None:
    """Put a finished staging folder (a `.partial` beside `final`) in `final`'s place, in one
    rename; the caller removes `tmp` if this raises (staging_dir does)."""
    old: Path | None = None
    checkpoint(kill_points[0])
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.rename(final, old)
    checkpoint(kill_points[1])
    os.rename(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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


class UntrustedFile(OSError):
    """A file a sandboxed child left behind is not a plain regular file within its limits."""


def _open_beneath(root: Path, relative: str) -> int:
    """Open root/relative for reading without following any link on the way (fd of a regular file).

    The child that wrote `root` is untrusted: each path component is opened relative to the
    previous one with O_NOFOLLOW, so a link anywhere (`media -> /root`) fails instead of leading
    the host out of the folder; O_NONBLOCK keeps a FIFO from hanging the build.
    """
    parts = [p for p in Path(relative).parts if p not in ("", ".")]
    if not parts or ".." in parts or Path(relative).is_absolute():
        raise UntrustedFile(errno.EINVAL, f"not a relative path inside the work folder: {relative}")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    finally:
        os.close(fd)
    return file_fd


def read_untrusted(root: Path, relative: str, *, max_bytes: int) -> bytes:
    """The bytes of a regular file a sandboxed child wrote, refusing links, FIFOs, devices,
    hard links to other files and anything over max_bytes (raises UntrustedFile)."""
    import stat

    try:
        fd = _open_beneath(root, relative)
    except OSError as exc:
        if isinstance(exc, UntrustedFile):
            raise
        raise UntrustedFile(exc.errno or errno.EINVAL, f"{relative}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UntrustedFile(errno.EINVAL, f"{relative} is not a regular file")
        if info.st_nlink != 1:
            raise UntrustedFile(errno.EINVAL, f"{relative} is a hard link to another file")
        if info.st_size > max_bytes:
            raise UntrustedFile(errno.EFBIG, f"{relative} is {info.st_size} bytes, over the "
                                f"{max_bytes} byte limit")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UntrustedFile(errno.EFBIG, f"{relative} grew past the {max_bytes} byte limit")
    return data


def list_untrusted(root: Path, *, max_files: int = 10_000) -> list[str]:
    """Relative paths of the regular files under root, never following links (bounded)."""
    import stat

    found: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = Path(folder) / name
            try:
                if stat.S_ISREG(path.lstat().st_mode):
                    found.append(str(path.relative_to(root)))
            except OSError:
                continue
            if len(found) >= max_files:
                return sorted(found)
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
    return sorted(found)


def user_cache(name: str) -> Path:
    """`~/.cache/mathreel/<name>` (under XDG_CACHE_HOME when set): what this user's builds
    share across projects, all of it made by the host from trusted input."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "mathreel" / name

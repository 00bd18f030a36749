"""A run folder's files, read without trusting them.

An evidence package is checked on disks the checker does not control, and anyone with
write access to the folder may have put something odd there. Evidence is *regular files
inside the folder*, so everything else is refused by its name, before it is opened:

- a FIFO or a socket: opening one blocks or fails (a FIFO in the folder used to hang
  ``hil verify`` for ever, waiting for a writer);
- a device: opening one can have side effects (a tape rewinds) and reads never end;
- a symbolic link: the evidence would be a file outside the folder, which can change
  without the folder changing;
- a hard link (a regular file with more than one name, ``st_nlink > 1``): its other name
  may be outside the folder, and writing through it changes the evidence silently.

``scan`` walks the folder with ``lstat`` only and sorts the entries into files and
refusals. A file is then opened with ``O_NOFOLLOW | O_NONBLOCK`` (a link swapped in after
the scan fails to open, a FIFO opens without blocking) and ``fstat`` is checked again
before a byte is read; hashes are computed in fixed-size chunks, so memory stays bounded
however large a file is. Small files the harness parses (manifest, audit log, run
record) are read with a size limit.

``replace_file`` is the one way this package writes a file it vouches for or a key: a new
temporary file (``O_CREAT | O_EXCL | O_NOFOLLOW``, so a planted link is never written
through), fsynced, then renamed over the target (a rename replaces a link, it never
follows it).

A *run folder* is ``reports/<run-id>/``: a ``run.json`` whose ``run_id`` is the folder's
own name, and the run's ``results.parquet``. Only such a folder is sealed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import InputError

CHUNK = 1024 * 1024
"""Bytes read at a time while hashing: memory stays bounded for any file size."""
SMALL_FILE_LIMIT = 64 * 1024 * 1024
"""The largest manifest, audit log or run record that is read into memory."""
RUN_RECORD = "run.json"
RESULTS_PARQUET = "results.parquet"
O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
"""Windows has no such flag: there the ``lstat`` checks before each open refuse links."""
O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
"""Windows has none (and no FIFOs to hang on): the ``fstat`` check still refuses them."""
O_BINARY: int = getattr(os, "O_BINARY", 0)
"""Windows only: without it ``os.open`` translates line ends, and a hash would change."""
_READ_FLAGS = os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_BINARY | getattr(os, "O_CLOEXEC", 0)


def kind_of(status: os.stat_result) -> str | None:
    """Why an entry is not evidence (``lstat`` result); None for a folder or a plain file."""
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISREG(mode):
        if status.st_nlink > 1:
            return f"a hard link ({status.st_nlink} names for one file)"
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def refusal(kind: str) -> str:
    return f"{kind}: never opened; evidence is regular files inside the run folder only"


@dataclass
class FolderContents:
    """What ``scan`` found: regular files, and every other entry with why it is refused."""

    files: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def scan(root: str | Path) -> FolderContents:
    """Every entry under ``root`` by ``lstat`` alone; relative ``/`` paths, sorted.

    Nothing is opened and no link is followed. Folders are descended; a symlinked
    folder is refused like any other link.
    """
    top = Path(root)
    if not top.is_dir():
        raise InputError(top, "run folder", "an existing folder")
    found = FolderContents()
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as error:
            found.refused.append((_relative(folder, top), f"an unreadable folder ({error})"))
            continue
        for entry in entries:
            path = Path(entry.path)
            relative = _relative(path, top)
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as error:
                found.refused.append((relative, f"unreadable ({error.strerror})"))
                continue
            kind = kind_of(status)
            if kind is not None:
                found.refused.append((relative, kind))
            elif stat.S_ISDIR(status.st_mode):
                pending.append(path)
            else:
                found.files.append(relative)
    found.files.sort()
    found.refused.sort()
    return found


def _relative(path: Path, top: Path) -> str:
    return path.relative_to(top).as_posix() if path != top else "."


def open_regular(path: Path) -> int:
    """A read-only descriptor of ``path``, which must be a plain regular file.

    ``lstat`` first, so a FIFO, socket, device or link is refused without being opened;
    then ``O_NOFOLLOW | O_NONBLOCK`` and an ``fstat`` check, so an entry swapped between
    the two is refused too. ``InputError`` names the path and what it is.
    """
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise InputError(path, "file", "an existing file") from None
    kind = kind_of(before)
    if kind is None and stat.S_ISDIR(before.st_mode):
        kind = "a folder"
    if kind is not None:
        raise InputError(path, "file", f"a regular file, not {refusal(kind)}")
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as error:
        raise InputError(path, "file", f"a regular file that opens ({error.strerror})") from None
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or kind_of(now) is not None:
        os.close(fd)
        raise InputError(path, "file", "a regular file (it was replaced while being read)")
    os.set_blocking(fd, True)
    return fd


def hash_file(path: Path) -> tuple[int, str]:
    """(size, SHA-256 hex) of a regular file, read in ``CHUNK``-byte pieces."""
    fd = open_regular(path)
    digest = hashlib.sha256()
    size = 0
    try:
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return size, digest.hexdigest()


def read_small(path: Path, *, limit: int = SMALL_FILE_LIMIT) -> bytes:
    """The bytes of a regular file no larger than ``limit``; ``InputError`` otherwise."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise InputError(path, "file", f"at most {limit} bytes", got=size)
        parts = []
        while chunk := os.read(fd, CHUNK):
            parts.append(chunk)
    finally:
        os.close(fd)
    return b"".join(parts)


def replace_file(target: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a new file beside ``target`` (mode ``mode``), fsync, rename over.

    The temporary file is created with ``O_EXCL | O_NOFOLLOW`` under a random name, so no
    planted file or link is ever written through; ``fchmod`` sets ``mode`` exactly,
    whatever the umask or an earlier file's mode was.
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # Windows before Python 3.13: by name (only the read-only bit means anything)
            os.chmod(name, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    os.close(fd)
    os.replace(name, target)
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_run_record(root: Path) -> dict[str, object]:
    """``run.json`` as a JSON object; ``InputError`` naming what is wrong with it."""
    path = root / RUN_RECORD
    try:
        data = json.loads(read_small(path))
    except InputError as error:
        raise InputError(path, "run record", f"the run's {RUN_RECORD} ({error.expected})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(path, "run record", f"valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise InputError(path, "run record", "a JSON object")
    return data


def require_run_folder(root: Path) -> str:
    """The run id of ``root``, which must be a run folder; ``InputError`` if it is not.

    A run folder has a ``run.json`` whose ``run_id`` is the folder's name and the run's
    ``results.parquet``: sealing any other folder would vouch for something that is not a
    run, and a package renamed to another run's id would pass for that run.
    """
    if not root.is_dir():
        raise InputError(root, "run folder", "an existing run folder, reports/<run-id>")
    run_id = read_run_record(root).get("run_id")
    if run_id != root.name:
        raise InputError(root / RUN_RECORD, "run_id", f"the run folder's name {root.name!r}",
                         got=run_id)  # fmt: skip
    results = root / RESULTS_PARQUET
    try:
        status = os.lstat(results)
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else kind_of(status)
    except FileNotFoundError:
        kind = "missing"
    if kind is not None:
        raise InputError(results, "results", f"the run's results table ({kind})")
    return root.name

"""Where a result came from: software versions, the git commit, the host and the user.

A verdict is only evidence if the software that produced it can be named (ISO 13485
4.1.6 asks for validated software; an auditor asks "which version?"). The run record
stores the harness version, the commit of the checkout it ran from (with ``-dirty``
when the work tree had uncommitted changes), the Python version and the versions of the
packages that touch a number on its way from the instrument to the report.
"""

from __future__ import annotations

import getpass
import os
import platform
import re
import socket
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

KEY_PACKAGES = (
    "pytest",
    "pyvisa",
    "PyVISA-py",
    "pyserial",
    "numpy",
    "pandas",
    "pyarrow",
    "Pint",
    "pydantic",
    "allure-pytest",
    "SQLAlchemy",
    "PyYAML",
)


def package_versions() -> dict[str, str]:
    """The installed version of each of ``KEY_PACKAGES``, as ``metadata.version`` says it."""
    versions: dict[str, str] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = _version(metadata.distribution(name))
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


#: a line that the e-mail parser reads as a header (``email.feedparser.headerRE``)
_HEADER_LINE = re.compile(r"[\041-\071\073-\176]*:|[\t ]")


def _version(dist: metadata.Distribution) -> str:
    """``dist.version``, read from the metadata file's header lines alone.

    ``Distribution.version`` parses the whole file as an e-mail message, the long
    description included (tens of kB for numpy or pandas): 3-5 ms for the twelve key
    packages (~1 ms this way), spent in the first test's set-up, where the run record
    is begun. The
    ``Version`` header is among the first lines; a header block that the e-mail parser
    might read otherwise (a folded ``Version``, a carriage return, a line that is no
    header, no ``Version`` at all) is left to ``Distribution.version``.
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("")
    lines = (text or "").split("\n")
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        if not line or "\r" in line or not _HEADER_LINE.match(line):
            break  # the end of the headers, or a file to leave to the e-mail parser
        name, _, value = line.partition(":")
        if name.lower() == "version":
            if after[:1] in (" ", "\t"):
                break  # folded onto the next line
            return value.lstrip(" \t")
    return dist.version


def git_commit(directory: Path) -> str | None:
    """The commit of the checkout holding ``directory``, ``-dirty`` if modified.

    Dirty means a tracked file differs from the commit, in the work tree or the index
    (``git status --porcelain --untracked-files=no`` lists something). Both come from
    one ``git status --porcelain=v2 --branch``: its ``branch.oid`` header is what
    ``git rev-parse HEAD`` says, whatever the layout (packed refs, worktrees, detached
    HEAD), and ``(initial)`` before the first commit, where ``rev-parse`` fails. One
    git process instead of two: 1-2 ms less in the first test's set-up. A git older
    than 2.17 (no ``--no-ahead-behind``: exit status 129) gets the two commands.
    """
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--no-ahead-behind",
             "--untracked-files=no"],
            cwd=directory, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        if status.returncode == _GIT_USAGE:
            return _git_commit_two_commands(directory)
        status.check_returncode()
    except (OSError, subprocess.SubprocessError):
        return None
    head: str | None = None
    dirty = False
    for line in status.stdout.splitlines():
        if line.startswith("# branch.oid "):
            head = line.removeprefix("# branch.oid ").strip()
        elif line and not line.startswith("#"):
            dirty = True
    if head is None or head == "(initial)":
        return None
    return f"{head}-dirty" if dirty else head


#: git's exit status for an option it does not know
_GIT_USAGE = 129


def _git_commit_two_commands(directory: Path) -> str | None:
    """``git_commit`` for a git without ``status --porcelain=v2 --no-ahead-behind``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


def python_version() -> str:
    return platform.python_version()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def host_name() -> str:
    return socket.gethostname()


def process_alive(pid: int, started_at: datetime, tolerance_s: float = 60.0) -> bool:
    """Whether the process that began a run may still be running it.

    A dead process's pid can be given to a new one, so on Linux a process that started
    more than ``tolerance_s`` after the run did is not the run's process. Elsewhere
    only existence is checked; on Windows nothing is (``os.kill`` would terminate the
    process), so runs stay alive.
    """
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, IndexError, StopIteration):
        return True  # no /proc: existence is all we can tell
    if fields[0] in ("Z", "X"):
        return False  # killed, waiting to be reaped
    process_start = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return process_start <= started_at.timestamp() + tolerance_s

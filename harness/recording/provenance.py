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
    versions: dict[str, str] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(directory: Path) -> str | None:
    """The commit of the checkout holding ``directory``, ``-dirty`` if modified."""
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

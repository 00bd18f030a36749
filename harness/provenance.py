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

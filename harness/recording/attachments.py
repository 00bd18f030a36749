"""A measurement's attachments name files inside its run folder, and nothing else.

A measurement names the files it was taken from (``captures/004-OUT-AMP-L1.npz``), and
the report, its early figures and the Allure results open ``run_dir / name`` to draw or
copy them. A name is data: it comes from suite code when the measurement is taken, and
from ``results.parquet`` when a report is built later, a file anyone holding the folder
can rewrite. An absolute name, or one climbing out with ``..``, would have those readers
open (and the Allure plugin copy into its results) a file outside the run folder.

So a name is checked twice. When a measurement is recorded (``check_name``): relative,
no ``..``, no drive, whichever separator the bench's platform wrote. And when a file is
opened by its name (``path_in``): the path, symbolic links resolved, must still lie in
the run folder and be a regular file; a name that does not is treated as a missing
file, which every reader already handles (no figure, no attachment).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


def check_name(name: str) -> str:
    """``name`` when it is a relative path inside the run folder; else ValueError saying
    what was expected (pydantic reports it with the field's name)."""
    if not name or "\x00" in name:
        raise ValueError(f"attachment {name!r}: expected a file name in the run folder")
    for flavour in (PurePosixPath(name), PureWindowsPath(name)):
        if flavour.anchor or ".." in flavour.parts:
            raise ValueError(
                f"attachment {name!r}: expected a path relative to the run folder, "
                "without '..' (captures/001-OUT-AMP-L1.npz)"
            )
    return name


def path_in(run_dir: Path, name: str) -> Path | None:
    """The regular file ``name`` in ``run_dir``, or None when the name (or a link on its
    way) leads out of the folder, or to no file or a special one (a FIFO a reader would
    wait on for ever, a device)."""
    try:
        check_name(str(name))
        folder = Path(run_dir).resolve()
        path = (folder / name).resolve()
        regular = path.is_file()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a loop of links
        return None
    return path if regular and path.is_relative_to(folder) else None

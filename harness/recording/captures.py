"""Raw captures kept as evidence: every scope record a verdict was drawn from.

A verdict an auditor cannot re-derive is an opinion. Each scope record a test analyses
is written to ``reports/<run-id>/captures/`` as a NumPy ``.npz`` (t0, dt, volts, plus
the load resistance and the scope's raw preamble) that ``hil analyze`` reads back, and
the measurement names it as an attachment. Names are made unique per run, in order.
"""

from __future__ import annotations

import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

SUFFIX = ".npz"
"""How an archived capture is named (``CaptureArchive.save``)."""


def names_a_capture(attachment: object) -> bool:
    """Whether a measurement's attachment is an archived capture: the records its figures
    (report, Allure) are drawn from."""
    return str(attachment).endswith(SUFFIX)


class CaptureArchive:
    """Writes captures under ``run_dir/captures`` and returns run-relative paths."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.folder = run_dir / "captures"
        self._count = 0
        self._lock = threading.Lock()

    def save(
        self,
        name: str,
        t0: float,
        dt: float,
        volts: npt.NDArray[np.floating],
        *,
        load_ohms: float | None = None,
        preamble: str = "",
    ) -> str:
        """Write one record; return its path relative to the run folder."""
        with self._lock:
            self._count += 1
            index = self._count
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:80] or "capture"
        path = self.folder / f"{index:03d}-{safe}{SUFFIX}"
        write_npz(
            path,
            t0=np.float64(t0),
            dt=np.float64(dt),
            volts=np.asarray(volts, dtype=np.float32),
            load_ohms=np.float64(np.nan if load_ohms is None else load_ohms),
            preamble=np.array(preamble),
        )
        return str(path.relative_to(self.run_dir))


NPZ_COMPRESSLEVEL = 1
"""zlib level of the archived records. A whole compliance run archives ~280 records;
at NumPy's default level (6) compressing them took ~1.2 s of the run's ~10 s of CPU, at
level 1 ~0.2 s, for files about 1.5 times as large (measured on a 500,000-point 8-bit
record: 17 ms and 409 kB against 96 ms and 273 kB). Bench time matters on a line;
disk does not."""


def write_npz(path: Path, **arrays: npt.ArrayLike) -> None:
    """``np.savez_compressed`` at ``NPZ_COMPRESSLEVEL``: the same .npz that ``np.load``
    (and ``hil analyze``) reads, one ``<name>.npy`` member per array, no pickles."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=NPZ_COMPRESSLEVEL) as z:
        for name, array in arrays.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)

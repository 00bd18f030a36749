"""Raw captures kept as evidence: every scope record a verdict was drawn from.

A verdict an auditor cannot re-derive is an opinion. Each scope record a test analyses
is written to ``reports/<run-id>/captures/`` as a NumPy ``.npz`` (t0, dt, volts, plus
the load resistance and the scope's raw preamble) that ``hil analyze`` reads back, and
the measurement names it as an attachment. Names are made unique per run, in order.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt


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
        path = self.folder / f"{index:03d}-{safe}.npz"
        np.savez_compressed(
            path,
            t0=np.float64(t0),
            dt=np.float64(dt),
            volts=np.asarray(volts, dtype=np.float32),
            load_ohms=np.float64(np.nan if load_ohms is None else load_ohms),
            preamble=np.array(preamble),
        )
        return str(path.relative_to(self.run_dir))

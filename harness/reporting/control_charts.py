"""Individuals / moving-range (I-MR) control charts: is the process stable over time?

Capability (``harness.reporting.stats``) says how well the scatter fits the limits;
it means something only if the process is *stable*: the same mean and the same scatter
from one unit to the next, with nothing drifting (a sense resistor batch changing, a
bench's scope ageing). Shewhart's control chart checks that. When units come one at a
time (one value per unit, no natural subgroups), the chart is the I-MR pair:

* **I chart** (individuals): each unit's value in test order, with the centre line x̄
  and the control limits ``x̄ ± 2.66·MR̄``. MR̄ is the mean *moving range*, the average
  |xᵢ − xᵢ₋₁| between consecutive units; MR̄/d₂ with d₂ = 1.128 estimates the
  short-term σ, and 2.66 = 3/1.128, so these are ±3σ limits of the process itself.
* **MR chart**: each moving range, centre MR̄, upper limit ``3.267·MR̄`` (D₄ for pairs),
  lower limit 0. A jump here means one unit differed sharply from the one before.

Control limits come from the data (the voice of the process); spec limits come from the
spec (the voice of the customer). The I chart draws both, because a process can be
in control yet not capable (limits inside spec limits is what you want). Points beyond
the control limits are marked in red: each one is a signal worth a look (a special
cause), not necessarily a failed unit.

The PNGs are deterministic: fixed size and resolution, an explicit Figure with the Agg
canvas (no pyplot global state), no software tag or timestamp in the PNG metadata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.recording.results import finite_or_none

E2 = 2.66
"""I-chart factor: 3/d₂ with d₂ = 1.128 for moving ranges of two."""
D4 = 3.267
"""MR-chart upper factor for moving ranges of two."""
D2 = 1.128
KEY_REQUIREMENTS = (
    "OUT-AMP-L5", "OUT-VCOMP", "OUT-LOAD-10K", "WAV-DC", "WAV-FREQ-F2", "WAV-IAVG",
    "TIM-SESSION", "LKG-AUX-DC",
)  # fmt: skip
"""Charted by default: the quantities unit-to-unit spread moves (sim/unit_spread.py)."""
FIGSIZE_IN = (7.2, 5.0)
DPI = 120
_POINT, _CONTROL, _SPEC, _OUT = "#1f4e79", "#7f8c8d", "#c0392b", "#e74c3c"
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class IMRLimits:
    """The centre lines and control limits of an I-MR pair."""

    center: float
    ucl: float
    lcl: float
    mr_bar: float
    mr_ucl: float

    @property
    def sigma_within(self) -> float:
        """Short-term σ estimated from the moving ranges: MR̄ / d₂."""
        return self.mr_bar / D2


def moving_ranges(values: Sequence[float] | FloatArray) -> FloatArray:
    """|xᵢ − xᵢ₋₁| for i = 1 … n−1."""
    return np.abs(np.diff(np.asarray(values, dtype=np.float64)))


def imr_limits(values: Sequence[float] | FloatArray) -> IMRLimits:
    """Centre and control limits of the series (at least two finite values)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError("an I-MR chart needs at least two finite values")
    center = float(x.mean())
    mr_bar = float(moving_ranges(x).mean())
    return IMRLimits(center, center + E2 * mr_bar, center - E2 * mr_bar, mr_bar, D4 * mr_bar)


def beyond_limits(values: Sequence[float] | FloatArray, limits: IMRLimits) -> npt.NDArray[np.bool_]:
    """Which individuals lie outside [LCL, UCL] (on a limit is inside)."""
    x = np.asarray(values, dtype=np.float64)
    return (x > limits.ucl) | (x < limits.lcl)


def plot_imr(
    values: Sequence[float] | FloatArray,
    path: str | Path,
    *,
    title: str,
    unit: str = "",
    lower_spec: float | None = None,
    upper_spec: float | None = None,
    labels: Sequence[str] | None = None,
) -> Path:
    """Draw the I chart over the MR chart into ``path`` (PNG) and return the path."""
    x = np.asarray(values, dtype=np.float64)
    limits = imr_limits(x)
    mr = moving_ranges(x)
    index = np.arange(1, x.size + 1)
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 7.5}):
        fig = Figure(figsize=FIGSIZE_IN, dpi=DPI)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        top.plot(index, x, "o-", color=_POINT, markersize=3, linewidth=0.8)
        out = beyond_limits(x, limits)
        if out.any():
            top.plot(index[out], x[out], "o", color=_OUT, markersize=6, label="beyond control")
        for level, style, name in (
            (limits.center, "-", f"x̄ {limits.center:.6g}"),
            (limits.ucl, "--", f"UCL {limits.ucl:.6g}"),
            (limits.lcl, "--", f"LCL {limits.lcl:.6g}"),
        ):
            top.axhline(level, color=_CONTROL, linestyle=style, linewidth=0.9, label=name)
        for spec, name in ((lower_spec, "LSL"), (upper_spec, "USL")):
            if spec is not None and math.isfinite(spec):
                top.axhline(spec, color=_SPEC, linewidth=1.2, label=f"{name} {spec:.6g}")
        top.set_ylabel(f"individual{f' ({unit})' if unit else ''}")
        top.set_title(title)
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6.5, frameon=False)
        bottom.plot(index[1:], mr, "o-", color=_POINT, markersize=3, linewidth=0.8)
        mr_out = mr > limits.mr_ucl
        bottom.plot(index[1:][mr_out], mr[mr_out], "o", color=_OUT, markersize=6)
        bottom.axhline(
            limits.mr_bar, color=_CONTROL, linewidth=0.9, label=f"MR̄ {limits.mr_bar:.4g}"
        )
        bottom.axhline(limits.mr_ucl, color=_CONTROL, linestyle="--", linewidth=0.9,
                       label=f"UCL {limits.mr_ucl:.4g}")  # fmt: skip
        bottom.set_ylim(bottom=0.0)
        bottom.set_ylabel(f"moving range{f' ({unit})' if unit else ''}")
        bottom.set_xlabel("unit, in test order")
        bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6.5, frameon=False)
        if labels is not None and len(labels) == x.size and x.size <= 30:
            bottom.set_xticks(index, list(labels), rotation=90, fontsize=5.5)
        fig.subplots_adjust(left=0.1, right=0.8, top=0.93, bottom=0.18, hspace=0.08)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=DPI, format="png", metadata={"Software": None})
    return target


def write_charts(
    values: pd.DataFrame,
    out_dir: str | Path,
    requirements: Sequence[str] | None = KEY_REQUIREMENTS,
) -> list[Path]:
    """One I-MR chart per requirement, from ``stats.per_run_values`` rows in test order.

    ``requirements=None`` charts every requirement with at least two values; one with
    fewer is skipped (there is no moving range to draw). Files are
    ``imr_<REQUIREMENT-ID>.png``.
    """
    written: list[Path] = []
    wanted = sorted(set(values["requirement_id"])) if requirements is None else requirements
    for rid in wanted:
        rows = values[values["requirement_id"] == rid].sort_values(["run_started_at", "run_id"])
        if len(rows) < 2:
            continue
        newest = rows.iloc[-1]
        unit = newest["unit"] if isinstance(newest["unit"], str) else ""
        written.append(
            plot_imr(
                rows["value"].to_numpy(dtype=np.float64),
                Path(out_dir) / f"imr_{_safe(rid)}.png",
                title=f"{rid}: I-MR chart, {len(rows)} units",
                unit=unit,
                lower_spec=finite_or_none(newest["lower_limit"]),
                upper_spec=finite_or_none(newest["upper_limit"]),
                labels=[str(s) for s in rows["unit_serial"]],
            )
        )
    return written


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)

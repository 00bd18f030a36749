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

**Provisional limits.** MR̄ from a handful of moving ranges is itself a noisy estimate
(from 2 moving ranges the limits can easily be off by half), so with fewer than
``MIN_IMR_POINTS`` = 20 individuals (the usual guidance for establishing I-MR limits)
the limits are marked *provisional* on the chart and in ``hil stats``: use them to
spot gross problems, recompute them once 20-25 units are in.

**Run rules (Western Electric).** Beyond one point outside 3σ, a stable process rarely
makes patterns; each rule below has a false-alarm chance of a few per thousand points,
so a rule firing points at a shift or drift before a unit fails. With σ the short-term
σ of the limits ((UCL − x̄)/3) and zones measured from the centre line:

1. one point beyond 3σ (outside the control limits);
2. two of three consecutive points beyond 2σ on the same side;
3. four of five consecutive points beyond 1σ on the same side;
4. eight consecutive points on the same side of the centre line.

A point is flagged for a rule when it *completes* the pattern (and, for rules 2 and 3,
is itself one of the points beyond the zone), as Minitab and most SPC packages do.
``run_rules`` gives the flags, the chart marks them with the rule number, and
``control_table`` lists them per requirement for ``hil stats``.

**Axes.** The x axis is time (when each unit's measurement was taken), so a gap in
production or a burst of units on one day shows; serial numbers are written next to
the points while they fit (``SERIAL_LABELS_MAX`` points, else only flagged points).
The y axis is scaled to the data and the control limits, so a tight process does not
collapse into one line; a spec limit is drawn when it lies within ``SPEC_REACH``
data-spans of that range, otherwise an arrow at the edge says where it is.

The PNGs are deterministic: fixed size and resolution, an explicit Figure with the Agg
canvas (no pyplot global state), no software tag or timestamp in the PNG metadata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.recording.results import finite_or_none
from harness.reporting.stats import format_number

E2 = 2.66
"""I-chart factor: 3/d₂ with d₂ = 1.128 for moving ranges of two."""
D4 = 3.267
"""MR-chart upper factor for moving ranges of two."""
D2 = 1.128
MIN_IMR_POINTS = 20
"""Fewer individuals than this: the control limits are provisional."""
SERIAL_LABELS_MAX = 25
"""Up to this many points every serial is written on the chart; beyond, flagged ones only."""
SPEC_REACH = 2.0
"""A spec limit further than this many data-spans from the data is marked, not drawn."""
RULES = (1, 2, 3, 4)
KEY_REQUIREMENTS = (
    "OUT-AMP-L5", "OUT-VCOMP", "OUT-LOAD-10K", "WAV-DC", "WAV-FREQ-F2", "WAV-IAVG",
    "TIM-SESSION", "LKG-AUX-DC",
)  # fmt: skip
"""Charted by default: the quantities unit-to-unit spread moves (sim/unit_spread.py)."""
CONTROL_COLUMNS = [
    "requirement_id", "unit", "n", "center", "lcl", "ucl", "mr_bar", "provisional",
    "beyond", "rules",
]  # fmt: skip
FIGSIZE_IN = (7.2, 5.0)
DPI = 120
_POINT, _CONTROL, _SPEC, _OUT = "#1f4e79", "#7f8c8d", "#c0392b", "#e74c3c"
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class IMRLimits:
    """The centre lines and control limits of an I-MR pair, from ``n`` individuals."""

    center: float
    ucl: float
    lcl: float
    mr_bar: float
    mr_ucl: float
    n: int = 0

    @property
    def sigma_within(self) -> float:
        """Short-term σ estimated from the moving ranges: MR̄ / d₂."""
        return self.mr_bar / D2

    @property
    def provisional(self) -> bool:
        """Too few individuals (< ``MIN_IMR_POINTS``) for the limits to be trusted."""
        return self.n < MIN_IMR_POINTS


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
    return IMRLimits(
        center, center + E2 * mr_bar, center - E2 * mr_bar, mr_bar, D4 * mr_bar, int(x.size)
    )


def beyond_limits(values: Sequence[float] | FloatArray, limits: IMRLimits) -> BoolArray:
    """Which individuals lie outside [LCL, UCL] (on a limit is inside)."""
    x = np.asarray(values, dtype=np.float64)
    return (x > limits.ucl) | (x < limits.lcl)


def run_rules(values: Sequence[float] | FloatArray, limits: IMRLimits) -> dict[int, BoolArray]:
    """Western Electric rules 1-4 (module docstring): rule -> which points complete it.

    Zones are multiples of σ = (UCL − x̄)/3, so rule 1 is exactly ``beyond_limits``.
    With no scatter (MR̄ = 0) only rule 4 can fire: there are no zones to be beyond.
    """
    x = np.asarray(values, dtype=np.float64)
    sigma = (limits.ucl - limits.center) / 3.0
    dev = x - limits.center
    flags: dict[int, BoolArray] = {rule: np.zeros(x.size, dtype=bool) for rule in RULES}
    flags[1] = beyond_limits(x, limits)
    for rule, (window, needed, zone) in {2: (3, 2, 2.0), 3: (5, 4, 1.0)}.items():
        if sigma <= 0.0:
            continue
        for sign in (1.0, -1.0):
            out = sign * dev > zone * sigma
            for i in range(window - 1, x.size):
                if out[i] and int(out[i - window + 1 : i + 1].sum()) >= needed:
                    flags[rule][i] = True
    for sign in (1.0, -1.0):
        side = sign * dev > 0.0
        for i in range(7, x.size):
            if side[i - 7 : i + 1].all():
                flags[4][i] = True
    return flags


def describe_rules(flags: dict[int, BoolArray]) -> str:
    """ "WE1×1 WE4×2"-style summary of the rules that fired, "" when none did."""
    return " ".join(f"WE{rule}×{int(hit.sum())}" for rule, hit in flags.items() if hit.any())


def limit_digits(limits: IMRLimits) -> int:
    """Significant digits that keep LCL, x̄ and UCL apart when printed (4 at least).

    A tight process (10.0003 ± 0.0002 Hz) would print all three as "10" at 4 digits.
    """
    half = limits.ucl - limits.center
    if half <= 0.0 or limits.center == 0.0:
        return 4
    extra = math.floor(math.log10(abs(limits.center))) - math.floor(math.log10(half))
    return min(12, 4 + max(0, extra))


def y_range(
    values: FloatArray, limits: IMRLimits, lower_spec: float | None, upper_spec: float | None
) -> tuple[tuple[float, float], list[str], list[str]]:
    """The I chart's y range, and which spec limits ("LSL", "USL") are drawn / off-axis.

    The range covers the data and the control limits with 8 % margin; a spec limit
    within ``SPEC_REACH`` spans of it is drawn (the range grows to include it), one
    further away is only marked, so a tight process stays readable.
    """
    core = np.concatenate([values, [limits.lcl, limits.ucl, limits.center]])
    low, high = float(core.min()), float(core.max())
    span = high - low
    if span <= 0.0:
        span = max(abs(high) * 1e-3, 1e-9)
    drawn, marked = [], []
    for spec, name in ((lower_spec, "LSL"), (upper_spec, "USL")):
        if spec is None or not math.isfinite(spec):
            continue
        if low - SPEC_REACH * span <= spec <= high + SPEC_REACH * span:
            drawn.append(name)
            low, high = min(low, spec), max(high, spec)
        else:
            marked.append(name)
    span = max(high - low, span)
    return (low - 0.08 * span, high + 0.08 * span), drawn, marked


def imr_figure(
    values: Sequence[float] | FloatArray,
    *,
    title: str,
    unit: str = "",
    lower_spec: float | None = None,
    upper_spec: float | None = None,
    labels: Sequence[str] | None = None,
    times: Sequence[datetime] | None = None,
) -> Figure:
    """The I chart over the MR chart as a Figure (``plot_imr`` writes it to a PNG).

    ``times`` (tz-aware, one per value) put time on the x axis; without them the x axis
    is the unit's place in test order. ``labels`` (serials) are written by the points.
    """
    x = np.asarray(values, dtype=np.float64)
    limits = imr_limits(x)
    mr = moving_ranges(x)
    flags = run_rules(x, limits)
    timed = times is not None and len(times) == x.size and not pd.isna(list(times)).any()
    if timed:
        assert times is not None
        stamps = [pd.Timestamp(t).tz_convert("UTC").tz_localize(None) for t in times]
        pos = np.asarray(mdates.date2num(stamps), dtype=np.float64)  # type: ignore[no-untyped-call]
    else:
        pos = np.arange(1, x.size + 1, dtype=np.float64)
    provisional = "\n(provisional)" if limits.provisional else ""
    digits = limit_digits(limits)
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 7.5}):
        fig = Figure(figsize=FIGSIZE_IN, dpi=DPI)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        top.plot(pos, x, "o-", color=_POINT, markersize=3, linewidth=0.8)
        out = flags[1]
        if out.any():
            top.plot(pos[out], x[out], "o", color=_OUT, markersize=6, label="beyond control")
        flagged = np.zeros(x.size, dtype=bool)
        for rule in (2, 3, 4):
            hit = flags[rule] & ~out
            flagged |= flags[rule]
            if hit.any():
                top.plot(pos[hit], x[hit], "o", mfc="none", mec=_OUT, markersize=7)
        flagged |= out
        for i in (int(k) for k in np.flatnonzero(flagged)):
            fired = ",".join(str(r) for r in RULES if flags[r][i])
            top.annotate(fired, (pos[i], x[i]), xytext=(0, 5), textcoords="offset points",
                         ha="center", fontsize=6, color=_OUT)  # fmt: skip
        for level, style, name in (
            (limits.center, "-", f"x̄ {format_number(limits.center, digits)}"),
            (limits.ucl, "--", f"UCL {format_number(limits.ucl, digits)}{provisional}"),
            (limits.lcl, "--", f"LCL {format_number(limits.lcl, digits)}{provisional}"),
        ):
            top.axhline(level, color=_CONTROL, linestyle=style, linewidth=0.9, label=name)
        (y_low, y_high), drawn, marked = y_range(x, limits, lower_spec, upper_spec)
        for spec, name in ((lower_spec, "LSL"), (upper_spec, "USL")):
            if spec is not None and name in drawn:
                top.axhline(spec, color=_SPEC, linewidth=1.2, label=f"{name} {format_number(spec)}")
            elif spec is not None and name in marked:
                _mark_off_axis(top, name, spec, above=spec > y_high)
        top.set_ylim(y_low, y_high)
        top.ticklabel_format(axis="y", useOffset=False, style="plain")
        if labels is not None and len(labels) == x.size:
            every = x.size <= SERIAL_LABELS_MAX
            for i in range(x.size):
                if every or flagged[i]:
                    top.annotate(str(labels[i]), (pos[i], x[i]), xytext=(3, -3),
                                 textcoords="offset points", rotation=-60, fontsize=5,
                                 color="#555555", ha="left", va="top")  # fmt: skip
        top.set_ylabel(f"individual{f' ({unit})' if unit else ''}")
        top.set_title(title + (f"; limits provisional (n < {MIN_IMR_POINTS})" if provisional
                               else ""))  # fmt: skip
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6.5, frameon=False)
        rules_text = describe_rules(flags) or "no run-rule signals"
        top.text(
            1.01,
            0.0,
            f"Western Electric:\n{rules_text}",
            transform=top.transAxes,
            fontsize=6,
            va="bottom",
            color=_OUT if rules_text.startswith("WE") else "k",
        )
        bottom.plot(pos[1:], mr, "o-", color=_POINT, markersize=3, linewidth=0.8)
        mr_out = mr > limits.mr_ucl
        bottom.plot(pos[1:][mr_out], mr[mr_out], "o", color=_OUT, markersize=6)
        bottom.axhline(limits.mr_bar, color=_CONTROL, linewidth=0.9,
                       label=f"MR̄ {format_number(limits.mr_bar)}")  # fmt: skip
        bottom.axhline(limits.mr_ucl, color=_CONTROL, linestyle="--", linewidth=0.9,
                       label=f"UCL {format_number(limits.mr_ucl)}")  # fmt: skip
        bottom.set_ylim(0.0, max(float(mr.max()), limits.mr_ucl) * 1.1 or 1.0)
        bottom.set_ylabel(f"moving range{f' ({unit})' if unit else ''}")
        bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6.5, frameon=False)
        if timed:
            locator = mdates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
            bottom.xaxis.set_major_locator(locator)
            formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
            bottom.xaxis.set_major_formatter(formatter)
            bottom.set_xlabel("measurement time (UTC)")
        else:
            bottom.set_xlabel("unit, in test order")
        fig.subplots_adjust(left=0.1, right=0.78, top=0.93, bottom=0.12, hspace=0.08)
    return fig


def _mark_off_axis(ax: Axes, name: str, spec: float, *, above: bool) -> None:
    """An arrow at the top (or bottom) edge saying where an off-scale spec limit is."""
    y, arrow_to = (0.97, 1.0) if above else (0.03, 0.0)
    ax.annotate(
        f"{name} {format_number(spec)} {'above' if above else 'below'} (off scale)",
        xy=(0.99, arrow_to), xytext=(0.98, y), xycoords="axes fraction",
        textcoords="axes fraction", ha="right", va="top" if above else "bottom",
        fontsize=6.5, color=_SPEC,
        arrowprops={"arrowstyle": "->", "color": _SPEC, "linewidth": 1.0},
    )  # fmt: skip


def plot_imr(
    values: Sequence[float] | FloatArray,
    path: str | Path,
    *,
    title: str,
    unit: str = "",
    lower_spec: float | None = None,
    upper_spec: float | None = None,
    labels: Sequence[str] | None = None,
    times: Sequence[datetime] | None = None,
) -> Path:
    """Draw the I chart over the MR chart into ``path`` (PNG) and return the path."""
    fig = imr_figure(values, title=title, unit=unit, lower_spec=lower_spec,
                     upper_spec=upper_spec, labels=labels, times=times)  # fmt: skip
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 7.5}):
        fig.savefig(target, dpi=DPI, format="png", metadata={"Software": None})
    return target


def _series(values: pd.DataFrame, rid: str) -> pd.DataFrame:
    """One requirement's rows in test order."""
    rows = values[values["requirement_id"] == rid]
    return rows.sort_values(["run_started_at", "run_id"])


def control_table(values: pd.DataFrame) -> pd.DataFrame:
    """Per requirement with two values or more: I-MR limits, provisional?, run rules.

    ``values`` are ``stats.per_run_values`` rows; ``beyond`` counts points outside the
    control limits, ``rules`` is ``describe_rules`` ("" when the chart is quiet).
    """
    rows = []
    for rid in sorted(set(values["requirement_id"])):
        series = _series(values, rid)
        if len(series) < 2:
            continue
        x = series["value"].to_numpy(dtype=np.float64)
        limits = imr_limits(x)
        flags = run_rules(x, limits)
        unit = series.iloc[-1]["unit"]
        rows.append({"requirement_id": rid, "unit": unit if isinstance(unit, str) else "",
                     "n": limits.n, "center": limits.center, "lcl": limits.lcl,
                     "ucl": limits.ucl, "mr_bar": limits.mr_bar,
                     "provisional": limits.provisional, "beyond": int(flags[1].sum()),
                     "rules": describe_rules(flags)})  # fmt: skip
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


def write_charts(
    values: pd.DataFrame,
    out_dir: str | Path,
    requirements: Sequence[str] | None = KEY_REQUIREMENTS,
) -> list[Path]:
    """One I-MR chart per requirement, from ``stats.per_run_values`` rows in test order.

    ``requirements=None`` charts every requirement with at least two values; one with
    fewer is skipped (there is no moving range to draw). Files are
    ``imr_<REQUIREMENT-ID>.png``; x is each value's ``taken_at`` when every one has it.
    """
    written: list[Path] = []
    wanted = sorted(set(values["requirement_id"])) if requirements is None else requirements
    for rid in wanted:
        rows = _series(values, rid)
        if len(rows) < 2:
            continue
        newest = rows.iloc[-1]
        unit = newest["unit"] if isinstance(newest["unit"], str) else ""
        times = list(rows["taken_at"]) if "taken_at" in rows.columns else None
        written.append(
            plot_imr(
                rows["value"].to_numpy(dtype=np.float64),
                Path(out_dir) / f"imr_{_safe(rid)}.png",
                title=f"{rid}: I-MR chart, {len(rows)} units",
                unit=unit,
                lower_spec=finite_or_none(newest["lower_limit"]),
                upper_spec=finite_or_none(newest["upper_limit"]),
                labels=[str(s) for s in rows["unit_serial"]],
                times=times,
            )
        )
    return written


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)

"""Figures for the compliance report, drawn from the raw captures a run archived.

A number in a report is easier to trust when the reader can see the record it was
taken from. Every scope capture a verdict was drawn from is in ``captures/*.npz``
(``harness.recording.captures``), and each measurement names its captures as attachments; this
module follows those links and draws three kinds of figure:

- **waveform**: the load current of a capture whose measurement is a current (the
  OUT-AMP levels, OUT-ABSMAX at each load, the BOOST amplitude), with the requirement's
  limits as dashed lines at ± the limit (the output alternates polarity) and, under the
  guarded decision rule, the acceptance limits shrunk by U as dotted lines. A long
  record (more than ``LONG_RECORD_PULSES`` pulses, e.g. OUT-BOOST-AMP's 13 s of 40 Hz
  pulses) drawn whole is a solid block in which no pulse can be seen, so it is drawn as
  its envelope (the largest and smallest current of each short slice) with zoomed
  windows at its start, middle and end showing the pulses themselves;
- **soft start** (WAV-RAMP): |i| with the pulse envelope the analysis measured, the
  10 % and 90 % levels of the final plateau, and the 10 → 90 % interval shaded;
- **event** (any SAF-* capture with a time result): |i| against time from the
  trigger, with the measured time and its limit as vertical lines and any current
  limit or ``threshold`` condition as a horizontal one.

Anything else (captures of frequencies, timers…) is not drawn, and a missing or
unreadable capture is skipped: a report must still be produced when evidence is absent.

The PNGs are deterministic: a fixed size and resolution, no timestamp or software tag
in the PNG metadata, no global pyplot state. The same capture gives the same bytes,
so the report's evidence manifest can hash them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from harness.analysis.levels import estimate_levels
from harness.analysis.phase_metrics import measure_phases
from harness.analysis.phases import find_phases
from harness.judging.units import UnitParseError, convert, parse_quantity
from harness.recording.attachments import path_in
from harness.recording.captures import names_a_capture
from harness.recording.results import finite_or_none
from harness.reporting.wording import format_measured

FloatArray = npt.NDArray[np.float64]
FIGSIZE_IN = (7.2, 3.0)
DPI = 150
_BINS = 1500
PEAK_QUANTITIES = frozenset({"peak_current"})
"""Quantities read off the trace itself, so their limits can be drawn on it."""
_TRACE, _LIMIT, _GUARD = "#1f4e79", "#c0392b", "#7f8c8d"
LONG_RECORD_PULSES = 60
"""More pulses than this in one figure 7 inches wide merge into a block: draw an envelope."""
ENVELOPE_SLICES = 400
ZOOM_PERIODS = 4.0
"""Each zoomed window spans this many pulse periods."""


@dataclass(frozen=True)
class PlotFile:
    """One PNG written for the report: where it is, what it shows, which requirements."""

    path: Path
    kind: str
    requirement_ids: tuple[str, ...]
    caption: str
    load_ohms: float | None


@dataclass(frozen=True)
class _Record:
    t: FloatArray
    amps: FloatArray
    load_ohms: float | None


def make_plots(run_dir: Path) -> list[Path]:
    """Write ``run_dir/plots/*.png`` for every capture worth drawing; return the paths."""
    return [plot.path for plot in make_figures(run_dir)]


def make_figures(run_dir: Path, frame: pd.DataFrame | None = None) -> list[PlotFile]:
    """As `make_plots`, with a caption and the requirement ids of each figure."""
    if frame is None:
        frame = results_frame(run_dir)
    drawn = [draw_figure(run_dir, attachment, rows) for attachment, rows in figure_jobs(frame)]
    return [figure for figure in drawn if figure is not None]


def results_frame(run_dir: Path) -> pd.DataFrame:
    """The run's results table, or an empty one when there is none (nothing to draw)."""
    parquet = run_dir / "results.parquet"
    return pd.read_parquet(parquet) if parquet.is_file() else pd.DataFrame({"attachments": []})


def figure_jobs(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Each capture that may be drawn, with the rows that name it: one figure each, drawn
    independently of the others (``plot_pool`` draws them side by side)."""
    return list(_rows_by_capture(frame))


def draw_figure(
    run_dir: Path, attachment: str, rows: pd.DataFrame, *, plots_dir: Path | None = None
) -> PlotFile | None:
    """Draw one capture's figure into ``run_dir/plots`` (or ``plots_dir``: the report's
    worker draws there while the tests run, ``early_figures``); None when it is not
    drawn (a capture whose rows call for no figure is not even read)."""
    ids = tuple(dict.fromkeys(str(r) for r in rows["requirement_id"]))
    current = rows[[_is_unit_of(u, "A") for u in rows["unit"]]]
    peaks = current[current["quantity"].isin(PEAK_QUANTITIES)]
    timed = rows[[_is_unit_of(u, "s") for u in rows["unit"]]]
    if "WAV-RAMP" in ids:
        kind = "soft start"
    elif any(i.startswith("SAF-") for i in ids) and not timed.empty:
        kind = "event"
    elif not peaks.empty:
        kind = "waveform"
    else:
        return None
    path = path_in(run_dir, attachment)  # None: a name leading out of the run folder
    record = None if path is None else _read(path)
    if record is None:
        return None
    target = figure_path(run_dir, attachment, plots_dir)
    if kind == "soft start":
        caption = _draw_ramp(record, rows[rows["requirement_id"] == "WAV-RAMP"], target)
    elif kind == "event":
        caption = _draw_event(record, timed, current, target)
    else:
        caption = _draw_waveform(record, peaks, target)
    return PlotFile(target, kind, ids, caption, record.load_ohms)


def figure_path(run_dir: Path, attachment: str, plots_dir: Path | None = None) -> Path:
    """Where the figure of capture ``attachment`` is drawn: ``run_dir/plots`` (or
    ``plots_dir``), named after the capture."""
    folder = run_dir / "plots" if plots_dir is None else plots_dir
    return folder / f"{Path(attachment).stem}.png"


def _rows_by_capture(frame: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    """Each attached ``.npz`` with the measurements that name it, in recording order.

    The rows of every capture are taken from the table in one ``take`` and cut apart,
    not looked up capture by capture: each look-up takes every column again (a report's
    first layout waits for these, once the tests are over)."""
    order: dict[str, list[int]] = {}
    for position, attachments in enumerate(frame["attachments"]):
        for name in [] if attachments is None else list(attachments):
            if names_a_capture(name):
                order.setdefault(str(name), []).append(position)
    taken = frame.take([position for positions in order.values() for position in positions])
    start = 0
    for name, positions in order.items():
        yield name, taken.iloc[start : start + len(positions)]
        start += len(positions)


def _read(path: Path) -> _Record | None:
    """The capture as current in amperes, or None when it is absent or unusable."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            t0, dt = float(archive["t0"]), float(archive["dt"])
            volts = np.asarray(archive["volts"], dtype=np.float64)
            load = float(archive["load_ohms"]) if "load_ohms" in archive.files else math.nan
    except (OSError, KeyError, ValueError):
        return None
    if volts.ndim != 1 or volts.size < 2 or not (math.isfinite(load) and load > 0):
        return None  # an open-circuit record (OUT-VCOMP) has no current to draw
    t = np.asarray(t0 + np.arange(volts.size) * dt, dtype=np.float64)
    return _Record(t, np.asarray(volts / load, dtype=np.float64), load)


def _is_unit_of(unit: object, base: str) -> bool:
    try:
        convert(1.0, str(unit), base)
    except UnitParseError:
        return False
    return bool(str(unit))


def _decimate(t: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Min and max per bin, interleaved: every pulse stays visible at any record length."""
    if y.size <= 2 * _BINS:
        return t, y
    n = y.size // _BINS * _BINS
    yb, tb = y[:n].reshape(_BINS, -1), t[:n].reshape(_BINS, -1)
    lo, hi = yb.min(axis=1), yb.max(axis=1)
    tt = np.repeat(tb[:, 0], 2)
    yy = np.column_stack((lo, hi)).ravel()
    return tt, yy


def _style() -> AbstractContextManager[None]:
    """One font and size whatever the user's matplotlibrc says (deterministic output)."""
    return matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 7.5})


MARGINS = {"left": 0.085, "right": 0.985, "top": 0.91, "bottom": 0.2}
"""Fixed room for the tick labels, the title and the legend below the axes: the plots
all have the same size and fonts, and matplotlib's constrained layout, which would find
these margins itself, was about a third of a report's plotting time."""


LONG_MARGINS = {"left": 0.085, "right": 0.985, "top": 0.94, "bottom": 0.09, "hspace": 0.75,
                "wspace": 0.22}  # fmt: skip
"""The same for a long record's envelope over its three zoomed windows."""
# Every title is given y=1.0, its place on an axes with nothing above it: without it
# matplotlib measures every tick label to find that place, a tenth of the drawing time.


def _figure() -> tuple[Figure, Axes]:
    with _style():
        fig = Figure(figsize=FIGSIZE_IN, dpi=DPI)
        fig.subplots_adjust(**MARGINS)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    ax.grid(True, linewidth=0.3, alpha=0.5)
    return fig, ax


def _save(fig: Figure, target: Path) -> None:
    """An RGB PNG (no alpha channel: the figure is opaque), without metadata.

    matplotlib's own PNG is RGBA; WeasyPrint re-encodes a PNG for the PDF, and an alpha
    channel makes it encode a second image (the soft mask) for nothing.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with _style():
        fig.savefig(raw, dpi=DPI, format="rgba")
    width, height = (round(side * DPI) for side in fig.get_size_inches())
    rgba = np.frombuffer(raw.getbuffer(), dtype=np.uint8).reshape(height, width, 4)
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(target, format="PNG")


def _legend(ax: Axes) -> None:
    """Below the axes, never over the trace."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize=6.5,
              frameon=False)  # fmt: skip


def load_text(ohms: float | None) -> str:
    """``500 Ω``, ``2 kΩ``, ``10 kΩ``; ``open`` when there is no load."""
    if ohms is None or not math.isfinite(ohms):
        return "open"
    return f"{ohms / 1000:g} kΩ" if ohms >= 1000 else f"{ohms:g} Ω"


def _pretty(unit: str) -> str:
    return unit.replace("uA", "µA").replace("uC", "µC").replace("ohm", "Ω").replace("^2", "²")


def pulse_starts(t: FloatArray, y: FloatArray) -> FloatArray:
    """Times at which |y| rises through half its largest value: one per pulse."""
    size = float(np.abs(y).max()) if y.size else 0.0
    if not size > 0:
        return np.zeros(0, dtype=np.float64)
    on = np.abs(y) > 0.5 * size
    return np.asarray(t[np.flatnonzero(on[1:] & ~on[:-1]) + 1], dtype=np.float64)


def envelope(t: FloatArray, y: FloatArray, slices: int = ENVELOPE_SLICES) -> tuple[
        FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Centre time, smallest and largest value of each of ``slices`` equal slices."""
    n = y.size // slices * slices
    if n == 0:
        return t, y, y
    yb, tb = y[:n].reshape(slices, -1), t[:n].reshape(slices, -1)
    return tb.mean(axis=1), yb.min(axis=1), yb.max(axis=1)


def _draw_long(record: _Record, y: FloatArray, starts: FloatArray, unit: str) -> tuple[
        Figure, Axes]:  # fmt: skip
    """Envelope on top, three zoomed windows (start, middle, end) below it."""
    with _style():
        fig = Figure(figsize=(FIGSIZE_IN[0], 4.6), dpi=DPI)
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 3, height_ratios=(1.5, 1.0), **LONG_MARGINS)
        ax = fig.add_subplot(grid[0, :])
        zooms = [fig.add_subplot(grid[1, i]) for i in range(3)]
    ax.grid(True, linewidth=0.3, alpha=0.5)
    tc, lo, hi = envelope(record.t, y)
    ax.plot(tc, hi, color=_TRACE, linewidth=0.8, label="envelope (largest, smallest per slice)")
    ax.plot(tc, lo, color=_TRACE, linewidth=0.8)
    period = float(np.median(np.diff(starts))) if starts.size > 1 else 0.0
    span = ZOOM_PERIODS * period if period > 0 else (record.t[-1] - record.t[0]) / 50
    first, last = float(record.t[0]), float(record.t[-1])
    centres = (first + span / 2, (first + last) / 2, last - span / 2)
    for index, (zoom, centre) in enumerate(zip(zooms, centres, strict=True)):
        lo_t, hi_t = centre - span / 2, centre + span / 2
        inside = (record.t >= lo_t) & (record.t <= hi_t)
        zoom.plot(record.t[inside], y[inside], color=_TRACE, linewidth=0.6)
        zoom.set_ylim(*(1.15 * v for v in (float(lo.min()), float(hi.max()))))
        zoom.grid(True, linewidth=0.3, alpha=0.5)
        zoom.set_title(("start", "middle", "end")[index], fontsize=7, loc="left", y=1.0)
        zoom.set_xlabel("time from trigger (s)", fontsize=6.5)
        zoom.tick_params(labelsize=6)
        ax.axvspan(lo_t, hi_t, color="#f5cba7", alpha=0.6,
                   label="zoomed windows" if index == 0 else None)  # fmt: skip
    zooms[0].set_ylabel(f"current ({_pretty(unit)})")
    return fig, ax


def _draw_waveform(record: _Record, rows: pd.DataFrame, target: Path) -> str:
    unit = str(rows["unit"].iloc[0])
    y = record.amps * convert(1.0, "A", unit)
    starts = pulse_starts(record.t, y)
    long_record = starts.size > LONG_RECORD_PULSES
    if long_record:
        fig, ax = _draw_long(record, y, starts, unit)
    else:
        fig, ax = _figure()
        ax.plot(*_decimate(record.t, y), color=_TRACE, linewidth=0.6, label="load current")
    first = rows.iloc[0]
    lower, upper = finite_or_none(first["lower_limit"]), finite_or_none(first["upper_limit"])
    guard = float(rows["expanded_uncertainty"].max())
    guarded = str(first["decision_rule"]) in ("guarded", "non-binary") and guard > 0
    labelled: set[str] = set()

    def line(level: float, style: str, colour: str, label: str) -> None:
        ax.axhline(level, color=colour, linestyle=style, linewidth=0.9,
                   label=None if label in labelled else label)  # fmt: skip
        labelled.add(label)

    for limit, name, shrink in ((upper, "upper", -guard), (lower, "lower", guard)):
        if limit is None:
            continue
        for sign in (1, -1):
            line(sign * limit, "--", _LIMIT, f"{name} limit ±{limit:g} {_pretty(unit)}")
            if guarded:
                line(sign * (limit + shrink), ":", _GUARD, "acceptance limit (guard w = U)")
    top = max(float(np.abs(y).max()), upper or 0.0, lower or 0.0) * 1.15
    ax.set_ylim(-top, top)
    ax.set_xlabel("time from trigger (s)")
    ax.set_ylabel(f"current ({_pretty(unit)})")
    ids = ", ".join(dict.fromkeys(str(r) for r in rows["requirement_id"]))
    measured = ", ".join(dict.fromkeys(
        format_measured(finite_or_none(v), finite_or_none(u) or 0.0)[0]
        for v, u in zip(rows["value"], rows["expanded_uncertainty"], strict=True)
        if finite_or_none(v) is not None))  # fmt: skip
    caption = (
        f"{ids}: load current at {load_text(record.load_ohms)}; measured {measured} "
        f"{_pretty(unit)}; limits {_limits(lower, upper, unit)}"
    )
    if long_record:
        duration = float(record.t[-1] - record.t[0])
        caption += (f". A {duration:.1f} s record of {starts.size} pulses, drawn as its "
                    "envelope with three zoomed windows")  # fmt: skip
    title = f"{ids}, {load_text(record.load_ohms)}"
    ax.set_title(title, loc="left", fontsize=8.5, y=1.0)
    _legend(ax)
    _save(fig, target)
    return caption


def _draw_ramp(record: _Record, rows: pd.DataFrame, target: Path) -> str:
    """|i| with the per-pulse envelope the analysis sees and its 10 %/90 % crossings."""
    y = np.abs(record.amps) * 1e6
    fig, ax = _figure()
    ax.plot(*_decimate(record.t, y), color="#a6b8cc", linewidth=0.5, label="|i|")
    levels = estimate_levels(record.amps)
    phases = find_phases(record.amps, levels)
    metrics = measure_phases(record.amps, levels.zero, phases)
    ok = metrics.valid
    dt = float(record.t[1] - record.t[0])
    t = record.t[0] + metrics.centre[ok] * dt
    plateau = metrics.plateau[ok] * 1e6
    final = float(np.median(plateau[t >= t[0] + (t[-1] - t[0]) / 2])) if t.size else math.nan
    ax.plot(t, plateau, "o-", color=_TRACE, markersize=1.8, linewidth=0.7,
            label="pulse envelope (plateau per pulse)")  # fmt: skip
    crossings: list[float] = []
    if math.isfinite(final) and final > 0:
        for fraction in (0.1, 0.9):
            ax.axhline(fraction * final, color=_GUARD, linestyle="--", linewidth=0.8)
            ax.annotate(f"{fraction:.0%}", (float(record.t[0]), fraction * final),
                        fontsize=6.5, va="bottom")  # fmt: skip
            hit = _first_crossing(t, plateau / final, fraction)
            if hit is not None:
                crossings.append(hit)
    if len(crossings) == 2:
        ax.axvspan(crossings[0], crossings[1], color="#f5cba7", alpha=0.5,
                   label=f"10 → 90 %: {crossings[1] - crossings[0]:.4g} s as drawn")  # fmt: skip
    row = rows.iloc[0] if not rows.empty else None
    recorded = "" if row is None else f"; recorded rise time {_rounded(row)} s"
    limits = "" if row is None else "; limits " + _limits(
        finite_or_none(row["lower_limit"]), finite_or_none(row["upper_limit"]), "s")  # fmt: skip
    caption = f"WAV-RAMP: soft start at {load_text(record.load_ohms)}{recorded}{limits}"
    title = f"WAV-RAMP soft start, {load_text(record.load_ohms)}"
    ax.set_title(title, loc="left", fontsize=8.5, y=1.0)
    ax.set_xlabel("time from trigger (s)")
    ax.set_ylabel("|current| (µA)")
    _legend(ax)
    _save(fig, target)
    return caption


def _draw_event(record: _Record, timed: pd.DataFrame, current: pd.DataFrame, target: Path) -> str:
    """|i| around a trip/detection event; time 0 is the scope trigger (the event)."""
    fig, ax = _figure()
    ax.plot(*_decimate(record.t * 1e3, np.abs(record.amps) * 1e6), color=_TRACE, linewidth=0.6,
            label="|i|")  # fmt: skip
    ax.axvline(0.0, color="black", linewidth=0.6, linestyle="-.", label="event (trigger)")
    parts: list[str] = []
    for _, row in timed.iterrows():
        unit = str(row["unit"])
        value, upper = finite_or_none(row["value"]), finite_or_none(row["upper_limit"])
        if value is not None:
            ax.axvline(convert(value, unit, "ms"), color="#27ae60", linewidth=1.0,
                       label=f"{row['requirement_id']} measured {value:.4g} {unit}")  # fmt: skip
        if upper is not None:
            ax.axvline(convert(upper, unit, "ms"), color=_LIMIT, linestyle="--", linewidth=0.9,
                       label=f"limit {upper:g} {unit}")  # fmt: skip
        parts.append(f"{row['requirement_id']} {'—' if value is None else _rounded(row)} {unit}")
    for _, row in current.iterrows():
        upper, unit = finite_or_none(row["upper_limit"]), str(row["unit"])
        if upper is not None:
            label = f"{row['requirement_id']} limit {upper:g} {_pretty(unit)}"
            ax.axhline(convert(upper, unit, "uA"), color=_LIMIT, linestyle=":", linewidth=0.9,
                       label=label)  # fmt: skip
    threshold = timed.get("cond_threshold")
    if threshold is not None and threshold.notna().any():
        try:
            level = parse_quantity(str(threshold.dropna().iloc[0]), "uA")
        except UnitParseError:
            level = None
        if level is not None:
            ax.axhline(level, color=_GUARD, linestyle="--", linewidth=0.8, label="threshold")
    caption = f"Event at {load_text(record.load_ohms)}: " + "; ".join(parts)
    ids = ", ".join(dict.fromkeys(str(r) for r in timed["requirement_id"]))
    title = f"{ids} event, {load_text(record.load_ohms)}"
    ax.set_title(title, loc="left", fontsize=8.5, y=1.0)
    ax.set_xlabel("time from event (ms)")
    ax.set_ylabel("|current| (µA)")
    _legend(ax)
    _save(fig, target)
    return caption


def _rounded(row: pd.Series) -> str:
    """A row's value rounded to its U (two significant digits of U), as the tables print it."""
    value = finite_or_none(row["value"])
    return format_measured(value, finite_or_none(row["expanded_uncertainty"]) or 0.0)[0]


def _first_crossing(t: FloatArray, frac: FloatArray, level: float) -> float | None:
    """First time the envelope fraction reaches ``level``, interpolated linearly."""
    above = np.flatnonzero(frac >= level)
    if above.size == 0 or above[0] == 0:
        return None
    k = int(above[0])
    f0, f1 = float(frac[k - 1]), float(frac[k])
    return float(t[k - 1] + (t[k] - t[k - 1]) * (level - f0) / (f1 - f0))


def _limits(lower: float | None, upper: float | None, unit: str) -> str:
    u = _pretty(unit)
    if lower is not None and upper is not None:
        return f"{lower:g} – {upper:g} {u}"
    if upper is not None:
        return f"≤ {upper:g} {u}"
    return "—" if lower is None else f"≥ {lower:g} {u}"

"""A small plot of one archived capture: what Allure shows beside the raw record.

Every capture a test's measurements name is attached to its Allure result with a plot
to look at (``plugin/allure_files``). Where the compliance report draws a figure of the
capture (levels, the soft start, an event), that figure is the plot (drawn once, by the
report's worker: ``report_worker``); every other capture (frequencies, timers, d.c.
records) gets this one: the record itself, current or volts against time.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


class CapturePlotter:
    """Small PNGs of archived captures, drawn on one figure reused for the whole run.

    Building a figure, its axes and their ticks is about 40 % of a small plot's cost and
    is the same for every capture; only the data, the limits and the labels change. A run
    attaches a plot to every test that captured, so one plotter per session (kept in the
    config's stash by the Allure plugin) saves about a second of every suite run.
    """

    def __init__(self, *, max_points: int = 1600) -> None:
        self.max_points = max_points
        self._parts: tuple[Any, Any, Any, Any] | None = None

    def png(self, path: Path, *, title: str) -> bytes:
        """Current (µA) when the load is known, else V; long records as per-bucket
        minima and maxima, so narrow pulses and overshoots stay visible."""
        t, y, unit = _plot_data(path, self.max_points)
        figure, axes, line, heading = self._figure()
        line.set_data(t, y)
        axes.relim()
        axes.autoscale_view()
        axes.set_ylabel(unit)
        heading.set_text(title)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def _figure(self) -> tuple[Any, Any, Any, Any]:
        if self._parts is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            figure = Figure(figsize=(6.4, 2.4), dpi=80)
            FigureCanvasAgg(figure)
            axes = figure.add_subplot()
            (line,) = axes.plot([0.0, 1.0], [0.0, 0.0], linewidth=0.7)
            axes.set_xlabel("time from trigger (s)")
            axes.grid(True, linewidth=0.3)
            heading = axes.set_title("", fontsize=8)
            figure.subplots_adjust(left=0.12, right=0.98, bottom=0.2, top=0.88)  # not tight
            self._parts = (figure, axes, line, heading)
        return self._parts


def _plot_data(path: Path, max_points: int) -> tuple[Any, Any, str]:
    """Times and values to draw. A long record is cut into blocks, each drawn as its
    smallest and largest value, picked from the record as stored: scaling by a positive
    load keeps which sample is the smallest, so only the picked ones are converted (the
    same numbers as converting all first, for a tenth of the work on a 1M-point record)."""
    import numpy as np

    with np.load(path) as data:
        t0, dt = float(data["t0"]), float(data["dt"])
        volts = np.asarray(data["volts"])
        load = float(data["load_ohms"]) if "load_ohms" in data else float("nan")
    current = bool(np.isfinite(load))
    unit = "current (µA)" if current else "V"
    # a negative load reverses which sample is the smallest: scaled first, then picked
    scale_first = current and not load > 0
    values = volts.astype(np.float64) / load * 1e6 if scale_first else volts
    if values.size > max_points:
        width = -(-values.size // (max_points // 2))
        usable = (values.size // width) * width
        blocks = values[:usable].reshape(-1, width)
        values = np.column_stack([blocks.min(axis=1), blocks.max(axis=1)]).ravel()
        t = np.repeat(t0 + dt * np.arange(0, usable, width), 2)
    else:
        t = t0 + dt * np.arange(values.size)
    y = values.astype(np.float64)
    return t, (y / load * 1e6 if current and not scale_first else y), unit

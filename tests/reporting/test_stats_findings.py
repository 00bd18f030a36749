"""The review findings on ``hil stats``: each test's truth is computed here, by hand.

Cpk's confidence interval and "insufficient data", provisional I-MR limits, Western
Electric run rules on crafted series, a y axis scaled to the data, time on the x axis
with serials as annotations, and numbers rounded for people.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

from harness.cli import stats as stats_cmd
from harness.reporting import control_charts as cc
from harness.reporting import stats

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
Z95 = 1.959963984540054  # normal quantile of 0.975, from tables


def values_frame(rid: str, values: list[float], lsl: float, usl: float) -> pd.DataFrame:
    """A tidy table of one requirement, one passed run per unit, an hour apart."""
    rows: list[dict[str, Any]] = []
    for i, v in enumerate(values, start=1):
        start = T0 + timedelta(hours=i)
        rows.append({"run_id": f"run-{i:03d}", "unit_serial": f"U{i:03d}", "spec_id": "RMD-1",
                     "bench_id": "SIM-1", "run_status": "passed", "run_started_at": start,
                     "taken_at": start + timedelta(seconds=5), "requirement_id": rid,
                     "unit": "uA", "value": v, "lower_limit": lsl, "upper_limit": usl,
                     "decision_rule": "guarded", "verdict": "PASS", "seq": 1})  # fmt: skip
    out = pd.DataFrame(rows)
    for column in ("run_started_at", "taken_at"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out


def texts(fig: Any) -> list[str]:
    """Every text on the figure's axes (annotations, titles, legend entries)."""
    found: list[str] = []
    for ax in fig.axes:
        found += [t.get_text() for t in ax.texts] + [ax.get_title()]
        legend = ax.get_legend()
        if legend is not None:
            found += [t.get_text() for t in legend.get_texts()]
    return found


# --- Cpk interval and minimum n -------------------------------------------------------------


def test_cpk_interval_is_bissells_for_a_known_data_set() -> None:
    # 9, 10, 11 against 7..13: mean 10, sd 1, Cpk = 3/3 = 1, n = 3
    half = Z95 * math.sqrt(1 / (9 * 3) + 1**2 / (2 * (3 - 1)))  # = 1.0498
    cap = stats.capability([9.0, 10.0, 11.0], 7.0, 13.0)
    assert cap.cpk == pytest.approx(1.0)
    assert cap.cpk_low == pytest.approx(1.0 - half, abs=1e-9)
    assert cap.cpk_high == pytest.approx(1.0 + half, abs=1e-9)
    assert cap.cpk_low is not None and cap.cpk_low < 0.0  # three units prove nothing
    assert not cap.sufficient and cap.note == "insufficient data"


def test_cpk_interval_narrows_with_n_and_the_note_goes_at_25() -> None:
    x = [10.0 + (-1.0) ** i * 0.5 for i in range(25)]  # 13 x 10.5, 12 x 9.5
    mean = sum(x) / 25
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / 24)
    cpk = min(13.0 - mean, mean - 7.0) / (3 * sd)
    half = Z95 * math.sqrt(1 / (9 * 25) + cpk**2 / (2 * 24))
    cap = stats.capability(x, 7.0, 13.0)
    assert cap.cpk_low == pytest.approx(cpk - half)
    assert cap.cpk_high == pytest.approx(cpk + half)
    assert cap.sufficient and cap.note == ""
    table = stats.requirement_table(values_frame("R", x, 7.0, 13.0))
    assert table.loc[0, "note"] == "" and table.loc[0, "cpk_low"] == pytest.approx(cpk - half)
    few = stats.requirement_table(values_frame("R", x[:24], 7.0, 13.0))
    assert few.loc[0, "note"] == "insufficient data"


def test_no_interval_without_a_cpk() -> None:
    flat = stats.capability([5.0, 5.0], 0.0, 10.0)
    assert flat.cpk_low is None and flat.cpk_high is None and flat.note == ""
    with pytest.raises(ValueError):
        stats.cpk_interval(1.0, 1)


# --- provisional I-MR limits ----------------------------------------------------------------


def test_limits_are_provisional_below_twenty_points() -> None:
    assert cc.imr_limits([1.0, 2.0, 3.0]).provisional
    assert cc.imr_limits([1.0, 2.0] * 9 + [1.0]).provisional  # 19
    assert not cc.imr_limits([1.0, 2.0] * 10).provisional  # 20


def test_provisional_shows_in_the_table_and_on_the_chart() -> None:
    values = stats.per_run_values(values_frame("R", [1.0, 2.0, 1.5], 0.0, 3.0))
    control = cc.control_table(values)
    assert bool(control.loc[0, "provisional"]) and control.loc[0, "n"] == 3
    text = stats_cmd.format_control(control)
    assert "provisional" in text.splitlines()[1]
    fig = cc.imr_figure([1.0, 2.0, 1.5], title="R")
    shown = texts(fig)
    assert any("provisional" in t for t in shown if t.startswith("UCL"))
    assert "provisional" in fig.axes[0].get_title()
    settled = cc.imr_figure([1.0, 2.0] * 10, title="R")
    assert not any("provisional" in t for t in texts(settled))


# --- Western Electric rules on crafted series -----------------------------------------------

SIGMA_1 = cc.IMRLimits(center=0.0, ucl=3.0, lcl=-3.0, mr_bar=3.0 / cc.E2, mr_ucl=4.0, n=20)
"""Centre 0, σ = 1: the zones are at ±1, ±2, ±3."""


def fired(series: list[float]) -> dict[int, list[int]]:
    return {r: np.flatnonzero(f).tolist() for r, f in cc.run_rules(series, SIGMA_1).items()}


def test_rule_1_one_point_beyond_three_sigma() -> None:
    assert fired([0.0, 0.5, -0.5, 3.5, 0.0, -3.1]) == {1: [3, 5], 2: [], 3: [], 4: []}


def test_rule_2_two_of_three_beyond_two_sigma_on_one_side() -> None:
    assert fired([0.5, -0.5, 2.5, 0.5, 2.5, -0.5]) == {1: [], 2: [4], 3: [], 4: []}
    assert fired([0.5, -0.5, 2.5, -2.5, 0.5, -0.5])[2] == []  # opposite sides


def test_rule_3_four_of_five_beyond_one_sigma_on_one_side() -> None:
    series = [-0.5, -1.5, -1.5, -0.5, -1.5, -1.5, 0.5]
    assert fired(series) == {1: [], 2: [], 3: [5], 4: []}
    assert fired([-0.5, 1.5, 1.5, 0.5, 1.5, -1.5, 0.5])[3] == []  # only three above


def test_rule_4_eight_in_a_row_on_one_side() -> None:
    assert fired([-0.2] + [0.2] * 8) == {1: [], 2: [], 3: [], 4: [8]}
    assert fired([0.2] * 7 + [-0.2])[4] == []
    assert fired([-0.2] * 9)[4] == [7, 8]


def test_rules_show_in_hil_stats_and_on_the_chart() -> None:
    drift = [10.0, 10.2] * 5 + [10.6, 10.8] * 5  # a shift after ten units
    values = stats.per_run_values(values_frame("R", drift, 9.0, 12.0))
    rules = str(cc.control_table(values).loc[0, "rules"])
    assert "WE4" in rules  # 10 in a row below, then 10 above, the centre 10.4
    assert "WE4" in stats_cmd.format_control(cc.control_table(values))
    shown = texts(cc.imr_figure(drift, title="R"))
    assert any(t.startswith("Western Electric") and "WE4" in t for t in shown)
    marks = [t.split(",") for t in shown if t.replace(",", "").isdigit()]
    assert any("4" in rules for rules in marks)  # points completing a pattern: rule numbers
    quiet = cc.imr_figure([1.0, 2.0, 1.0, 2.0], title="R")
    assert any("no run-rule signals" in t for t in texts(quiet))


def test_close_limits_print_with_enough_digits_to_differ() -> None:
    x = [10.0003, 10.0004, 10.0002, 10.0003]  # centre 10.0003, MR-bar 0.0004/3
    limits = cc.imr_limits(x)  # limits 10.0003 -+ 2.66 * 0.000133 = -+ 0.000355
    assert cc.limit_digits(limits) == 4 + (1 - (-4))  # 10 is 1e1, the half-width 3.5e-4
    values = stats.per_run_values(values_frame("R", x, 9.8, 10.2))
    row = stats_cmd.format_control(cc.control_table(values)).splitlines()[1].split()
    assert row[3:6] == ["10.0003", "9.99994533", "10.0006547"]


# --- axes -----------------------------------------------------------------------------------


def test_a_tight_process_is_scaled_to_its_data_not_the_spec() -> None:
    x = [400.0, 400.01, 399.99, 400.02, 399.98, 400.0]
    limits = cc.imr_limits(x)
    fig = cc.imr_figure(x, title="R", lower_spec=320.0, upper_spec=480.0)
    low, high = fig.axes[0].get_ylim()
    assert low <= limits.lcl < limits.center < limits.ucl <= high
    assert (limits.ucl - limits.lcl) / (high - low) > 0.5  # the limits are apart, visibly
    assert low > 320.0 and high < 480.0
    off = [t for t in texts(fig) if "off scale" in t]
    assert off == ["LSL 320 below (off scale)", "USL 480 above (off scale)"]


def test_a_spec_limit_near_the_data_is_drawn() -> None:
    x = [10.0, 10.5, 9.5, 10.2]
    (low, high), drawn, marked = cc.y_range(np.array(x), cc.imr_limits(x), 9.0, 30.0)
    assert drawn == ["LSL"] and marked == ["USL"] and low < 9.0 < high < 30.0


def test_time_on_the_x_axis_and_serials_by_the_points() -> None:
    times = [T0 + timedelta(hours=3 * i) for i in range(4)]
    fig = cc.imr_figure([1.0, 2.0, 1.5, 1.2], title="R", times=times,
                        labels=["S1", "S2", "S3", "S4"])  # fmt: skip
    line = fig.axes[0].get_lines()[0]
    expected = [mdates.date2num(t.replace(tzinfo=None)) for t in times]  # type: ignore[no-untyped-call]
    assert np.asarray(line.get_xdata(), dtype=np.float64).tolist() == pytest.approx(expected)
    assert fig.axes[1].get_xlabel() == "measurement time (UTC)"
    assert {"S1", "S2", "S3", "S4"} <= set(texts(fig))


def test_only_flagged_serials_when_they_do_not_fit() -> None:
    x = [1.0, 2.0] * 15 + [9.0]  # 31 points, the last beyond the limits
    labels = [f"S{i}" for i in range(len(x))]
    shown = set(texts(cc.imr_figure(x, title="R", labels=labels)))
    assert "S30" in shown and not shown & set(labels[:30])


def test_write_charts_uses_taken_at(tmp_path: Any) -> None:
    values = stats.per_run_values(values_frame("R", [1.0, 2.0, 1.5], 0.0, 3.0))
    assert list(values["taken_at"]) == [T0 + timedelta(hours=h, seconds=5) for h in (1, 2, 3)]
    (path,) = cc.write_charts(values, tmp_path, ["R"])
    assert path.read_bytes()[:4] == b"\x89PNG"


# --- numbers for people ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (-0.0, "0"), (12.0, "12"), (0.14142136, "0.1414"), (400.0123, "400"),
     (12345.6, "12346"), (0.0012345, "0.001234"), (2.5e-7, "2.500e-07"), (None, "-"),
     (math.nan, "-"), (-3.14159, "-3.142")],
)  # fmt: skip
def test_format_number(value: float | None, text: str) -> None:
    assert stats.format_number(value) == text


def test_sd_of_a_constant_series_reads_zero() -> None:
    equal = [199.92, 199.92 + 2.8e-14, 199.92]  # one reading along two paths: sd ~1.6e-14
    table = stats.requirement_table(values_frame("R", equal, 100.0, 250.0))
    assert table.loc[0, "sd"] == 0.0
    row = stats_cmd.format_table(table).splitlines()[1].split()
    assert row[6:9] == ["3", "199.9", "0"]  # n, mean, sd
    assert "e-" not in stats_cmd.format_table(table)

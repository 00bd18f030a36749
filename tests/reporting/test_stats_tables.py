"""Yield, Cp/Cpk and I-MR limits on hand-made data whose answers are known exactly."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from harness.reporting import stats
from harness.reporting.control_charts import beyond_limits, imr_limits, moving_ranges

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A tidy table shaped like ``harness.recording.results.load``'s, with only the columns used."""
    defaults = {"spec_id": "RMD-1", "bench_id": "SIM-1", "run_status": "passed",
                "unit": "uA", "decision_rule": "guarded", "verdict": "PASS",
                "lower_limit": np.nan, "upper_limit": np.nan}  # fmt: skip
    full = [{**defaults, "seq": i, **row} for i, row in enumerate(rows, start=1)]
    out = pd.DataFrame(full)
    out["run_started_at"] = pd.to_datetime(out["run_started_at"], utc=True)
    return out.astype({"value": "float64", "lower_limit": "float64", "upper_limit": "float64"})


def reading(run: int, serial: str, rid: str, value: float, **extra: Any) -> dict[str, Any]:
    return {"run_id": f"run-{run:02d}", "unit_serial": serial, "requirement_id": rid,
            "value": value, "lower_limit": 320.0, "upper_limit": 480.0,
            "run_started_at": T0 + timedelta(hours=run), **extra}  # fmt: skip


# --- capability ---------------------------------------------------------------------------


def test_cp_and_cpk_are_one_for_a_centred_process_filling_the_tolerance() -> None:
    # mean 10, sample sd exactly 1: limits 10 ± 3 -> Cp = 6/6 = 1, Cpk = 3/3 = 1
    cap = stats.capability([9.0, 10.0, 11.0], 7.0, 13.0)
    assert (cap.n, cap.mean, cap.sd) == (3, 10.0, 1.0)
    assert cap.cp == pytest.approx(1.0, abs=1e-12)
    assert cap.cpk == pytest.approx(1.0, abs=1e-12)


def test_cpk_sees_an_off_centre_process_cp_does_not() -> None:
    cap = stats.capability([9.0, 10.0, 11.0], 8.0, 14.0)
    assert cap.cp == pytest.approx(1.0)
    assert cap.cpk == pytest.approx(2.0 / 3.0)  # nearer limit 2 away, over 3 sigma


def test_one_sided_limits_give_cpk_only() -> None:
    upper = stats.capability([9.0, 10.0, 11.0], None, 13.0)
    lower = stats.capability([9.0, 10.0, 11.0], 4.0, None)
    assert upper.cp is None and upper.cpk == pytest.approx(1.0)
    assert lower.cp is None and lower.cpk == pytest.approx(2.0)


def test_capability_is_none_without_scatter_or_enough_values() -> None:
    assert stats.capability([5.0], 0.0, 10.0) == stats.Capability(1, 5.0, None, None, None)
    flat = stats.capability([5.0, 5.0, 5.0], 0.0, 10.0)
    assert flat.sd == 0.0 and flat.cp is None and flat.cpk is None
    rounded = stats.capability([199.92, 199.92 + 2.8e-14, 199.92], None, 250.0)
    assert rounded.cpk is None  # rounding noise of equal readings is not scatter
    assert stats.capability([], 0.0, 10.0).n == 0
    assert stats.capability([9.0, math.nan, 11.0], 7.0, 13.0).n == 2  # non-finite left out


# --- one value per run --------------------------------------------------------------------


def test_the_worst_reading_of_a_run_is_the_one_nearest_a_limit() -> None:
    data = frame([reading(1, "U1", "OUT-AMP-L5", 395.0), reading(1, "U1", "OUT-AMP-L5", 410.0)])
    worst = stats.per_run_values(data)
    assert list(worst["value"]) == [410.0]  # 70 inside USL is worse than 75 inside LSL
    assert list(worst["measurements"]) == [2]
    assert list(stats.per_run_values(data, "mean")["value"]) == [402.5]


def test_check_requirements_have_no_capability_but_count_for_yield() -> None:
    data = frame([
        reading(1, "U1", "OUT-MONO", 1.0, decision_rule="check", lower_limit=np.nan,
                upper_limit=np.nan, unit=""),
        reading(2, "U2", "OUT-MONO", 0.0, decision_rule="check", verdict="FAIL",
                lower_limit=np.nan, upper_limit=np.nan, unit=""),
    ])  # fmt: skip
    assert stats.per_run_values(data).empty
    row = stats.requirement_table(data).iloc[0]
    assert (row["units"], row["first_pass"], row["fpy"], row["n"]) == (2, 1, 0.5, 0)
    assert math.isnan(row["cpk"])


# --- first-pass yield ---------------------------------------------------------------------


def lot() -> pd.DataFrame:
    """Four units. U1 fails OUT-AMP-L5 first, passes on retest; U4's only run is running."""
    return frame([
        reading(1, "U1", "OUT-AMP-L5", 300.0, verdict="FAIL", run_status="failed"),
        reading(1, "U1", "OUT-VCOMP", 12.0, lower_limit=10.8, upper_limit=13.2, unit="V"),
        reading(2, "U2", "OUT-AMP-L5", 400.0),
        reading(2, "U2", "OUT-VCOMP", 12.2, lower_limit=10.8, upper_limit=13.2, unit="V"),
        reading(3, "U3", "OUT-AMP-L5", 420.0),
        reading(3, "U3", "OUT-VCOMP", 11.8, lower_limit=10.8, upper_limit=13.2, unit="V"),
        reading(4, "U1", "OUT-AMP-L5", 400.0),  # the retest: not first pass
        reading(4, "U1", "OUT-VCOMP", 12.0, lower_limit=10.8, upper_limit=13.2, unit="V"),
        reading(5, "U4", "OUT-AMP-L5", 999.0, verdict="FAIL", run_status="running"),
    ])  # fmt: skip


def test_first_pass_yield_counts_each_units_first_finished_run() -> None:
    assert stats.overall_yield(lot()) == (3, 2, pytest.approx(2 / 3))
    by_req = stats.yield_by_requirement(lot()).set_index("requirement_id")
    assert by_req.loc["OUT-AMP-L5", ["units", "first_pass"]].tolist() == [3, 2]
    assert by_req.loc["OUT-VCOMP", "fpy"] == 1.0


def test_a_run_that_did_not_pass_is_not_a_first_pass_even_if_its_readings_conform() -> None:
    data = frame([reading(1, "U1", "OUT-AMP-L5", 400.0, run_status="interrupted")])
    assert stats.overall_yield(data) == (1, 0, 0.0)


def test_capability_uses_first_runs_unless_asked_for_all() -> None:
    table = stats.requirement_table(lot()).set_index("requirement_id")
    assert table.loc["OUT-AMP-L5", "n"] == 3
    assert table.loc["OUT-AMP-L5", "mean"] == pytest.approx((300.0 + 400.0 + 420.0) / 3)
    vcomp = table.loc["OUT-VCOMP"]
    # 12.0, 12.2, 11.8: mean 12, sd 0.2 -> Cp = 2.4 / 1.2 = 2, Cpk = 1.2 / 0.6 = 2
    assert vcomp["sd"] == pytest.approx(0.2)
    assert vcomp["cp"] == pytest.approx(2.0) and vcomp["cpk"] == pytest.approx(2.0)
    everything = stats.requirement_table(lot(), first_run_only=False).set_index("requirement_id")
    assert everything.loc["OUT-AMP-L5", "n"] == 5  # the running run's reading included


def test_empty_data_gives_empty_tables() -> None:
    empty = frame([reading(1, "U1", "X", 1.0)]).iloc[0:0]
    assert stats.overall_yield(empty) == (0, 0, None)
    assert list(stats.requirement_table(empty).columns) == stats.TABLE_COLUMNS
    assert stats.requirement_table(empty).empty


def test_filters_on_a_table_in_memory() -> None:
    data = pd.concat([lot(), frame([reading(6, "U9", "OUT-AMP-L5", 400.0, bench_id="B2",
                                            spec_id="RMD-2")])])  # fmt: skip
    assert set(stats.select(data, bench_id="B2")["unit_serial"]) == {"U9"}
    assert "U9" not in set(stats.select(data, spec_id="RMD-1")["unit_serial"])
    window = stats.select(data, since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=4))
    assert sorted(set(window["run_id"])) == ["run-02", "run-03"]  # [since, until)


# --- I-MR limits --------------------------------------------------------------------------


def test_imr_limits_of_a_known_series() -> None:
    x = [1.0, 2.0, 3.0, 2.0, 1.0]  # mean 1.8, moving ranges 1, 1, 1, 1
    limits = imr_limits(x)
    assert list(moving_ranges(x)) == [1.0, 1.0, 1.0, 1.0]
    assert limits.center == pytest.approx(1.8)
    assert limits.mr_bar == pytest.approx(1.0)
    assert limits.ucl == pytest.approx(1.8 + 2.66)
    assert limits.lcl == pytest.approx(1.8 - 2.66)
    assert limits.mr_ucl == pytest.approx(3.267)
    assert limits.sigma_within == pytest.approx(1.0 / 1.128)
    assert not beyond_limits(x, limits).any()


def test_a_jump_is_beyond_the_control_limits() -> None:
    x = [10.0] * 9 + [20.0]  # MR-bar = 10/9, UCL = 11 + 2.66 * 10/9 = 13.96
    limits = imr_limits(x)
    assert limits.ucl == pytest.approx(11.0 + 2.66 * 10.0 / 9.0)
    assert beyond_limits(x, limits).tolist() == [False] * 9 + [True]


def test_imr_needs_two_finite_values() -> None:
    with pytest.raises(ValueError):
        imr_limits([1.0])
    with pytest.raises(ValueError):
        imr_limits([1.0, math.nan])

"""Production statistics over many runs: first-pass yield and process capability.

One compliance run says whether *one unit* conforms. A production line asks two more
questions, and answers them from the results store (``harness.recording.results.load``):

**First-pass yield (FPY)** — what fraction of units pass the first time they are tested?
Retests hide problems (a marginal unit that passes on the third try still cost two
tests and may fail in the field), so only each unit's *first* run counts. A unit passes
first time when its first run for the spec finished ``passed`` and every measurement in
it conforms (PASS or CONDITIONAL PASS). Per requirement, the yield is the fraction of
units whose first run met that requirement. Runs still ``running`` are ignored, and so
are runs without a unit serial (they cannot be attributed to a unit).

**Process capability (Cp, Cpk)** — how much room does the unit-to-unit scatter leave
inside the limits? With mean μ and standard deviation σ of one value per unit, and
spec limits LSL and USL:

* ``Cp = (USL − LSL) / 6σ`` compares the width of the tolerance with the width of the
  process (±3σ holds 99.73 % of a normal population). Cp = 1: the process just fits;
  it ignores where the process is centred, so it needs both limits.
* ``Cpk = min(USL − μ, μ − LSL) / 3σ`` is the distance from the mean to the *nearer*
  limit in units of 3σ; with one limit only that side is used. Cpk = 1.0 means about
  1 350 parts per million beyond that limit, 1.33 (the usual minimum for a new process)
  about 32 ppm, 1.67 about 0.3 ppm. Cpk ≤ Cp; they are equal when the process is
  centred.

σ is the sample standard deviation (n − 1) of all units, so strictly these are the
*performance* indices Pp/Ppk; they equal Cp/Cpk when the process is in statistical
control, which is what the I-MR charts of ``harness.reporting.control_charts`` check
(their short-term σ is ``IMRLimits.sigma_within`` = MR̄/1.128). Capability is
undefined, and reported as None, when n < 2 or σ = 0: no scatter seen, e.g. a simulated
bench without unit spread (σ below ``ROUNDING`` of the values counts as 0). Only
numeric requirements (``decision_rule`` other than ``check``) have it.

**One value per unit.** A requirement is often measured several times in one run (both
polarities of OUT-AMP, five levels for OUT-LOAD-10K, two loads for WAV-DC). The value
per run is the **worst** of them: the one closest to, or furthest beyond, a limit —
the measurement that decides whether the unit passes, so capability describes the
decision that matters. ``aggregate="mean"`` uses the mean instead. Missing or
non-finite values are left out of capability (the verdict already failed them).
Capability uses the same sample as FPY (each unit's first run) unless
``first_run_only=False``. The limits are those recorded with the newest measurement;
filter by spec so versions with other limits are not mixed.

**How sure is a Cpk?** Cpk is *estimated* from n units, and with few units the estimate
is wild: three units that happen to lie close together give a Cpk of 3 from a process
whose true Cpk may be below 1. So every Cpk comes with a 95 % confidence interval
(Bissell's normal approximation, ``cpk_interval``)::

    Cpk ± z₀.₉₇₅ · sqrt(1 / (9n) + Cpk² / (2(n − 1)))

Read it as a QA engineer: "a process like this one, sampled n units at a time, gives an
interval that covers its true Cpk 95 times in 100". The *lower* end is the number to
hold against a requirement: a Cpk of 1.5 whose interval is [0.6, 2.4] has **not**
shown 1.33; one of 1.5 with [1.37, 1.63] has. The interval assumes roughly normal
values from a stable process (check the I-MR chart first).

Below ``MIN_CAPABILITY_N`` = 25 units the table still shows Cp, Cpk and the interval,
but marks the row "insufficient data": 25 is the smallest sample the usual guidance
(AIAG SPC manual, ISO 22514-2 discussions) accepts for a preliminary capability
study; at n = 25 and Cpk = 1.33 the 95 % interval is still about ±0.4 wide, so a
qualifying study wants 50-100 units. The limit is a reporting threshold, not a
statistical cliff: the interval says how much (or how little) the number is worth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from harness.recording.results import finite_or_none, load
from harness.recording.store.results_store import ResultsStore

Aggregate = Literal["worst", "mean"]
ROUNDING = 1e-12
"""Scatter below this fraction of the values' size is floating-point rounding of equal
readings (one reading computed along two paths), not process variation: σ counts as 0."""
MIN_CAPABILITY_N = 25
"""Fewer units than this: capability is reported with the note "insufficient data"."""
CONFIDENCE = 0.95
"""Two-sided confidence level of the Cpk interval."""
INSUFFICIENT = "insufficient data"
CONFORMING = ("PASS", "CONDITIONAL PASS")
"""Verdicts that let a test pass (``harness.judging.verdict.Verdict.conforms``)."""

VALUE_COLUMNS = [
    "run_id", "unit_serial", "spec_id", "bench_id", "run_started_at", "requirement_id",
    "unit", "value", "lower_limit", "upper_limit", "measurements", "taken_at",
]  # fmt: skip
_CAPABILITY_COLUMNS = [
    "requirement_id", "unit", "n", "mean", "sd", "lower_limit", "upper_limit", "cp", "cpk",
    "cpk_low", "cpk_high", "note",
]  # fmt: skip
TABLE_COLUMNS = [
    "requirement_id", "unit", "units", "first_pass", "fpy", "n", "mean", "sd",
    "lower_limit", "upper_limit", "cp", "cpk", "cpk_low", "cpk_high", "note",
]  # fmt: skip
"""``note`` is "insufficient data" for a capability from fewer than ``MIN_CAPABILITY_N``
values, else empty; ``cpk_low``/``cpk_high`` bound the 95 % interval of ``cpk``."""


@dataclass(frozen=True)
class Capability:
    """n, mean, sample sd and the indices of one requirement's values.

    ``cpk_low``/``cpk_high`` bound the 95 % confidence interval of ``cpk``
    (``cpk_interval``); None when Cpk is. ``sufficient`` is False below
    ``MIN_CAPABILITY_N`` values: the indices are then a rough guide, not evidence.
    """

    n: int
    mean: float | None
    sd: float | None
    cp: float | None
    cpk: float | None
    cpk_low: float | None = None
    cpk_high: float | None = None

    @property
    def sufficient(self) -> bool:
        """Enough values for the capability to be quoted without a caveat."""
        return self.n >= MIN_CAPABILITY_N

    @property
    def note(self) -> str:
        """ "insufficient data" when there is a Cpk from too few values, else ""."""
        return INSUFFICIENT if self.cpk is not None and not self.sufficient else ""


def cpk_interval(cpk: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Bissell's approximate two-sided confidence interval of an estimated Cpk.

    ``Cpk ± z · sqrt(1/(9n) + Cpk²/(2(n−1)))`` with z the normal quantile of
    (1 + confidence)/2 (1.960 for 95 %). The first term is the uncertainty of the mean,
    the second that of σ, which dominates: with n = 3 and Cpk = 1 the interval is about
    [−0.1, 2.1], i.e. three units say nothing about capability. The lower bound is what
    a capability claim can rest on. Needs n ≥ 2.
    """
    if n < 2:
        raise ValueError(f"a Cpk interval needs at least two values, got n = {n}")
    z = NormalDist().inv_cdf((1.0 + confidence) / 2.0)
    half = z * math.sqrt(1.0 / (9.0 * n) + cpk * cpk / (2.0 * (n - 1)))
    return cpk - half, cpk + half


def format_number(value: float | None, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits, for people: "-" when missing.

    Fixed-point between 1e-4 and 1e9 (so 12.02, 0.001234, 400.1, 12345), scientific
    outside; rounding noise prints as 0 (``round_noise`` first where it can arise).
    """
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0.0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -4 <= magnitude < 9:
        decimals = max(0, digits - 1 - magnitude)
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return f"{value:.{digits - 1}e}"


def capability(
    values: Sequence[float] | np.ndarray, lsl: float | None, usl: float | None
) -> Capability:
    """Cp and Cpk of ``values`` against the limits (see the module docstring)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Capability(0, None, None, None, None)
    mean = float(x.mean())
    if n < 2:
        return Capability(n, mean, None, None, None)
    sd = float(x.std(ddof=1))
    lsl = finite_or_none(lsl)
    usl = finite_or_none(usl)
    scale = max(abs(mean), abs(lsl or 0.0), abs(usl or 0.0))
    if sd <= ROUNDING * scale:
        sd = 0.0  # rounding noise of equal readings: no scatter (prints 0, not 5e-16)
    if sd == 0.0 or (lsl is None and usl is None):
        return Capability(n, mean, sd, None, None)
    cp = (usl - lsl) / (6.0 * sd) if lsl is not None and usl is not None else None
    nearer = min(
        (usl - mean) if usl is not None else math.inf,
        (mean - lsl) if lsl is not None else math.inf,
    )
    cpk = nearer / (3.0 * sd)
    low, high = cpk_interval(cpk, n)
    return Capability(n, mean, sd, cp, cpk, low, high)


def load_results(
    store: str | Path | ResultsStore,
    *,
    spec_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bench_id: str | None = None,
) -> pd.DataFrame:
    """The tidy measurement table of the runs selected (runs started in [since, until))."""
    return load(store, spec_id=spec_id, since=since, until=until, bench_id=bench_id)


def select(
    frame: pd.DataFrame,
    *,
    spec_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bench_id: str | None = None,
) -> pd.DataFrame:
    """The same filters as ``load_results``, on a table already in memory."""
    keep = pd.Series(True, index=frame.index)
    if spec_id is not None:
        keep &= frame["spec_id"] == spec_id
    if bench_id is not None:
        keep &= frame["bench_id"] == bench_id
    if since is not None:
        keep &= frame["run_started_at"] >= pd.Timestamp(since)
    if until is not None:
        keep &= frame["run_started_at"] < pd.Timestamp(until)
    return frame[keep.fillna(False).astype(bool)]


def first_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of each unit's first finished run per spec (earliest start)."""
    usable = frame[frame["unit_serial"].notna() & (frame["run_status"] != "running")]
    runs = usable[["run_id", "unit_serial", "spec_id", "run_started_at"]].drop_duplicates("run_id")
    runs = runs.sort_values(["run_started_at", "run_id"])
    first = runs.drop_duplicates(["unit_serial", "spec_id"], keep="first")["run_id"]
    return usable[usable["run_id"].isin(set(first))]


def per_run_values(frame: pd.DataFrame, aggregate: Aggregate = "worst") -> pd.DataFrame:
    """One value per (run, numeric requirement): the worst or the mean of its readings."""
    numeric = frame[(frame["decision_rule"] != "check") & np.isfinite(frame["value"])]
    if "taken_at" not in numeric.columns:  # a hand-made table: the run's start stands in
        numeric = numeric.assign(taken_at=numeric["run_started_at"])
    if numeric.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in VALUE_COLUMNS})
    numeric = numeric.assign(_margin=_margin(numeric)).sort_values(["run_started_at", "seq"])
    group = numeric.groupby(["run_id", "requirement_id"], sort=False)
    if aggregate == "worst":
        picked = numeric.loc[group["_margin"].idxmin()].copy()
    elif aggregate == "mean":
        picked = group.tail(1).set_index(["run_id", "requirement_id"])
        picked["value"] = group["value"].mean()
        picked = picked.reset_index()
    else:
        raise ValueError(f"aggregate must be 'worst' or 'mean', got {aggregate!r}")
    counts = group.size().rename("measurements").reset_index()
    out = picked.merge(counts, on=["run_id", "requirement_id"])
    ordered: pd.DataFrame = out.sort_values(["run_started_at", "run_id", "requirement_id"])
    return ordered[VALUE_COLUMNS].reset_index(drop=True)


def yield_by_requirement(frame: pd.DataFrame) -> pd.DataFrame:
    """Per requirement: units tested in their first run, how many met it, and the FPY."""
    first = first_runs(frame)
    met = (
        first.assign(_ok=first["verdict"].isin(CONFORMING))
        .groupby(["requirement_id", "unit_serial"])["_ok"]
        .all()
        .groupby(level="requirement_id")
    )
    table = pd.DataFrame({"units": met.size(), "first_pass": met.sum()})
    table["fpy"] = table["first_pass"] / table["units"]
    return table.reset_index().astype({"units": "int64", "first_pass": "int64"})


def overall_yield(frame: pd.DataFrame) -> tuple[int, int, float | None]:
    """(units, passed first time, FPY): a unit's first run passed and every reading conformed."""
    first = first_runs(frame)
    if first.empty:
        return 0, 0, None
    ok = first["verdict"].isin(CONFORMING) & (first["run_status"] == "passed")
    per_unit = ok.groupby(first["unit_serial"]).all()
    return int(per_unit.size), int(per_unit.sum()), float(per_unit.mean())


def requirement_table(
    frame: pd.DataFrame, *, aggregate: Aggregate = "worst", first_run_only: bool = True
) -> pd.DataFrame:
    """Yield and capability per requirement (``TABLE_COLUMNS``), sorted by requirement id.

    A capability that ``capability`` gives as None is NaN here (pandas' missing number);
    ``note`` says "insufficient data" below ``MIN_CAPABILITY_N`` values.
    """
    yields = yield_by_requirement(frame)
    sample = first_runs(frame) if first_run_only else frame
    values = per_run_values(sample, aggregate)
    rows = []
    for rid, group in values.groupby("requirement_id", sort=True):
        newest = group.iloc[-1]
        lsl, usl = finite_or_none(newest["lower_limit"]), finite_or_none(newest["upper_limit"])
        cap = capability(group["value"].to_numpy(dtype=np.float64), lsl, usl)
        rows.append({"requirement_id": rid, "unit": newest["unit"], "n": cap.n,
                     "mean": cap.mean, "sd": cap.sd, "lower_limit": lsl,
                     "upper_limit": usl, "cp": cap.cp, "cpk": cap.cpk,
                     "cpk_low": cap.cpk_low, "cpk_high": cap.cpk_high,
                     "note": cap.note})  # fmt: skip
    caps = pd.DataFrame(rows, columns=_CAPABILITY_COLUMNS)
    table = yields.merge(caps, on="requirement_id", how="outer")
    table["n"] = table["n"].fillna(0).astype("int64")
    floats = ["fpy", "mean", "sd", "lower_limit", "upper_limit", "cp", "cpk", "cpk_low",
              "cpk_high"]  # fmt: skip
    table[floats] = table[floats].astype("float64")  # None -> NaN, pandas' missing number
    table["note"] = table["note"].fillna("")
    table = table.astype({"units": "Int64", "first_pass": "Int64", "unit": "string",
                          "note": "string"})  # fmt: skip
    return table.sort_values("requirement_id", ignore_index=True)[TABLE_COLUMNS]


def _margin(frame: pd.DataFrame) -> pd.Series:
    """Distance inside the nearer limit (negative beyond it); smallest is the worst reading."""
    value = frame["value"]
    upper = (frame["upper_limit"] - value).fillna(np.inf)
    lower = (value - frame["lower_limit"]).fillna(np.inf)
    return upper.where(upper < lower, lower)

"""Biphasic pairs: their rate, phase widths, interphase gap and charge balance.

For a device whose output is charge-balanced biphasic pairs (the RMD-2), what the FDA
output table asks about pulses is asked of each pair: how often (WAV-PAIR-RATE), how
long each phase (WAV-PHASE), how long the gap between them (WAV-GAP), and whether the
negative phase takes back the charge the positive one gave (WAV-QBAL). Read off one scope
record across the 500 ohm load per test (``harness.procedures.pairs``); a device whose
spec has none of these ids (the RMD-1) does not collect these tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.capture import capture_current, keep, scope_budget, timing_budget
from harness.procedures.pairs import pair_metrics
from harness.procedures.treatment import conditions_for, start_treatment
from harness.recording.captures import CaptureArchive

RECORD_S, RESOLUTION_S = 0.5, 20e-6


def _scale_a(spec: Spec, level: int) -> float:
    """The level's nominal peak, to scale the scope (never a limit)."""
    return (spec.requirement(f"OUT-AMP-L{level}").nominal_value or 400.0) * 1e-6 * 1.3


@pytest.mark.requirement("WAV-PAIR-RATE", "WAV-PHASE", "WAV-GAP")
def test_pair_rate_phase_width_and_gap(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-PHASE"))
    assert c.load_ohms is not None
    start_treatment(bench, c)
    cap = capture_current(
        bench, c.load_ohms, peak_a=_scale_a(spec, c.level), duration_s=RECORD_S,
        resolution_s=RESOLUTION_S,
    )  # fmt: skip
    evidence = [keep(captures, "WAV-PAIRS", cap)]
    pairs = pair_metrics(cap)
    common = {"instruments": ["scope", "switch"], "attachments": evidence}
    if pairs is None:
        for rid in ("WAV-PAIR-RATE", "WAV-PHASE", "WAV-GAP"):
            unit = "Hz" if rid == "WAV-PAIR-RATE" else "s"
            measure(rid, None, unit, conditions=c.as_record(), note="no biphasic pairs found",
                    **common)  # fmt: skip
        return
    record = {**c.as_record(), "pairs": str(pairs.pairs)}
    # the rate from the span of the pair starts: one sample of timing over that span
    rate_budget = UncertaintyBudget().add_relative(
        "pair start timing", pairs.rate_hz, cap.dt / (RECORD_S / 2.0)
    )
    measure("WAV-PAIR-RATE", pairs.rate_hz, "Hz", conditions=record,
            uncertainty=rate_budget, **common)  # fmt: skip
    for phase, widths in (("+", pairs.positive_width_s), ("-", pairs.negative_width_s)):
        width = float(np.mean(widths))
        budget = timing_budget(width, cap.dt).add_repeatability("over pairs", widths)
        measure("WAV-PHASE", width, "s", uncertainty=budget,
                conditions={**record, "phase": phase}, **common)  # fmt: skip
    gap = float(np.mean(pairs.gap_s))
    budget = timing_budget(gap, cap.dt).add_repeatability("over pairs", pairs.gap_s)
    measure("WAV-GAP", gap, "s", uncertainty=budget, conditions=record, **common)


@pytest.mark.requirement("WAV-QBAL")
def test_pair_charge_balance(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-QBAL"))
    assert c.load_ohms is not None
    start_treatment(bench, c)
    cap = capture_current(
        bench, c.load_ohms, peak_a=_scale_a(spec, c.level), duration_s=RECORD_S,
        resolution_s=RESOLUTION_S,
    )  # fmt: skip
    pairs = pair_metrics(cap)
    value = None if pairs is None else 100.0 * float(np.mean(pairs.imbalance))
    budget = None
    if pairs is not None:
        # one 8-bit step over a phase, relative to the phase's charge, and the spread
        phase_samples = float(np.mean(pairs.positive_width_s)) / cap.dt
        step_pct = 100.0 * cap.step_a / (_scale_a(spec, c.level) * np.sqrt(phase_samples))
        budget = scope_budget(bench, value or 0.0, cap, step=step_pct)
        budget.add_repeatability("over pairs", [100.0 * x for x in pairs.imbalance])
    measure(
        "WAV-QBAL", value, "%", uncertainty=budget, instruments=["scope", "switch"],
        attachments=[keep(captures, "WAV-QBAL", cap)], conditions=c.as_record(),
        note="" if pairs else "no biphasic pairs found",
    )  # fmt: skip

"""Timers and cut-offs read from the output and the supplies alone (no test port).

A unit without a test port cannot say when it cued, stopped or cut off; the bench sees
it. Each requirement here is timed or thresholded on the current across the load, with
the unit's supplies as the only other input:

* **TIM-CUE**: the relocate cue is a pause in the output (about 0.2 s without pairs);
  the interval between pauses in a 46 s record.
* **SAF-CONTACT-LOSS**: the load opened (lift-off) with the scope armed on the
  open-circuit voltage at the load position; lift-off lies between the last pair at the
  contact level and that edge, the suspension where the open-circuit pairs stop for good
  (``procedures/reaction.py``, as the RMD-1's SAF-NOCONTACT-DET).
* **SAF-CHG-OFF**: the charger input powered mid-treatment; then the peak current on a
  sensitive scale.
* **SAF-LOWBAT-OFF**: the battery supply stepped down 10 mV per second; the step at
  which the output stops.

A device whose spec has none of these ids (the RMD-1, whose own tests time the same
behaviour with its buzzer test point and test port) does not collect these tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.bench.station import Bench
from harness.dut import testport
from harness.errors import InstrumentError
from harness.judging.spec import Spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.units import convert
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.capture import (
    LOAD_CHANNEL,
    capture_current,
    keep,
    scope_budget,
    timing_budget,
)
from harness.procedures.events import triggered_capture
from harness.procedures.pairs import lift_off_bracket, pairs_stop_bracket
from harness.procedures.reaction import TIMING_RESOLUTION_S, load_magnitude
from harness.procedures.treatment import conditions_for, set_battery, set_charger, start_treatment
from harness.procedures.unit_control import OUTPUT_SEEN_A, output_peak_a
from harness.recording.captures import CaptureArchive

CUE_RECORD_S, CUE_RESOLUTION_S = 46.0, 2e-3
QUIET_MIN_S = 0.1
"""A stretch without output longer than this is a pause, not the rest between pairs."""
CHARGER_SCALE_A = 20e-6
RAMP_FROM_V, RAMP_TO_V, RAMP_STEP_V, RAMP_DWELL_S = 3.45, 3.15, 0.01, 1.0
OPEN_EDGE_FACTOR = 5.0
"""The open-circuit edge is taken at 5x the pair's height in contact: far above it, far
below the compliance voltage the open spheres swing to (RMD-2: 10 V)."""
HOLD_PAIRS = 4
"""Suspended once the open-circuit pairs stay away this many pair periods."""


def _quiet_starts(current: np.ndarray, dt: float, threshold_a: float) -> list[float]:
    """Start times (from the record's start) of stretches without output > QUIET_MIN_S."""
    active = np.abs(current) > threshold_a
    idx = np.flatnonzero(active)
    if idx.size < 2:
        return []
    gaps = np.diff(idx) * dt
    return [float(idx[k] * dt) for k in np.flatnonzero(gaps > QUIET_MIN_S)]


@pytest.mark.requirement("TIM-CUE")
def test_relocate_cue_interval_from_the_output(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("TIM-CUE"))
    assert c.load_ohms is not None
    start_treatment(bench, c)
    scale = (spec.requirement(f"OUT-AMP-L{c.level}").nominal_value or 400.0) * 1.3e-6
    cap = capture_current(
        bench, c.load_ohms, peak_a=scale, duration_s=CUE_RECORD_S, resolution_s=CUE_RESOLUTION_S
    )
    starts = _quiet_starts(cap.current_a, cap.dt, OUTPUT_SEEN_A)
    intervals = np.diff(starts)
    value = float(np.mean(intervals)) if intervals.size else None
    budget = timing_budget(value or 0.0, cap.dt)
    budget.add_rectangular("pause edge within the rest between pairs", 0.04)
    if intervals.size >= 2:
        budget.add_repeatability("interval spread", intervals.tolist())
    measure(
        "TIM-CUE", value, "s", uncertainty=budget, instruments=["scope", "switch"],
        attachments=[keep(captures, "TIM-CUE", cap)],
        conditions={**c.as_record(), "pauses_seen": str(len(starts))},
        note="" if value is not None else "fewer than two pauses in the output",
    )  # fmt: skip


def _limit_s(spec: Spec, rid: str) -> float:
    req = spec.requirement(rid)
    assert req.upper_limit is not None, f"{rid} has no upper limit"
    return convert(req.upper_limit, req.unit, "s")


@pytest.mark.requirement("SAF-CONTACT-LOSS")
def test_output_suspended_after_lift_off(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("SAF-CONTACT-LOSS"))
    assert c.load_ohms is not None
    start_treatment(bench, c)
    period = 1.0 / (spec.requirement("WAV-PAIR-RATE").nominal_value or 25.0)
    contact_v = (
        (spec.requirement(f"OUT-AMP-L{c.level}").nominal_value or 150.0) * 1e-6 * c.load_ohms
    )
    trigger_v = OPEN_EDGE_FACTOR * contact_v
    pre = 2 * period
    hold = HOLD_PAIRS * period
    record, event, stop = None, None, None
    note = "no open-circuit voltage seen after lift-off"
    try:
        record = triggered_capture(
            bench, c.load_ohms, peak_a=trigger_v / c.load_ohms,
            duration_s=pre + 2 * _limit_s(spec, "SAF-CONTACT-LOSS") + hold,
            resolution_s=TIMING_RESOLUTION_S, trigger=(LOAD_CHANNEL, trigger_v, "rising"),
            pre_trigger_s=pre, action=lambda: bench.select_load(None), timeout_s=1.0,
        )  # fmt: skip
    except InstrumentError as exc:
        note = f"{note}: {exc}"
    if record is not None:
        volts = load_magnitude(record, on_voltage=True)
        event = lift_off_bracket(record.times, volts, contact_v, trigger_v)
        if event is not None:
            stop = pairs_stop_bracket(
                record.times, volts, trigger_v, after=event[1], period_s=period, hold_s=hold
            )
        note = (
            "no open-circuit edge on the record" if event is None
            else "output not suspended before the record ended" if stop is None
            else f"lift-off bracket {(event[1] - event[0]) * 5e2:.1f} ms, "
            f"stop bracket {(stop[1] - stop[0]) * 5e2:.1f} ms (half-widths)"
        )  # fmt: skip
    value = None if event is None or stop is None else (sum(stop) - sum(event)) / 2.0
    budget = timing_budget(value or 0.0, TIMING_RESOLUTION_S)
    if event is not None and stop is not None:
        # the delay lies in [stop.before - event.after, stop.after - event.before]: the two
        # brackets are tied to the same pair phase (both edges fall on the pair grid), so
        # they are added as one bracket, not in quadrature
        budget.add_rectangular(
            "lift-off and suspension brackets", ((stop[1] - stop[0]) + (event[1] - event[0])) / 2
        )
    measure(
        "SAF-CONTACT-LOSS", value, "s", uncertainty=budget, instruments=["scope", "switch"],
        attachments=[] if record is None else [keep(captures, "SAF-CONTACT-LOSS", record)],
        conditions=c.as_record() | {"load": "500 ohm to open"}, note=note,
    )  # fmt: skip


@pytest.mark.requirement("SAF-CHG-OFF")
def test_no_output_with_the_charger_powered(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    req = spec.requirement("SAF-CHG-OFF")
    c = conditions_for(spec, req)
    assert c.load_ohms is not None
    start_treatment(bench, c)
    charger_v = req.condition("charger", "V")
    set_charger(bench, charger_v)
    bench.clock.sleep(1.0)  # the interlock polls every 100 ms at most; a second is generous
    cap = capture_current(
        bench, c.load_ohms, peak_a=CHARGER_SCALE_A, duration_s=1.0, resolution_s=100e-6
    )
    codes = cap.waveform.codes
    clipped = bool(codes.size and (codes.min() == 0 or codes.max() == 255))
    peak = float(np.max(np.abs(cap.current_a)))
    measure(
        "SAF-CHG-OFF", peak, "A", uncertainty=scope_budget(bench, peak, cap),
        instruments=["scope", "psu"], attachments=[keep(captures, "SAF-CHG-OFF", cap)],
        conditions=c.as_record() | {"charger": f"{charger_v:g} V"},
        note="the record clipped: the output is far above the scale" if clipped else "",
    )  # fmt: skip
    set_charger(bench, None)


@pytest.mark.requirement("SAF-LOWBAT-OFF")
def test_output_stops_at_the_low_battery_cutoff(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, fresh_unit: testport.TestPort
) -> None:
    c = conditions_for(spec, spec.requirement("SAF-LOWBAT-OFF"))
    assert c.load_ohms is not None
    start_treatment(bench, c)
    stopped_at: float | None = None
    volts = RAMP_FROM_V
    while volts >= RAMP_TO_V - 1e-9:
        set_battery(bench, volts)
        bench.clock.sleep(RAMP_DWELL_S - 0.4)  # the peak read below takes 0.4 s
        if output_peak_a(bench, c.load_ohms) < OUTPUT_SEEN_A:
            stopped_at = volts
            break
        volts = round(volts - RAMP_STEP_V, 6)
    budget = UncertaintyBudget().add_rectangular("ramp step", RAMP_STEP_V / 2.0)
    entry = bench.file.instrument("power_supply")
    spec_line = entry.accuracy_for(6.0, "V") if entry else None
    if spec_line is not None and stopped_at is not None:
        budget.add_accuracy(
            "supply setting", stopped_at, spec_line.reading_pct, spec_line.range_pct, 6.0
        )
    measure(
        "SAF-LOWBAT-OFF", stopped_at, "V", uncertainty=budget, instruments=["psu", "scope"],
        conditions={**c.as_record(), "ramp": f"{RAMP_STEP_V * 1e3:g} mV per {RAMP_DWELL_S:g} s"},
        note="" if stopped_at else f"output still on at {RAMP_TO_V:g} V",
    )  # fmt: skip

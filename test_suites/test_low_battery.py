"""Safety: low battery warning, cut-off and restart.

Every reaction time here is read on the scope, from the event the bench caused to the
moment the output reacted, in one record (``harness/procedures/reaction.py``, on
``events.py``). The unit's event log and status are never the evidence; where they are
read, it is only to record what the firmware believed beside what was measured.

* **SAF-LOWBAT-WARN / -CUT / -HYST.** At L5 into 500 Ω the battery is ramped at the
  spec's 10 mV/s (10 mV per 1 s step of bench time) from nominal down until the output
  is cut, then up until it restarts (``battery_ramp.py``). The warning is the
  low-battery beep pair on the buzzer test point; output on/off is read on the scope.
  Each threshold is the supply readback at the step where the change was first seen.
"""

from __future__ import annotations

import pytest
from safety_spec import (
    l5_peak_a,
    lower,
    screen_a,
    upper,
)

from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.judging.units import parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.battery_ramp import StepObservation, observe_step, threshold_budget
from harness.procedures.treatment import (
    conditions_for,
    set_battery,
    start_treatment,
)

# --- low battery -----------------------------------------------------------------------


@pytest.mark.requirement("SAF-LOWBAT-WARN", "SAF-LOWBAT-CUT", "SAF-LOWBAT-HYST")
@pytest.mark.bench_time(51)
def test_low_battery_warning_cutoff_and_restart(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, fresh_unit: testport.TestPort
) -> None:
    warn_req = spec.requirement("SAF-LOWBAT-WARN")
    c = conditions_for(spec, warn_req)
    assert c.load_ohms is not None
    step_s = 1.0
    step_v = parse_quantity(warn_req.conditions["ramp"], "V/s") * step_s
    # the ramp goes five steps past each threshold's limit before giving up on it
    floor_v = lower(spec, "SAF-LOWBAT-CUT", "V") - 5 * step_v
    ceiling_v = upper(spec, "SAF-LOWBAT-HYST", "V") + 5 * step_v
    start_treatment(bench, c)

    def observe(volts: float) -> StepObservation:
        return observe_step(
            bench,
            volts,
            dwell_s=step_s,
            load_ohms=float(c.load_ohms or 0.0),
            activity_threshold_a=l5_peak_a(spec) / 10.0,
            full_scale_a=screen_a(spec),
        )

    warn: StepObservation | None = None
    cut: StepObservation | None = None
    restart: StepObservation | None = None
    flag_at_warn: bool | None = None
    n = 0
    # the ramp itself begins five steps above the warning's upper limit (as it ends five
    # past each limit): the volts from the nominal cell down to there, where no
    # threshold lies, are one step and a dwell, not twenty seconds of ramp
    volts = min(c.battery_v, round(upper(spec, "SAF-LOWBAT-WARN", "V") + 5 * step_v, 6))
    if volts < c.battery_v:
        set_battery(bench, volts)
        bench.clock.sleep(step_s)
    ramp_from = volts
    t0 = bench.clock.now()
    while cut is None and volts > floor_v:
        volts = round(volts - step_v, 6)
        seen = observe(volts)
        n += 1
        if warn is None and seen.warning_beep:
            warn = seen
            flag_at_warn = bench.dut.status().lowbatt_warning
        if not seen.output_active:
            cut = seen
    while cut is not None and restart is None and volts < ceiling_v:
        volts = round(volts + step_v, 6)
        seen = observe(volts)
        n += 1
        if seen.output_active:
            restart = seen
    rate = n * step_v / (bench.clock.now() - t0)
    record = c.as_record() | {
        "ramp": f"{step_v * 1e3:g} mV per {step_s:g} s step from {ramp_from:g} V "
        f"(measured {rate * 1e3:.2f} mV/s)"
    }
    results: tuple[tuple[str, StepObservation | None, str], ...] = (
        ("SAF-LOWBAT-WARN", warn, "low-battery beep pair on the buzzer test point"),
        ("SAF-LOWBAT-CUT", cut, "output stopped on the scope"),
        ("SAF-LOWBAT-HYST", restart, "output back on the scope"),
    )
    for rid, found, what in results:
        value = None if found is None else found.readback_v
        extra = f"; firmware lowbatt flag then: {flag_at_warn}" if rid == "SAF-LOWBAT-WARN" else ""
        measure(
            rid,
            value,
            "V",
            uncertainty=threshold_budget(bench, value or 0.0, step_v),
            instruments=["psu", "scope"],
            conditions=record,
            note=(f"{what} at set {found.set_v:.3f} V" if found else f"never seen: {what}") + extra,
        )

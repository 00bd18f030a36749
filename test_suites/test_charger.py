"""Safety: the charger interlock.

Every reaction time here is read on the scope, from the event the bench caused to the
moment the output reacted, in one record (``harness/procedures/reaction.py``, on
``events.py``). The unit's event log and status are never the evidence; where they are
read, it is only to record what the firmware believed beside what was measured.

* **SAF-CHG-MIDSESSION.** At L5, F3 into 500 Ω the charger (5 V) is switched on with
  the scope armed on its input (channel 3); the output stops when the pulses stop.
* **SAF-CHG-INHIBIT.** With the charger powered (after the mid-session stop time has
  passed twice over), the peak |i| over a whole polarity cycle at 500 Ω: first at the
  L5 scale, and again at the most sensitive scale when the first shows nothing large.
* **SAF-CHG-DC.** With the charger powered at 10 kΩ, the ammeter as for
  SAF-NOCONTACT-I (a running output reads as a d.c. of alternating sign).
"""

from __future__ import annotations

import numpy as np
import pytest
from safety_spec import (
    FINEST_V_PER_DIV,
    HOLD_PERIODS,
    TIMING_FREQUENCY,
    half_cycle_s,
    l5_peak_a,
    nominal_charger_v,
    period_s,
    readings_over_cycle,
    record_worst_window,
    screen_a,
    timing_conditions,
    upper,
)

from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.judging.units import parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.auxiliary import worst_window_current
from harness.procedures.capture import (
    CHARGER_CHANNEL,
    CurrentCapture,
    capture_current,
    scope_budget,
)
from harness.procedures.events import (
    Bracket,
    first_crossing,
    prime_record_length,
    record_points,
)
from harness.procedures.reaction import (
    TIMING_RESOLUTION_S,
    EventRecord,
    StopCriterion,
    time_reaction,
)
from harness.procedures.treatment import (
    Conditions,
    conditions_for,
    set_charger,
    start_treatment,
)
from harness.recording.captures import CaptureArchive

# --- charger interlock -----------------------------------------------------------------


@pytest.mark.requirement("SAF-CHG-MIDSESSION", "SAF-CHG-INHIBIT")
def test_charger_stops_and_inhibits_output(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = timing_conditions(spec, "SAF-CHG-MIDSESSION")
    assert c.load_ohms is not None
    charger_v = nominal_charger_v(spec)
    period = period_s(spec, c.frequency)
    start_treatment(bench, c)
    bench.scope.configure_channel(CHARGER_CHANNEL, charger_v / 3.0, 0.0)
    pre = 2 * period
    limit_s = upper(spec, "SAF-CHG-MIDSESSION", "s")

    def plugged(cap: CurrentCapture) -> Bracket | None:
        """The charger's input (channel 3, same record) rising through half its voltage."""
        charger = bench.scope.read_waveform(CHARGER_CHANNEL, cap.current_a.size)
        return first_crossing(
            charger.times, charger.volts, charger_v / 2.0, after=float(cap.times[0])
        )

    stop = time_reaction(
        bench,
        c.load_ohms,
        record=EventRecord(
            trigger=(CHARGER_CHANNEL, charger_v / 2.0, "rising"),
            action=lambda: set_charger(bench, charger_v),
            peak_a=screen_a(spec),
            duration_s=pre + 2 * limit_s + HOLD_PERIODS * period,
            resolution_s=TIMING_RESOLUTION_S,
            pre_trigger_s=pre,
            timeout_s=1.0,
        ),
        event=plugged,
        stop=StopCriterion(l5_peak_a(spec) / 2.0, HOLD_PERIODS * period, pulsed=True),
        archive=captures,
        name="SAF-CHG-MIDSESSION",
        no_event="charger edge not found on channel 3",
        not_stopped="output still running at the end of the record",
    )
    measure(
        "SAF-CHG-MIDSESSION",
        stop.seconds,
        "s",
        uncertainty=stop.budget,
        instruments=["scope", "psu"],
        attachments=stop.attachments,
        conditions=c.as_record() | {"charger": f"{charger_v:g} V"},
        note=stop.note,
    )
    bench.clock.sleep(2 * limit_s)
    _measure_inhibit(measure, bench, spec, c, charger_v)


def _measure_inhibit(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, c: Conditions, charger_v: float
) -> None:
    """Peak |i| over a whole polarity cycle on the most sensitive scale; if that record
    clips (codes 0 or 255), the peak is read on the L5 scale instead."""
    assert c.load_ohms is not None
    duration = 2 * half_cycle_s(spec) * 1.1
    resolution = period_s(spec, TIMING_FREQUENCY) / 250
    prime_record_length(bench, record_points(duration, resolution))
    cap = capture_current(
        bench,
        c.load_ohms,
        peak_a=max(upper(spec, "SAF-CHG-INHIBIT", "A"), 3 * FINEST_V_PER_DIV / c.load_ohms),
        duration_s=duration,
        resolution_s=resolution,
    )
    codes = cap.waveform.codes
    clipped = bool(codes.size and (codes.min() == 0 or codes.max() == 255))
    if clipped:
        cap = capture_current(
            bench, c.load_ohms, peak_a=screen_a(spec), duration_s=duration, resolution_s=resolution
        )
    peak = float(np.max(np.abs(cap.current_a)))
    scale = "L5 (the sensitive scale clipped)" if clipped else "most sensitive"
    measure(
        "SAF-CHG-INHIBIT",
        peak,
        "A",
        uncertainty=scope_budget(bench, peak, cap),
        instruments=["scope", "psu"],
        conditions=c.as_record() | {"charger": f"{charger_v:g} V", "window": f"{duration:g} s"},
        note=f"peak |i| on the {scale} scale (8-bit step {cap.step_a:.2e} A), noise included",
    )


@pytest.mark.requirement("SAF-CHG-DC")
def test_dc_current_while_charging(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, fresh_unit: testport.TestPort
) -> None:
    req = spec.requirement("SAF-CHG-DC")
    c = conditions_for(spec, req).but(level=5)
    charger_v = parse_quantity(req.conditions["charger"], "V")
    start_treatment(bench, c)
    set_charger(bench, charger_v)
    bench.clock.sleep(2 * upper(spec, "SAF-CHG-MIDSESSION", "s"))
    reading = worst_window_current(bench, count=readings_over_cycle(bench, spec))
    record_worst_window(
        measure,
        "SAF-CHG-DC",
        reading,
        instruments=["dmm", "psu"],
        conditions=c.as_record() | {"charger": f"{charger_v:g} V", "state": "charging"},
    )

"""Safety: over-current protection (its trip, peak and latch).

Every reaction time here is read on the scope, from the event the bench caused to the
moment the output reacted, in one record (``harness/procedures/reaction.py``, on
``events.py``). The unit's event log and status are never the evidence; where they are
read, it is only to record what the firmware believed beside what was measured.

* **SAF-OC-TRIP / -PEAK / -LATCH.** At L5 into 500 Ω (F3) the protection self-test is
  started over the test port while the scope is armed on the load current rising past
  the most any healthy setting may deliver (OUT-ABSMAX): that crossing is the onset of
  the over-current. The trip is the moment after which the current stays below 10 µA
  (the measurand's own definition) until the end of a record that runs on well past
  the limit; the peak is the largest |i| from onset to trip. The self-test forces its
  current in the polarity of the moment, so it is started early in a positive
  polarity half-cycle (found on the scope first); if the scope still sees no rising
  edge the test is repeated once, armed on a falling edge. Latch: after the trip the
  output must stay off (scope, over both polarities) while the load stays connected,
  and come back after a power cycle.
"""

from __future__ import annotations

import numpy as np
import pytest
from safety_spec import (
    HOLD_PERIODS,
    TRIP_OFF_A,
    half_cycle_s,
    l5_peak_a,
    period_s,
    screen_a,
    start_early_in_positive_half_cycle,
    timing_conditions,
    upper,
)

from harness.bench.station import Bench
from harness.dut import testport
from harness.errors import InstrumentError
from harness.judging.spec import Spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.activity import output_active
from harness.procedures.capture import (
    LOAD_CHANNEL,
    CurrentCapture,
    scope_budget,
)
from harness.procedures.events import (
    Bracket,
    first_crossing,
    output_stop,
)
from harness.procedures.reaction import (
    TIMING_RESOLUTION_S,
    EventRecord,
    ReactionTime,
    StopCriterion,
    load_magnitude,
    time_reaction,
)
from harness.procedures.treatment import (
    Conditions,
    start_treatment,
)
from harness.recording.captures import CaptureArchive

# --- over-current protection -----------------------------------------------------------


NO_ONSET = "no over-current onset seen on the scope in either polarity"


def _time_trip(bench: Bench, spec: Spec, c: Conditions, captures: CaptureArchive) -> ReactionTime:
    """Arm on the onset of the self-test's over-current, start it, time the trip.

    Onset: |i| rising through OUT-ABSMAX's limit. Trip: |i| (smoothed) below 10 µA from
    then to the end of the record."""
    assert c.load_ohms is not None
    onset_a = upper(spec, "OUT-ABSMAX", "A")
    period = period_s(spec, c.frequency)

    def onset(cap: CurrentCapture) -> Bracket | None:
        return first_crossing(cap.times, np.abs(cap.current_a), onset_a, after=float(cap.times[0]))

    for sign in (1.0, -1.0):
        start_early_in_positive_half_cycle(bench, spec, c)
        try:
            return time_reaction(
                bench,
                c.load_ohms,
                record=EventRecord(
                    trigger=(
                        LOAD_CHANNEL,
                        sign * onset_a * c.load_ohms,
                        "rising" if sign > 0 else "falling",
                    ),
                    action=bench.dut.start_ocp_selftest,
                    peak_a=upper(spec, "SAF-OC-PEAK", "A"),
                    duration_s=2 * upper(spec, "SAF-OC-TRIP", "s") + 2 * HOLD_PERIODS * period,
                    resolution_s=TIMING_RESOLUTION_S / 2,
                    pre_trigger_s=period / 2,
                    timeout_s=1.0,
                ),
                event=onset,
                stop=StopCriterion(TRIP_OFF_A, HOLD_PERIODS * period, pulsed=False),
                archive=captures,
                name="SAF-OC",
                no_event=NO_ONSET,
                not_stopped="no trip",  # detailed by _no_trip_note
                timed="tripped",
            )
        except InstrumentError:
            continue
    return ReactionTime(NO_ONSET)


def _overcurrent_peak(bench: Bench, trip: ReactionTime) -> tuple[float | None, UncertaintyBudget]:
    """Largest raw |i| from onset to trip (or to the end of the record when it did not
    trip): noise included, so it errs high."""
    if trip.capture is None or trip.event is None:
        return None, UncertaintyBudget()
    t, i = trip.capture.times, trip.capture.current_a
    end = trip.stop.after if trip.stop is not None else float(t[-1])
    peak = float(np.max(np.abs(i[(t >= trip.event.before) & (t <= end)])))
    return peak, scope_budget(bench, peak, trip.capture)


def _no_trip_note(trip: ReactionTime, peak_a: float, hold: float) -> str:
    """Why a record with an onset shows no trip: did the over-current end at all?"""
    assert trip.capture is not None and trip.event is not None
    t = trip.capture.times
    magnitude = load_magnitude(trip.capture)
    forced_end = output_stop(
        t, magnitude, peak_a / 2, after=trip.event.after, hold_s=hold, pulsed=False
    )
    residual = float(np.median(magnitude[t >= float(t[-1]) - hold]))
    ended = (
        "did not fall to half its peak early enough to tell"
        if forced_end is None
        else f"ended {(forced_end.estimate - trip.event.estimate) * 1e3:.1f} ms after onset"
    )
    return (
        f"no trip by the measurand's definition: the over-current {ended}, but |i| did "
        f"not stay below 10 uA (median of the last {hold * 1e3:g} ms: {residual * 1e6:.1f} uA)"
    )


@pytest.mark.requirement("SAF-OC-TRIP", "SAF-OC-PEAK", "SAF-OC-LATCH")
@pytest.mark.bench_time(10)
def test_overcurrent_trips_fast_and_latches(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = timing_conditions(spec, "SAF-OC-TRIP")
    record = c.as_record() | {"event": "protection self-test"}
    trip = _time_trip(bench, spec, c, captures)
    peak_a, peak_budget = _overcurrent_peak(bench, trip)
    note = trip.note
    if peak_a is not None and trip.stop is None:
        note = _no_trip_note(trip, peak_a, HOLD_PERIODS * period_s(spec, c.frequency))
    status = bench.dut.status()
    measure(
        "SAF-OC-TRIP",
        trip.seconds,
        "s",
        uncertainty=trip.budget,
        instruments=["scope", "dut"],
        attachments=trip.attachments,
        conditions=record,
        note=f"{note}; firmware fault flag: {status.fault}",
    )
    measure(
        "SAF-OC-PEAK",
        peak_a,
        "A",
        uncertainty=peak_budget,
        instruments=["scope", "dut"],
        attachments=trip.attachments,
        conditions=record,
        note=note,
    )
    _check_latch(measure, bench, spec, c, record)


def _check_latch(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, c: Conditions, record: dict[str, str]
) -> None:
    """Off on the scope over both polarities after the trip; back after a power cycle."""
    assert c.load_ohms is not None
    threshold = l5_peak_a(spec) * c.load_ohms / 10.0
    full_scale = screen_a(spec) * c.load_ohms
    watch = [output_active(bench, threshold_v=threshold, full_scale_v=full_scale)]
    for _ in range(2):
        bench.clock.sleep(half_cycle_s(spec))
        watch.append(output_active(bench, threshold_v=threshold, full_scale_v=full_scale))
    stayed_off = not any(watch)
    start_treatment(bench, c)  # the power cycle (off, on, level, load) and the soft start
    back = output_active(bench, threshold_v=threshold, full_scale_v=full_scale)
    measure.check(
        "SAF-OC-LATCH",
        stayed_off and back,
        detail=f"output after the self-test (3 looks over {2 * half_cycle_s(spec):g} s, "
        f"load connected): {'off' if stayed_off else 'ON'} {watch}; "
        f"after a power cycle: {'on' if back else 'OFF'}",
        instruments=["scope", "switch", "dut"],
        conditions=record,
    )

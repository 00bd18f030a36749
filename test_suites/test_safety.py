"""Safety: over-current protection, contact loss, the charger interlock, low battery.

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
* **SAF-NOCONTACT-DET.** At L5, F3 into 500 Ω the load is opened with the scope armed
  on channel 1 for the open-circuit voltage (five times the loaded pulse voltage, far
  below any working compliance voltage).
  Lift-off lies between the last pulse at the contact level and that edge; the output
  is suspended when the open-circuit pulses stop for good (their end, or the gap until
  the next pulse was due; both brackets are in the budget).
* **SAF-NOCONTACT-I.** From that suspended state the 100 kΩ load is connected (still no
  contact, > 50 kΩ) and the ammeter (1 mA range, 200 ms readings over > 2 s) gives the
  mean current per reading; the largest magnitude is judged
  (``harness/procedures/auxiliary.py`` explains the window).
* **SAF-RECONTACT.** Suspended at 100 kΩ, the 2 kΩ load is connected with the scope
  armed at 10 % of the expected L5 pulse height; the 10 %–90 % rise of the pulse
  envelope over 3 s (``harness.analysis``) is the restart ramp. F3 samples the envelope
  every 25 ms; interpolation between pulses is in the budget.
* **SAF-CHG-MIDSESSION.** At L5, F3 into 500 Ω the charger (5 V) is switched on with
  the scope armed on its input (channel 3); the output stops when the pulses stop.
* **SAF-CHG-INHIBIT.** With the charger powered (after the mid-session stop time has
  passed twice over), the peak |i| over a whole polarity cycle at 500 Ω: first at the
  L5 scale, and again at the most sensitive scale when the first shows nothing large.
* **SAF-CHG-DC.** With the charger powered at 10 kΩ, the ammeter as for
  SAF-NOCONTACT-I (a running output reads as a d.c. of alternating sign).
* **SAF-LOWBAT-WARN / -CUT / -HYST.** At L5 into 500 Ω the battery is ramped at the
  spec's 10 mV/s (10 mV per 1 s step of bench time) from nominal down until the output
  is cut, then up until it restarts (``battery_ramp.py``). The warning is the
  low-battery beep pair on the buzzer test point; output on/off is read on the scope.
  Each threshold is the supply readback at the step where the change was first seen.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis.waveform import analyze_current
from harness.bench.station import Bench
from harness.dut import testport
from harness.errors import InstrumentError
from harness.judging.spec import Spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.units import convert, parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.activity import output_active
from harness.procedures.auxiliary import WorstReading, worst_window_current
from harness.procedures.battery_ramp import StepObservation, observe_step, threshold_budget
from harness.procedures.capture import (
    CHARGER_CHANNEL,
    LOAD_CHANNEL,
    CurrentCapture,
    capture_current,
    keep,
    scope_budget,
    timing_budget,
)
from harness.procedures.events import (
    Bracket,
    first_crossing,
    last_level_before,
    output_stop,
    prime_record_length,
    record_points,
    triggered_capture,
    wait_for_positive_half_cycle,
)
from harness.procedures.reaction import (
    TIMING_RESOLUTION_S,
    EventRecord,
    ReactionTime,
    StopCriterion,
    load_magnitude,
    time_reaction,
)
from harness.procedures.shared_power_on import PowerOnShare
from harness.procedures.treatment import (
    Conditions,
    conditions_for,
    set_battery,
    set_charger,
    start_treatment,
)
from harness.recording.captures import CaptureArchive

TRIP_OFF_A = 10e-6
"""SAF-OC-TRIP's measurand: the trip is when the output falls below 10 µA."""
TIMING_FREQUENCY = 3
"""F3 (40 Hz): the shortest pulse gap, so "stopped" is told from "between pulses" soonest."""
HOLD_PERIODS = 4
"""The output counts as stopped once it stays quiet this many pulse periods."""
FINEST_V_PER_DIV = 1e-3
"""The most sensitive vertical scale the bench's scope accepts (DSOX1204G: 1 mV/div)."""


# --- values taken from the spec --------------------------------------------------------


def _nominal(spec: Spec, rid: str, unit: str) -> float:
    req = spec.requirement(rid)
    assert req.nominal_value is not None, f"{rid} has no nominal value"
    return convert(req.nominal_value, req.unit, unit)


def _upper(spec: Spec, rid: str, unit: str) -> float:
    req = spec.requirement(rid)
    assert req.upper_limit is not None, f"{rid} has no upper limit"
    return convert(req.upper_limit, req.unit, unit)


def _lower(spec: Spec, rid: str, unit: str) -> float:
    req = spec.requirement(rid)
    assert req.lower_limit is not None, f"{rid} has no lower limit"
    return convert(req.lower_limit, req.unit, unit)


def _l5_peak_a(spec: Spec) -> float:
    return _nominal(spec, "OUT-AMP-L5", "A")


def _screen_a(spec: Spec) -> float:
    """Scale that keeps every conforming L5 pulse on screen (OUT-AMP-L5 upper limit)."""
    return _upper(spec, "OUT-AMP-L5", "A")


def _period_s(spec: Spec, frequency: int | None) -> float:
    assert frequency is not None, "the RMD-1's safety timing needs its frequency settings"
    return 1.0 / _nominal(spec, f"WAV-FREQ-F{frequency}", "Hz")


def _half_cycle_s(spec: Spec) -> float:
    return _nominal(spec, "WAV-REV", "s")


def _charger_v(spec: Spec) -> float:
    return spec.header.nominal("charger", "V")


def _timing_conditions(spec: Spec, rid: str) -> Conditions:
    return conditions_for(spec, spec.requirement(rid)).but(frequency=TIMING_FREQUENCY)


def _start_early_in_positive_half_cycle(
    bench: Bench, spec: Spec, c: Conditions, share: PowerOnShare | None = None
) -> None:
    """Start the treatment (or join ``share``'s); return two pulse periods into a
    positive half-cycle."""
    assert c.load_ohms is not None
    period = _period_s(spec, c.frequency)
    if share is None:
        start_treatment(bench, c)
    else:
        share.start(bench, c)
    wait_for_positive_half_cycle(
        bench,
        c.load_ohms,
        peak_a=_screen_a(spec),
        half_cycle_s=_half_cycle_s(spec),
        lead_s=2 * period,
        pulse_period_s=period,
    )


# --- over-current protection -----------------------------------------------------------


NO_ONSET = "no over-current onset seen on the scope in either polarity"


def _time_trip(bench: Bench, spec: Spec, c: Conditions, captures: CaptureArchive) -> ReactionTime:
    """Arm on the onset of the self-test's over-current, start it, time the trip.

    Onset: |i| rising through OUT-ABSMAX's limit. Trip: |i| (smoothed) below 10 µA from
    then to the end of the record."""
    assert c.load_ohms is not None
    onset_a = _upper(spec, "OUT-ABSMAX", "A")
    period = _period_s(spec, c.frequency)

    def onset(cap: CurrentCapture) -> Bracket | None:
        return first_crossing(cap.times, np.abs(cap.current_a), onset_a, after=float(cap.times[0]))

    for sign in (1.0, -1.0):
        _start_early_in_positive_half_cycle(bench, spec, c)
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
                    peak_a=_upper(spec, "SAF-OC-PEAK", "A"),
                    duration_s=2 * _upper(spec, "SAF-OC-TRIP", "s") + 2 * HOLD_PERIODS * period,
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
    c = _timing_conditions(spec, "SAF-OC-TRIP")
    record = c.as_record() | {"event": "protection self-test"}
    trip = _time_trip(bench, spec, c, captures)
    peak_a, peak_budget = _overcurrent_peak(bench, trip)
    note = trip.note
    if peak_a is not None and trip.stop is None:
        note = _no_trip_note(trip, peak_a, HOLD_PERIODS * _period_s(spec, c.frequency))
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
    threshold = _l5_peak_a(spec) * c.load_ohms / 10.0
    full_scale = _screen_a(spec) * c.load_ohms
    watch = [output_active(bench, threshold_v=threshold, full_scale_v=full_scale)]
    for _ in range(2):
        bench.clock.sleep(_half_cycle_s(spec))
        watch.append(output_active(bench, threshold_v=threshold, full_scale_v=full_scale))
    stayed_off = not any(watch)
    start_treatment(bench, c)  # the power cycle (off, on, level, load) and the soft start
    back = output_active(bench, threshold_v=threshold, full_scale_v=full_scale)
    measure.check(
        "SAF-OC-LATCH",
        stayed_off and back,
        detail=f"output after the self-test (3 looks over {2 * _half_cycle_s(spec):g} s, "
        f"load connected): {'off' if stayed_off else 'ON'} {watch}; "
        f"after a power cycle: {'on' if back else 'OFF'}",
        instruments=["scope", "switch", "dut"],
        conditions=record,
    )


# --- contact loss and recontact --------------------------------------------------------


@pytest.mark.requirement("SAF-NOCONTACT-DET", "SAF-NOCONTACT-I")
@pytest.mark.bench_time(7)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_contact_loss_suspends_output(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    c = _timing_conditions(spec, "SAF-NOCONTACT-DET")
    assert c.load_ohms is not None
    period = _period_s(spec, c.frequency)
    v_open = _nominal(spec, "OUT-VCOMP", "V")
    _start_early_in_positive_half_cycle(bench, spec, c, shared_unit)
    pre = 2 * period
    # Lifted off, the spheres rise to the compliance voltage during each pulse. The edge
    # is taken well above the loaded pulse (5 x) yet far below any working compliance
    # voltage, so a weak boost converter (OUT-VCOMP's business) does not hide the event.
    trigger_v = min(v_open / 2.0, 5.0 * _l5_peak_a(spec) * c.load_ohms)
    contact_v = _l5_peak_a(spec) * c.load_ohms

    def lift_off(cap: CurrentCapture) -> Bracket | None:
        """Between the last pulse at the contact level and the open-circuit edge."""
        t = cap.times
        volts = load_magnitude(cap, on_voltage=True)
        edge = first_crossing(t, volts, trigger_v, after=float(t[0]))
        if edge is None:
            return None
        last_contact = last_level_before(t, volts, contact_v / 2, contact_v * 2, before=edge.before)
        return Bracket(last_contact if last_contact is not None else float(t[0]), edge.after)

    lifted_at: list[float] = []

    def lift() -> None:
        lifted_at.append(bench.clock.now())
        bench.select_load(None)

    try:
        suspension = time_reaction(
            bench,
            c.load_ohms,
            record=EventRecord(
                trigger=(LOAD_CHANNEL, trigger_v, "rising"),
                action=lift,
                peak_a=trigger_v / c.load_ohms,  # trigger level at 3 divisions
                duration_s=pre + 2 * _upper(spec, "SAF-NOCONTACT-DET", "s") + HOLD_PERIODS * period,
                resolution_s=TIMING_RESOLUTION_S,
                pre_trigger_s=pre,
                timeout_s=1.0,
            ),
            event=lift_off,
            # the open-circuit pulses stop for good
            stop=StopCriterion(trigger_v, HOLD_PERIODS * period, pulsed=True, on_voltage=True),
            archive=captures,
            name="SAF-NOCONTACT",
            no_event="the scope triggered but no open-circuit edge was found on its record",
            not_stopped="output not suspended before the record ended",
            timed="lift-off bracket {event_ms:.2f} ms, stop bracket {stop_ms:.2f} ms",
        )
    except InstrumentError as exc:
        suspension = ReactionTime(f"no open-circuit voltage seen after lift-off: {exc}")
    # a pause of a shared session: on record for TIM-SESSION once contact is made again
    shared_unit.lifted_off(suspension.stop_on_bench_clock(lifted_at[0]) if lifted_at else None)
    measure(
        "SAF-NOCONTACT-DET",
        suspension.seconds,
        "s",
        uncertainty=suspension.budget,
        instruments=["scope", "switch"],
        attachments=suspension.attachments,
        conditions=c.as_record() | {"load": "500 ohm to open"},
        note=suspension.note,
    )
    # suspended: 100 kOhm is still "no contact" (> 50 kOhm)
    suspended_ohms = parse_quantity(spec.requirement("SAF-NOCONTACT-I").conditions["load"], "ohm")
    bench.select_load(suspended_ohms)
    bench.clock.sleep(_upper(spec, "SAF-NOCONTACT-DET", "s"))
    reading = worst_window_current(bench, count=_readings_over_cycle(bench, spec))
    _record_worst_window(
        measure,
        "SAF-NOCONTACT-I",
        reading,
        instruments=["dmm", "switch"],
        conditions=c.as_record() | {"load": f"{suspended_ohms:g} ohm", "state": "suspended"},
    )
    shared_unit.put_back(bench, c)


def _readings_over_cycle(bench: Bench, spec: Spec) -> int:
    """Enough 200 ms readings to span a whole polarity cycle and then some."""
    bench.ammeter.configure_dc_current(1e-3, 10.0)
    return int(np.ceil(2 * _half_cycle_s(spec) / bench.ammeter.aperture_s)) + 2


@pytest.mark.requirement("SAF-RECONTACT")
@pytest.mark.bench_time(5)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_recontact_restarts_with_soft_ramp(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    evidence: list[str] = []
    req = spec.requirement("SAF-RECONTACT")
    c = conditions_for(spec, req).but(frequency=TIMING_FREQUENCY)
    lifted, touched = (
        parse_quantity(part, "ohm") for part in str(req.conditions["load"]).split(" to ")
    )
    shared_unit.start(bench, c.but(load_ohms=touched))
    # polled until suspended (a pause of the session), a record of one period at a time
    shared_unit.lift_off(bench, lifted, period_s=_period_s(spec, c.frequency))
    ramp_s = _nominal(spec, "WAV-RAMP", "s")
    back: list[float] = []

    def make_contact() -> None:
        back.append(bench.clock.now())
        bench.select_load(touched)

    pre = ramp_s / 4
    value: float | None = None
    budget = timing_budget(0.0, TIMING_RESOLUTION_S)
    note = ""
    try:
        cap = triggered_capture(
            bench,
            touched,
            peak_a=_screen_a(spec),
            duration_s=3 * ramp_s,
            resolution_s=2 * TIMING_RESOLUTION_S,
            trigger=(LOAD_CHANNEL, 0.1 * _l5_peak_a(spec) * touched, "rising"),
            pre_trigger_s=pre,
            action=make_contact,
            timeout_s=3 * ramp_s,
        )
    except InstrumentError as exc:
        cap = None
        note = f"no restart seen: {exc}"
    if back:
        shared_unit.contact_again_at(back[0])
    else:  # the scope never armed: contact again all the same
        shared_unit.put_back(bench, c.but(load_ohms=touched))
    if cap is not None:
        evidence.append(keep(captures, "SAF-RECONTACT", cap))
        metrics = analyze_current(cap.t0, cap.dt, cap.current_a, load_ohms=cap.load.ohms)
        value = metrics.ramp_time_s
        if value is None:
            note = "no ramp: the first pulse after contact was already at 90 % of the plateau"
        else:
            period = 1.0 / (metrics.frequency_hz or _nominal(spec, "WAV-FREQ-F3", "Hz"))
            final = max(metrics.peak_current_pos_a or 0.0, metrics.peak_current_neg_a or 0.0)
            budget = timing_budget(value, cap.dt)
            budget.add_rectangular("envelope interpolation at 10 %", period / 2)
            budget.add_rectangular("envelope interpolation at 90 %", period / 2)
            if final > 0:  # an 8-bit step of the envelope moves a crossing by step/slope
                slope = 0.8 / value
                budget.add_quantisation("8-bit step at 10 %", cap.step_a / final / slope)
                budget.add_quantisation("8-bit step at 90 %", cap.step_a / final / slope)
            note = f"overshoot {metrics.overshoot_pct}"
    measure(
        "SAF-RECONTACT",
        value,
        "s",
        uncertainty=budget,
        instruments=["scope", "switch"],
        attachments=evidence,
        conditions=c.as_record() | {"load": f"{lifted:g} ohm to {touched:g} ohm"},
        note=note,
    )


# --- charger interlock -----------------------------------------------------------------


@pytest.mark.requirement("SAF-CHG-MIDSESSION", "SAF-CHG-INHIBIT")
def test_charger_stops_and_inhibits_output(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    c = _timing_conditions(spec, "SAF-CHG-MIDSESSION")
    assert c.load_ohms is not None
    charger_v = _charger_v(spec)
    period = _period_s(spec, c.frequency)
    start_treatment(bench, c)
    bench.scope.configure_channel(CHARGER_CHANNEL, charger_v / 3.0, 0.0)
    pre = 2 * period
    limit_s = _upper(spec, "SAF-CHG-MIDSESSION", "s")

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
            peak_a=_screen_a(spec),
            duration_s=pre + 2 * limit_s + HOLD_PERIODS * period,
            resolution_s=TIMING_RESOLUTION_S,
            pre_trigger_s=pre,
            timeout_s=1.0,
        ),
        event=plugged,
        stop=StopCriterion(_l5_peak_a(spec) / 2.0, HOLD_PERIODS * period, pulsed=True),
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
    duration = 2 * _half_cycle_s(spec) * 1.1
    resolution = _period_s(spec, TIMING_FREQUENCY) / 250
    prime_record_length(bench, record_points(duration, resolution))
    cap = capture_current(
        bench,
        c.load_ohms,
        peak_a=max(_upper(spec, "SAF-CHG-INHIBIT", "A"), 3 * FINEST_V_PER_DIV / c.load_ohms),
        duration_s=duration,
        resolution_s=resolution,
    )
    codes = cap.waveform.codes
    clipped = bool(codes.size and (codes.min() == 0 or codes.max() == 255))
    if clipped:
        cap = capture_current(
            bench, c.load_ohms, peak_a=_screen_a(spec), duration_s=duration, resolution_s=resolution
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
    bench.clock.sleep(2 * _upper(spec, "SAF-CHG-MIDSESSION", "s"))
    reading = worst_window_current(bench, count=_readings_over_cycle(bench, spec))
    _record_worst_window(
        measure,
        "SAF-CHG-DC",
        reading,
        instruments=["dmm", "psu"],
        conditions=c.as_record() | {"charger": f"{charger_v:g} V", "state": "charging"},
    )


def _record_worst_window(
    measure: MeasureForCurrentTest,
    requirement_id: str,
    reading: WorstReading,
    *,
    instruments: list[str],
    conditions: dict[str, str],
) -> None:
    """Record the largest |current| of short ammeter windows (a d.c. limit no window
    may exceed), with the aperture as a condition and the signed value in the note."""
    measure(
        requirement_id,
        abs(reading.value_a),
        "A",
        uncertainty=reading.budget,
        instruments=instruments,
        conditions=conditions
        | {"aperture": f"{reading.aperture_s:g} s x {len(reading.readings_a)}"},
        note=f"largest |reading| of {len(reading.readings_a)}; signed {reading.value_a:.3e} A",
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
    floor_v = _lower(spec, "SAF-LOWBAT-CUT", "V") - 5 * step_v
    ceiling_v = _upper(spec, "SAF-LOWBAT-HYST", "V") + 5 * step_v
    start_treatment(bench, c)

    def observe(volts: float) -> StepObservation:
        return observe_step(
            bench,
            volts,
            dwell_s=step_s,
            load_ohms=float(c.load_ohms or 0.0),
            activity_threshold_a=_l5_peak_a(spec) / 10.0,
            full_scale_a=_screen_a(spec),
        )

    warn: StepObservation | None = None
    cut: StepObservation | None = None
    restart: StepObservation | None = None
    flag_at_warn: bool | None = None
    n = 0
    # the ramp itself begins five steps above the warning's upper limit (as it ends five
    # past each limit): the volts from the nominal cell down to there, where no
    # threshold lies, are one step and a dwell, not twenty seconds of ramp
    volts = min(c.battery_v, round(_upper(spec, "SAF-LOWBAT-WARN", "V") + 5 * step_v, 6))
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

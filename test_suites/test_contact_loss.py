"""Safety: contact loss and recontact.

Every reaction time here is read on the scope, from the event the bench caused to the
moment the output reacted, in one record (``harness/procedures/reaction.py``, on
``events.py``). The unit's event log and status are never the evidence; where they are
read, it is only to record what the firmware believed beside what was measured.

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

Both are guests of the auto-off's shared session (``harness.plugin.test_plan``): their
lift-offs pause its timer, and each pause goes on record for TIM-SESSION.
"""

from __future__ import annotations

import pytest
from safety_spec import (
    HOLD_PERIODS,
    TIMING_FREQUENCY,
    l5_peak_a,
    nominal,
    period_s,
    readings_over_cycle,
    record_worst_window,
    screen_a,
    start_early_in_positive_half_cycle,
    timing_conditions,
    upper,
)

from harness.analysis.waveform import analyze_current
from harness.bench.station import Bench
from harness.errors import InstrumentError
from harness.judging.spec import Spec
from harness.judging.units import parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.auxiliary import worst_window_current
from harness.procedures.capture import (
    LOAD_CHANNEL,
    CurrentCapture,
    keep,
    timing_budget,
)
from harness.procedures.events import (
    Bracket,
    first_crossing,
    last_level_before,
    triggered_capture,
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
    conditions_for,
)
from harness.recording.captures import CaptureArchive

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
    c = timing_conditions(spec, "SAF-NOCONTACT-DET")
    assert c.load_ohms is not None
    period = period_s(spec, c.frequency)
    v_open = nominal(spec, "OUT-VCOMP", "V")
    start_early_in_positive_half_cycle(bench, spec, c, shared_unit)
    pre = 2 * period
    # Lifted off, the spheres rise to the compliance voltage during each pulse. The edge
    # is taken well above the loaded pulse (5 x) yet far below any working compliance
    # voltage, so a weak boost converter (OUT-VCOMP's business) does not hide the event.
    trigger_v = min(v_open / 2.0, 5.0 * l5_peak_a(spec) * c.load_ohms)
    contact_v = l5_peak_a(spec) * c.load_ohms

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

    def lift() -> None:  # the relay command's start and return, on the bench clock
        lifted_at.append(bench.clock.now())
        bench.select_load(None)
        lifted_at.append(bench.clock.now())

    try:
        suspension = time_reaction(
            bench,
            c.load_ohms,
            record=EventRecord(
                trigger=(LOAD_CHANNEL, trigger_v, "rising"),
                action=lift,
                peak_a=trigger_v / c.load_ohms,  # trigger level at 3 divisions
                duration_s=pre + 2 * upper(spec, "SAF-NOCONTACT-DET", "s") + HOLD_PERIODS * period,
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
    shared_unit.lifted_off(suspension.stop_on_bench_clock(*lifted_at[:2]) if lifted_at else None)
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
    bench.clock.sleep(upper(spec, "SAF-NOCONTACT-DET", "s"))
    reading = worst_window_current(bench, count=readings_over_cycle(bench, spec))
    record_worst_window(
        measure,
        "SAF-NOCONTACT-I",
        reading,
        instruments=["dmm", "switch"],
        conditions=c.as_record() | {"load": f"{suspended_ohms:g} ohm", "state": "suspended"},
    )
    shared_unit.put_back(bench, c)


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
    shared_unit.lift_off(bench, lifted, period_s=period_s(spec, c.frequency))
    ramp_s = nominal(spec, "WAV-RAMP", "s")
    back: list[float] = []

    def make_contact() -> None:  # contact once the relay command returned (as put_back)
        bench.select_load(touched)
        back.append(bench.clock.now())

    pre = ramp_s / 4
    value: float | None = None
    budget = timing_budget(0.0, TIMING_RESOLUTION_S)
    note = ""
    try:
        cap = triggered_capture(
            bench,
            touched,
            peak_a=screen_a(spec),
            duration_s=3 * ramp_s,
            resolution_s=2 * TIMING_RESOLUTION_S,
            trigger=(LOAD_CHANNEL, 0.1 * l5_peak_a(spec) * touched, "rising"),
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
            period = 1.0 / (metrics.frequency_hz or nominal(spec, "WAV-FREQ-F3", "Hz"))
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

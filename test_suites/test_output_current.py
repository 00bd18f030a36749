"""Output current: amplitude per level, load and battery regulation, BOOST, limits.

What is checked, and how:

* **OUT-AMP-L1..L5**: the peak current of both polarities at each level into 500 Ω,
  from a scope record across the load (i = v/R; median plateau over complete phases).
* **OUT-LOAD-2K / -10K**: a constant-current stage delivers the same current into 2 kΩ
  and 10 kΩ as into 500 Ω until it runs out of compliance voltage. Measured as the ratio
  of the pulse plateaus the ammeter samples (short apertures, both polarities, a leak
  cancels) at each load and at 500 Ω, on one range, so the meter's gain error cancels.
* **OUT-VCOMP**: the open-circuit voltage of the first pulses after the load opens,
  before contact detection suspends the output.
* **OUT-ABSMAX**: the peak at level 5 with BOOST pressed twice, at 500 Ω, 2 kΩ, 10 kΩ.
* **OUT-MIN**: the d.c. current through 500 Ω with stimulation off.
* **OUT-MONO**: levels stepped up with the unit's own button from L1: each level's peak
  exceeds the previous one and a sixth press wraps to level 1.
* **OUT-BOOST / -AMP**: at level 3, how long the output stays one level up after BOOST,
  and how high it is.
* **OUT-LINE**: the level-5 plateau at battery 3.4 V and 4.2 V relative to nominal,
  sampled the same way.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from safety_spec import period_s, start_early_in_positive_half_cycle

from harness.analysis.waveform import WaveformMetrics
from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.units import parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.capture import (
    LOAD_CHANNEL,
    CurrentCapture,
    analyse,
    capture_current,
    keep,
    scope_budget,
    timing_budget,
)
from harness.procedures.dmm import SampledOutput, read_dc_current, sample_output
from harness.procedures.shared_power_on import PowerOnShare
from harness.procedures.treatment import Conditions, conditions_for, set_battery, start_treatment
from harness.procedures.unit_control import power_off
from harness.recording.captures import CaptureArchive

RATIO_RANGE_A = 1e-3
LEVELS = (1, 2, 3, 4, 5)
VCOMP_POINTS = 10_000


def nominal_peak_a(spec: Spec, level: int) -> float:
    """Level ``level``'s nominal peak (A), to scale the scope; never a limit."""
    nominal = spec.requirement(f"OUT-AMP-L{level}").nominal_value
    return (nominal or 400.0) * 1e-6


def peak_capture(
    bench: Bench,
    share: PowerOnShare,
    spec: Spec,
    c: Conditions,
    *,
    expected_a: float,
    duration_s: float = 2.2,
) -> tuple[CurrentCapture, WaveformMetrics]:
    share.start(bench, c)
    assert c.load_ohms is not None
    capture = capture_current(
        bench, c.load_ohms, peak_a=expected_a, duration_s=duration_s, resolution_s=20e-6
    )
    return capture, analyse(capture)


@pytest.mark.parametrize(
    "level",
    [
        pytest.param(lv, marks=pytest.mark.requirement(f"OUT-AMP-L{lv}"), id=f"L{lv}")
        for lv in LEVELS
    ],
)
@pytest.mark.bench_time(3)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_peak_current_at_each_level(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
    level: int,
) -> None:
    rid = f"OUT-AMP-L{level}"
    c = conditions_for(spec, spec.requirement(rid))
    capture, metrics = peak_capture(
        bench, shared_unit, spec, c, expected_a=nominal_peak_a(spec, level)
    )
    evidence = [keep(captures, rid, capture)]
    for polarity, value in (("+", metrics.peak_current_pos_a), ("-", metrics.peak_current_neg_a)):
        budget = scope_budget(bench, value or 0.0, capture)
        measure(
            rid,
            value,
            "A",
            uncertainty=budget,
            instruments=["scope", "switch"],
            attachments=evidence,
            conditions={**c.as_record(), "polarity": polarity},
        )


@pytest.mark.parametrize(
    "rid",
    [
        pytest.param(r, marks=pytest.mark.requirement(r), id=r)
        for r in ("OUT-LOAD-2K", "OUT-LOAD-10K")
    ],
)
@pytest.mark.bench_time(33)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_current_independent_of_load(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    rid: str,
) -> None:
    req = spec.requirement(rid)
    load = parse_quantity(req.conditions["load"], "ohm")
    reference = parse_quantity(req.conditions["reference_load"], "ohm")
    base = conditions_for(spec, req)
    for level in LEVELS:
        c = base.but(level=level, load_ohms=reference)
        shared_unit.start(bench, c)
        ref = sample_output(bench, range_a=RATIO_RANGE_A)
        bench.select_load(load)
        bench.clock.sleep(0.5)
        at_load = sample_output(bench, range_a=RATIO_RANGE_A)
        ratio = at_load.plateau_a / ref.plateau_a if ref.plateau_a > 0 else None
        measure(
            rid,
            ratio,
            "",
            uncertainty=ratio_budget(ratio, ref, at_load),
            instruments=["dmm", "switch"],
            conditions={
                **c.but(load_ohms=load).as_record(),
                "reference_load": f"{reference:g} ohm",
            },
        )


def ratio_budget(
    ratio: float | None, ref: SampledOutput, other: SampledOutput, scale: float = 1.0
) -> UncertaintyBudget:
    """Relative components of two readings on one range, applied to their ratio.

    The meter's gain (% of reading) is common to both and cancels; its offset (% of
    range) and each reading's repeatability do not.
    """
    budget = UncertaintyBudget()
    for name, reading in (("reference", ref), ("compared", other)):
        for comp in reading.budget.components:
            if comp.name == "ammeter accuracy":
                continue  # gain common to both readings on one range
            rel = comp.contribution / reading.plateau_a if reading.plateau_a else 0.0
            budget.add_normal(
                f"{name}: {comp.name}",
                scale * (ratio or 0.0) * rel,
                degrees_of_freedom=comp.degrees_of_freedom,  # a Type A line keeps its n - 1
                evaluation=comp.evaluation,
            )
        budget.add_rectangular(
            f"{name}: ammeter offset (0.005 % of range)",
            scale * (ratio or 0.0) * 5e-5 * RATIO_RANGE_A / max(reading.plateau_a, 1e-12),
        )
    return budget


@pytest.mark.requirement("OUT-VCOMP")
@pytest.mark.bench_time(3)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_open_circuit_voltage(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    req = spec.requirement("OUT-VCOMP")
    c = conditions_for(spec, req).but(load_ohms=500.0, frequency=3)
    # the open-circuit pulses are read on the rising edge, so the lift-off comes early in
    # a positive half-cycle (a guest joins at any phase of the polarity cycle)
    start_early_in_positive_half_cycle(bench, spec, c, shared_unit)
    period = period_s(spec, c.frequency)
    nominal_v = req.nominal_value or 12.0
    bench.scope.configure_channel(LOAD_CHANNEL, nominal_v * 1.4 / 4.0, 0.0)
    duration = 0.1
    bench.scope.configure_timebase(
        bench.scope.limits.seconds_per_div_for(duration), duration / 2.0 - 0.01
    )
    bench.scope.configure_record(VCOMP_POINTS)  # nothing an earlier test set reaches it
    bench.scope.configure_edge_trigger(LOAD_CHANNEL, nominal_v / 4.0, "rising", "normal")
    bench.scope.arm_single()
    lifted_at = bench.clock.now()
    bench.select_load(None)
    bench.scope.wait_acquired(5.0)
    wave = bench.scope.read_waveform(LOAD_CHANNEL, VCOMP_POINTS)
    # the lift-off pauses a shared session: its suspension polled, then contact again
    shared_unit.lifted_off(shared_unit.suspension_since(bench, lifted_at, period_s=period))
    shared_unit.put_back(bench, c)
    evidence = [keep(captures, "OUT-VCOMP", wave, load_ohms=None)]
    high = np.abs(wave.volts) > 0.5 * np.max(np.abs(wave.volts))
    value = float(np.median(np.abs(wave.volts[high]))) if high.any() else None
    entry = bench.file.instrument("oscilloscope")
    gain = entry.accuracy[0].reading_pct if entry and entry.accuracy else 3.0
    budget = UncertaintyBudget().add_accuracy("scope vertical gain", value or 0.0, gain, 0.0, 0.0)
    budget.add_quantisation("8-bit step", 8 * nominal_v * 1.4 / 4.0 / 256)
    measure(
        "OUT-VCOMP",
        value,
        "V",
        uncertainty=budget,
        instruments=["scope", "switch"],
        attachments=evidence,
        conditions={**c.but(load_ohms=None).as_record(), "when": "first pulses after opening"},
    )


@pytest.mark.requirement("OUT-ABSMAX")
@pytest.mark.parametrize("load_ohms", [500.0, 2000.0, 10_000.0])
def test_absolute_maximum_with_boost(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
    load_ohms: float,
) -> None:
    c = conditions_for(spec, spec.requirement("OUT-ABSMAX")).but(level=5, load_ohms=load_ohms)
    start_treatment(bench, c)
    bench.dut.boost()
    bench.dut.boost()  # a second press must not raise the output further
    bench.clock.sleep(0.5)
    capture = capture_current(
        bench, load_ohms, peak_a=nominal_peak_a(spec, 5) * 1.3, duration_s=2.2, resolution_s=20e-6
    )
    metrics = analyse(capture)
    evidence = [keep(captures, f"OUT-ABSMAX-{load_ohms:g}ohm", capture)]
    peaks = [p for p in (metrics.peak_current_pos_a, metrics.peak_current_neg_a) if p]
    value = max(peaks) if peaks else None
    measure(
        "OUT-ABSMAX",
        value,
        "A",
        uncertainty=scope_budget(bench, value or 0.0, capture),
        instruments=["scope", "switch"],
        attachments=evidence,
        conditions={**c.as_record(), "boost": "pressed twice"},
    )


@pytest.mark.requirement("OUT-MIN")
def test_output_when_stimulation_is_off(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, fresh_unit: testport.TestPort
) -> None:
    c = conditions_for(spec, spec.requirement("OUT-MIN"))
    power_off(bench)  # over the port, or POWER pressed and the off-current seen
    bench.select_load(c.load_ohms)
    bench.clock.sleep(0.5)
    reading = read_dc_current(bench, range_a=RATIO_RANGE_A, nplc=10.0, count=5)
    measure(
        "OUT-MIN",
        abs(reading.mean_a),
        "A",
        uncertainty=reading.budget,
        instruments=["dmm", "switch"],
        conditions={**c.as_record(), "state": "unit off"},
    )


@pytest.mark.requirement("OUT-MONO")
@pytest.mark.bench_time(20)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_levels_monotonic_and_wrap(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, shared_unit: PowerOnShare
) -> None:
    c = conditions_for(spec, spec.requirement("OUT-MONO")).but(level=1)
    shared_unit.start(bench, c)
    plateaus = [sample_output(bench, range_a=RATIO_RANGE_A).plateau_a]
    for _press in range(5):
        bench.dut.level_up()
        bench.clock.sleep(0.5)
        plateaus.append(sample_output(bench, range_a=RATIO_RANGE_A).plateau_a)
    rising = all(b > a * 1.05 for a, b in itertools.pairwise(plateaus[:5]))
    wrapped = abs(plateaus[5] - plateaus[0]) <= 0.1 * plateaus[0] and plateaus[5] < plateaus[4] / 2
    text = ", ".join(f"{m * 1e6:.1f}" for m in plateaus)
    measure.check(
        "OUT-MONO",
        rising and wrapped,
        instruments=["dmm", "dut"],
        detail=f"plateau uA after 0..5 presses from L1: {text}; "
        f"rising: {rising}; wraps to L1: {wrapped}",
    )


@pytest.mark.requirement("OUT-BOOST", "OUT-BOOST-AMP")
@pytest.mark.bench_time(17)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_boost_duration_and_amplitude(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    req = spec.requirement("OUT-BOOST")
    c = conditions_for(spec, req).but(frequency=3)
    # BOOST is a button pressed during a treatment, so it can be timed as a guest; its
    # record runs past the boost's end, and a unit still boosted after it closes the
    # shared power-on (``PowerOnShare.leave``), so no later guest measures boosted output
    shared_unit.start(bench, c)
    load = c.load_ohms or 500.0
    # the threshold sits between the level's *measured* current and one level up, so a
    # gain error (OUT-AMP's business) does not make every pulse look boosted
    base = analyse(
        capture_current(
            bench, load, peak_a=nominal_peak_a(spec, c.level), duration_s=2.2, resolution_s=50e-6
        )
    )
    base_a = max(base.peak_current_pos_a or 0.0, base.peak_current_neg_a or 0.0)
    step = nominal_peak_a(spec, c.level + 1) / nominal_peak_a(spec, c.level)
    threshold = base_a * (1.0 + step) / 2.0
    record = (req.upper_limit or 10.5) * 1.3
    capture = capture_current(
        bench,
        load,
        peak_a=base_a * step * 1.1,
        duration_s=record,
        resolution_s=record / 1e6,
        trigger=(LOAD_CHANNEL, threshold * load, "rising"),
        pre_trigger_s=1.2,
        action=bench.dut.boost,
    )
    above = np.flatnonzero(np.abs(capture.current_a) > threshold)
    evidence = [keep(captures, "OUT-BOOST", capture)]
    duration = float((above[-1] - above[0]) * capture.dt) if above.size else None
    runs_to_end = bool(above.size) and above[-1] >= capture.current_a.size - 2
    period = 1.0 / 40.0
    budget = timing_budget(duration or 0.0, capture.dt).add_rectangular(
        "pulse gap at either end (F3)", period / 2.0
    )
    measure(
        "OUT-BOOST",
        duration,
        "s",
        uncertainty=budget,
        instruments=["scope", "dut"],
        attachments=evidence,
        conditions={**c.as_record(), "record_s": f"{record:g}"},
        note="still boosted at the end of the record" if runs_to_end else "",
    )
    boosted = np.abs(capture.current_a[above]) if above.size else np.array([np.nan])
    value = float(np.median(boosted))
    measure(
        "OUT-BOOST-AMP",
        value,
        "A",
        uncertainty=scope_budget(bench, value, capture),
        instruments=["scope", "dut"],
        attachments=evidence,
        conditions={**c.as_record(), "boost": "on"},
    )


@pytest.mark.requirement("OUT-LINE")
@pytest.mark.bench_time(10)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_line_regulation_over_battery_range(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, shared_unit: PowerOnShare
) -> None:
    req = spec.requirement("OUT-LINE")
    c = conditions_for(spec, req).but(level=5, load_ohms=500.0)
    low, high = (parse_quantity(v.strip(), "V") for v in str(req.conditions["battery"]).split("to"))
    # a guest: it joins at the nominal battery and leaves it there (checked on leaving)
    shared_unit.start(bench, c)
    nominal = sample_output(bench, range_a=RATIO_RANGE_A)
    for volts in (low, high):
        set_battery(bench, volts)
        bench.clock.sleep(0.5)
        reading = sample_output(bench, range_a=RATIO_RANGE_A)
        ratio = reading.plateau_a / nominal.plateau_a if nominal.plateau_a else None
        change = (ratio - 1.0) * 100.0 if ratio is not None else None
        measure(
            "OUT-LINE",
            change,
            "%",
            uncertainty=ratio_budget(ratio, nominal, reading, 100.0),
            instruments=["dmm", "psu"],
            conditions={
                **c.but(battery_v=volts).as_record(),
                "reference_battery": f"{c.battery_v:g} V",
            },
        )
    set_battery(bench, c.battery_v)

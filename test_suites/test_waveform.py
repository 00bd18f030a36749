"""Waveform: timing, charge, d.c. component, averages, densities, soft start, overshoot.

Every number here except WAV-DC comes from a scope record of the load current analysed
by `harness.analysis` (phases split at a threshold set from the signal; per-phase
widths at 50 % of the plateau, plateaus, charges; record values over whole polarity
cycles). WAV-DC is the scope's mean current over at least five whole polarity cycles *of
the unit's own timing*, measured against zero current: the bench first measures the
scope's own offset (unit off, load path open, same settings; `procedures/zero.py`), so a
leak between the pulses counts, as it must. The ammeter cross-checks the scope on the
current between pulses (the leak): when the two disagree the bench is suspect and the
d.c. value is not shown. An integrating ammeter alone would need its aperture locked to
the unit's polarity cycle, which a drifting unit clock breaks.

Timing budgets: the timebase accuracy (±50 ppm) and the edge resolution of the record;
amplitude budgets: the scope's vertical accuracy and the load tolerance (bench file).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis.waveform import WaveformMetrics, analyze_current
from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.units import parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.budgets import scope_gain
from harness.procedures.capture import (
    LOAD_CHANNEL,
    CurrentCapture,
    analyse,
    capture_current,
    keep,
    scope_budget,
)
from harness.procedures.conditions import nominal_period_s
from harness.procedures.dmm import sample_output
from harness.procedures.shared_power_on import PowerOnShare
from harness.procedures.soft_start import capture_contact, ramp_budget
from harness.procedures.treatment import Conditions, conditions_for
from harness.procedures.zero import measure_scope_zero
from harness.recording.captures import CaptureArchive

TIMEBASE_FRACTION = 50e-6
DC_RANGE_A = 1e-3
DC_MIN_CYCLES = 5
"""WAV-DC is taken over at least five whole polarity cycles of the unit's own timing."""
DC_RECORD_S = 12.5
"""Five whole 2 s cycles wherever the record starts, with room for a slow unit clock."""


def nominal_peak_a(spec: Spec, level: int) -> float:
    nominal = spec.requirement(f"OUT-AMP-L{level}").nominal_value
    return (nominal or 400.0) * 1e-6


def electrode_area_cm2(spec: Spec, rid: str) -> float:
    text = spec.requirement(rid).conditions.get("electrode_area", spec.header.electrode_area)
    return parse_quantity(text if text is not None else "0.5 cm^2", "cm^2")


def capture_at(
    bench: Bench,
    share: PowerOnShare,
    spec: Spec,
    c: Conditions,
    duration_s: float,
    resolution_s: float = 20e-6,
) -> tuple[CurrentCapture, WaveformMetrics]:
    share.start(bench, c)
    assert c.load_ohms is not None
    cap = capture_current(
        bench,
        c.load_ohms,
        peak_a=nominal_peak_a(spec, c.level),
        duration_s=duration_s,
        resolution_s=resolution_s,
    )
    return cap, analyse(cap)


def time_budget(value: float, resolution_s: float, span_s: float) -> UncertaintyBudget:
    """A time (or, with span, a rate) from edges: timebase plus edge resolution."""
    return (
        UncertaintyBudget()
        .add_rectangular("scope timebase ±50 ppm", abs(value) * TIMEBASE_FRACTION)
        .add_rectangular("edge resolution", abs(value) * resolution_s / span_s)
    )


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param(f, marks=pytest.mark.requirement(f"WAV-FREQ-F{f}", f"WAV-PW-F{f}"), id=f"F{f}")
        for f in (1, 2, 3)
    ],
)
@pytest.mark.bench_time(4)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_pulse_frequency_and_width(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
    setting: int,
) -> None:
    f_id, w_id = f"WAV-FREQ-F{setting}", f"WAV-PW-F{setting}"
    c = conditions_for(spec, spec.requirement(f_id))
    duration = 2.2 if setting > 1 else 4.2
    cap, m = capture_at(bench, shared_unit, spec, c, duration)
    evidence = [keep(captures, f_id, cap)]
    span = m.duration_s
    measure(
        f_id,
        m.frequency_hz,
        "Hz",
        uncertainty=time_budget(m.frequency_hz or 0.0, cap.dt, span),
        instruments=["scope"],
        attachments=evidence,
        conditions=c.as_record(),
    )
    for polarity, width in (("+", m.pulse_width_pos_s), ("-", m.pulse_width_neg_s)):
        budget = (
            UncertaintyBudget()
            .add_rectangular("scope timebase ±50 ppm", (width or 0.0) * TIMEBASE_FRACTION)
            .add_rectangular("50 % crossings, interpolated", cap.dt / 2.0)
        )
        measure(
            w_id,
            width,
            "s",
            uncertainty=budget,
            instruments=["scope"],
            attachments=evidence,
            conditions={**c.as_record(), "polarity": polarity},
        )


@pytest.mark.requirement("WAV-REV")
@pytest.mark.bench_time(6)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_polarity_reversal_interval(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-REV"))
    cap, m = capture_at(bench, shared_unit, spec, c, 5.0, resolution_s=50e-6)
    evidence = [keep(captures, "WAV-REV", cap)]
    half = m.polarity_period_s / 2.0 if m.polarity_period_s else None
    pulse_period = 1.0 / m.frequency_hz if m.frequency_hz else 0.0
    budget = (
        UncertaintyBudget()
        .add_rectangular("scope timebase ±50 ppm", (half or 0.0) * TIMEBASE_FRACTION)
        .add_rectangular("reversal located to a pulse period", pulse_period / 4.0)
    )
    measure(
        "WAV-REV",
        half,
        "s",
        uncertainty=budget,
        instruments=["scope"],
        attachments=evidence,
        conditions=c.as_record(),
    )


@pytest.mark.requirement("WAV-QPH")
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_maximum_phase_charge(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-QPH"))
    cap, m = capture_at(bench, shared_unit, spec, c, 4.2)
    evidence = [keep(captures, "WAV-QPH", cap)]
    value = m.max_charge_per_phase_c
    budget = scope_budget(bench, value or 0.0, cap, step=cap.step_a * (m.pulse_width_pos_s or 0.0))
    measure(
        "WAV-QPH",
        value,
        "C",
        uncertainty=budget,
        instruments=["scope"],
        attachments=evidence,
        conditions=c.as_record(),
    )


@pytest.mark.requirement("WAV-DC")
@pytest.mark.parametrize("load_ohms", [500.0, 10_000.0])
@pytest.mark.bench_time(17)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_dc_component(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
    load_ohms: float,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-DC")).but(load_ohms=load_ohms, level=5)
    peak = nominal_peak_a(spec, c.level)
    # the scope's zero with the load path open: lifted off the treatment (a pause of its
    # session, on record for TIM-SESSION when it is a shared one), then contact again
    shared_unit.start(bench, c)
    if shared_unit.lift_off(bench, period_s=nominal_period_s(spec, c.frequency)) is not None:
        zero = measure_scope_zero(bench, load_ohms, peak_a=peak, unit_off=False)
        shared_unit.put_back(bench, c)
    else:  # still driving the open spheres: the zero needs the unit off, then a start
        shared_unit.put_back(bench, c, settle_s=0.0)  # closes a shared window
        zero = measure_scope_zero(bench, load_ohms, peak_a=peak)
        shared_unit.start(bench, c)
    cap = capture_current(bench, load_ohms, peak_a=peak, duration_s=DC_RECORD_S, resolution_s=10e-6)
    m = analyze_current(
        cap.t0, cap.dt, cap.current_a, load_ohms=cap.load.ohms,
        zero_offset=zero.offset_a, zero_offset_u=zero.expanded_u_a,
        min_polarity_cycles=DC_MIN_CYCLES,
    )  # fmt: skip
    evidence = [
        keep(captures, f"WAV-DC-{load_ohms:g}ohm", cap),
        keep(captures, f"WAV-DC-{load_ohms:g}ohm-zero", zero.capture),
    ]
    gaps = sample_output(bench, range_a=DC_RANGE_A)
    conditions = {
        **c.as_record(),
        "scope_zero": zero.describe(),
        "whole_polarity_cycles": str(m.whole_cycles),
    }
    value = m.mean_current_a
    if value is None:
        reason = m.reasons.get("mean_current_a", "the record shows no d.c. component")
        measure("WAV-DC", None, "A", instruments=["scope", "switch"], attachments=evidence,
                conditions=conditions, note=f"not measurable: {reason}")  # fmt: skip
        return
    budget = scope_gain(UncertaintyBudget(), bench.file, value)
    budget.add_normal("record: noise, 8-bit step, zero (k = 2 / 2)", m.uncertainty.get(
        "mean_current_a", 0.0) / 2.0)  # fmt: skip
    measure(
        "WAV-DC",
        value,
        "A",
        uncertainty=budget,
        instruments=["scope", "dmm", "switch"],
        attachments=evidence,
        conditions={**conditions, "window": f"{m.averaging_window_s:.2f} s"},
    )
    # the two instruments must agree on the current between pulses (a leak): the scope
    # against its measured zero, the ammeter sampling the gaps; if they do not, the bench
    # (a probe, a shunt, the zero) is suspect and the d.c. value above is not shown
    scope_gap = m.baseline_current_a
    allowed = 2.0 * math.hypot(
        zero.expanded_u_a, m.uncertainty.get("baseline_current_a", 0.0), 0.03 * abs(scope_gap),
        5e-5 * DC_RANGE_A, 2.0 * float(np.std(gaps.gaps)) if len(gaps.gaps) > 1 else 0.0,
    )  # fmt: skip
    assert abs(scope_gap - gaps.gap_a) <= max(allowed, 0.2e-6), (
        f"scope ({scope_gap * 1e6:.3f} uA) and ammeter ({gaps.gap_a * 1e6:.3f} uA) disagree "
        "on the current between pulses: the bench is suspect"
    )


@pytest.mark.requirement("WAV-IAVG", "WAV-JRMS")
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_average_current_and_rms_density(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-IAVG"))
    area = electrode_area_cm2(spec, "WAV-JRMS")
    shared_unit.start(bench, c)
    cap = capture_current(
        bench,
        c.load_ohms or 500.0,
        peak_a=nominal_peak_a(spec, c.level),
        duration_s=4.2,
        resolution_s=20e-6,
    )
    m = analyse(cap, area)
    evidence = [keep(captures, "WAV-IAVG", cap)]
    measure(
        "WAV-IAVG",
        m.average_abs_current_a,
        "A",
        uncertainty=scope_budget(bench, m.average_abs_current_a, cap),
        instruments=["scope"],
        attachments=evidence,
        conditions=c.as_record(),
    )
    j = m.rms_current_density_a_per_cm2
    measure(
        "WAV-JRMS",
        j,
        "A/cm^2",
        uncertainty=scope_budget(bench, j or 0.0, cap, step=cap.step_a / area),
        instruments=["scope"],
        attachments=evidence,
        conditions={**c.as_record(), "electrode_area": f"{area} cm^2"},
    )


@pytest.mark.requirement("WAV-PDENS")
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_average_power_density(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    req = spec.requirement("WAV-PDENS")
    c = conditions_for(spec, req)
    area = electrode_area_cm2(spec, "WAV-PDENS")
    shared_unit.start(bench, c)
    cap = capture_current(
        bench,
        c.load_ohms or 10_000.0,
        peak_a=nominal_peak_a(spec, c.level),
        duration_s=4.2,
        resolution_s=20e-6,
    )
    m = analyse(cap, area)
    evidence = [keep(captures, "WAV-PDENS", cap)]
    p = m.power_density_w_per_cm2
    # power goes with i²: twice the relative uncertainty of the current
    rel = scope_budget(bench, 1.0, cap).combined()
    budget = UncertaintyBudget().add_normal("2 x relative current uncertainty", 2 * rel * (p or 0))
    measure(
        "WAV-PDENS",
        p,
        "W/cm^2",
        uncertainty=budget,
        instruments=["scope"],
        attachments=evidence,
        conditions={**c.as_record(), "electrode_area": f"{area} cm^2"},
    )


@pytest.mark.requirement("WAV-RAMP", "WAV-OVS")
def test_soft_start_and_overshoot_on_contact(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    fresh_unit: testport.TestPort,
    captures: CaptureArchive,
) -> None:
    """The envelope from contact to plateau (``procedures.soft_start``): the rise time is
    read off every pulse of the record, so no earlier test (the scope's noise it used up)
    moves it."""
    c = conditions_for(spec, spec.requirement("WAV-RAMP")).but(frequency=3)
    cap = capture_contact(bench, c, nominal_peak_a(spec, c.level))
    m = analyse(cap)
    evidence = [keep(captures, "WAV-RAMP-contact", cap)]
    measure(
        "WAV-RAMP",
        m.ramp_time_s,
        "s",
        uncertainty=ramp_budget(m.ramp_time_s, m.frequency_hz),
        instruments=["scope", "switch"],
        attachments=evidence,
        conditions={**c.as_record(), "event": "contact made"},
    )
    measure(
        "WAV-OVS",
        m.overshoot_pct,
        "%",
        uncertainty=_overshoot_budget(cap),
        instruments=["scope", "switch"],
        attachments=evidence,
        conditions={**c.as_record(), "event": "contact made"},
    )


def _overshoot_budget(cap: CurrentCapture) -> UncertaintyBudget:
    peak = float(abs(cap.current_a).max()) or 1.0
    return UncertaintyBudget().add_quantisation(
        "8-bit step relative to the plateau", 100.0 * cap.step_a / peak
    )


@pytest.mark.requirement("WAV-OVS")
@pytest.mark.bench_time(3)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_overshoot_on_level_change(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    c = conditions_for(spec, spec.requirement("WAV-OVS")).but(frequency=3)
    shared_unit.start(bench, c.but(level=c.level - 1))
    low, high = nominal_peak_a(spec, c.level - 1), nominal_peak_a(spec, c.level)
    load = c.load_ohms or 500.0
    cap = capture_current(
        bench,
        load,
        peak_a=high,
        duration_s=1.5,
        resolution_s=5e-6,
        trigger=(LOAD_CHANNEL, (low + high) / 2.0 * load, "rising"),
        pre_trigger_s=0.3,
        action=lambda: bench.dut.set_level(c.level),
    )
    m = analyse(cap)
    evidence = [keep(captures, "WAV-OVS-level", cap)]
    measure(
        "WAV-OVS",
        m.overshoot_pct,
        "%",
        uncertainty=_overshoot_budget(cap),
        instruments=["scope", "dut"],
        attachments=evidence,
        conditions={**c.as_record(), "event": f"level {c.level - 1} to {c.level}"},
    )

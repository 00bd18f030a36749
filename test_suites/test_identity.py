"""Identity and state: the unit says who it is, and what it says matches what it does.

COM-ID: model, serial, firmware and hardware revision are all reported and non-empty
(every result of the run records them). COM-STATE: the level the unit reports is the
level it delivers, measured as the peak current at 500 Ω on the ammeter.
"""

from __future__ import annotations

import re

import pytest

from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.shared_power_on import PowerOnShare
from harness.recording.record import UnitIdentity


@pytest.mark.requirement("COM-ID")
def test_unit_reports_its_identity(
    measure: MeasureForCurrentTest, fresh_unit: testport.TestPort, unit_identity: UnitIdentity
) -> None:
    reported = fresh_unit.identify()
    fields = {
        "model": reported.model,
        "serial": reported.serial,
        "firmware": reported.firmware,
        "hardware": reported.hardware,
    }
    empty = [k for k, v in fields.items() if not re.fullmatch(r"[\x21-\x7e]+", v or "")]
    stable = reported == fresh_unit.identify()
    matches_record = reported.serial == unit_identity.serial
    measure.check(
        "COM-ID",
        not empty and stable and matches_record,
        detail=f"{fields}; empty or unprintable: {empty}; stable: {stable}; "
        f"serial matches the run record: {matches_record}",
        instruments=["dut"],
    )


@pytest.mark.requirement("COM-STATE")
@pytest.mark.bench_time(21)
@pytest.mark.shares_power_on("auto-off", guest=True)
def test_reported_level_and_frequency_match_the_output(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, shared_unit: PowerOnShare
) -> None:
    """Each level's delivered current is nearest that level's nominal; each frequency
    setting's measured pulse rate is nearest that setting's nominal. A unit whose firmware
    reports one level and delivers another fails here."""
    from harness.procedures.capture import analyse, capture_current
    from harness.procedures.dmm import sample_output
    from harness.procedures.treatment import conditions_for

    req = spec.requirement("COM-STATE")
    c = conditions_for(spec, req)
    nominal_ua = {lv: spec.requirement(f"OUT-AMP-L{lv}").nominal_value or 0.0 for lv in range(1, 6)}
    nominal_hz = {f: spec.requirement(f"WAV-FREQ-F{f}").nominal_value for f in range(1, 4)}
    mismatches: list[str] = []
    shared_unit.start(bench, c.but(level=1))
    delivered_a: dict[int, float] = {}
    reported: dict[int, int] = {}
    for level in range(1, 6):
        bench.dut.set_level(level)
        bench.clock.sleep(0.5)
        reported[level] = bench.dut.status().level
        delivered_a[level] = sample_output(bench, range_a=1e-3).plateau_a
    # identify each delivered current by its ratio to the highest one, so a gain error
    # (a separate requirement, OUT-AMP) does not pass for a wrong level
    top = max(delivered_a.values()) or 1.0
    for level in range(1, 6):
        ratio = delivered_a[level] / top
        delivered = min(nominal_ua, key=lambda lv: abs(nominal_ua[lv] / nominal_ua[5] - ratio))
        if reported[level] != level or delivered != reported[level]:
            mismatches.append(
                f"set L{level}: reports L{reported[level]}, delivers "
                f"{delivered_a[level] * 1e6:.0f} uA (like L{delivered})"
            )
    for setting in range(1, 4):
        bench.dut.set_frequency(setting)
        bench.clock.sleep(0.3)
        reported_f = bench.dut.status().frequency
        cap = capture_current(
            bench, c.load_ohms or 500.0, peak_a=400e-6, duration_s=1.0, resolution_s=50e-6
        )
        hz = analyse(cap).frequency_hz or 0.0
        measured_f = min(nominal_hz, key=lambda f: abs((nominal_hz[f] or 0) - hz))
        if reported_f != setting or measured_f != reported_f:
            mismatches.append(f"set F{setting}: reports F{reported_f}, measures {hz:.2f} Hz")
    measure.check(
        "COM-STATE",
        not mismatches,
        instruments=["dmm", "scope", "dut"],
        detail="; ".join(mismatches) or "every level and frequency as reported",
    )

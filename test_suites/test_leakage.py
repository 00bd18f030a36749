"""Leakage: the d.c. patient auxiliary current between the spheres when not stimulating.

LKG-AUX-DC (IEC 60601-1, type BF, d.c. 10 µA in normal condition) applies between the
spheres in every state where the unit does not stimulate. Stimulation itself is not
auxiliary current (docs/domain.md, section 2 "IEC 60601-1"), so the quantity is the
**d.c. component**: the mean current over whole polarity cycles, read by the ammeter in
series with the load with NPLC 100 (2.0 s at 50 Hz, one RMD-1 polarity cycle) on the 1 mA
range (a range a faulty unit cannot overload), three readings averaged. A unit that
keeps stimulating where it should not is caught by SAF-NOCONTACT-I and SAF-CHG-*; a
leaky output switch shows here as a d.c. current in all three states.

One measurement per state, each recorded with its state as a condition:

* **standby**: battery connected at nominal, unit switched *off*. The spec's 10 kΩ load
  counts as skin contact (< 30 kΩ), so a unit switched on with it connected would be
  treating, not standing by; switched off is the only non-stimulating state with 10 kΩ
  between the spheres.
* **suspended**: unit on at L5, contact made on 10 kΩ, then lifted to 100 kΩ (> 50 kΩ,
  no contact) and left past the contact-loss time, so the firmware has suspended.
* **charging**: unit on at L5 on 10 kΩ, charger input at 5 V for longer than the
  interlock may take to stop the output.
"""

from __future__ import annotations

import pytest

from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.judging.units import convert, parse_quantity
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.auxiliary import CYCLE_NPLC, SAFE_RANGE_A
from harness.procedures.dmm import DcReading, read_dc_current
from harness.procedures.treatment import (
    Conditions,
    conditions_for,
    set_battery,
    set_charger,
    start_treatment,
)

READINGS = 3
SUSPENDED_LOAD = "100 kohm"
"""The suspended state needs a load the unit does not take for skin (> 50 kΩ)."""


def _limit_s(spec: Spec, rid: str) -> float:
    req = spec.requirement(rid)
    assert req.upper_limit is not None, f"{rid} has no upper limit"
    return convert(req.upper_limit, req.unit, "s")


def _record(
    measure: MeasureForCurrentTest, reading: DcReading, c: Conditions, state: str, **extra: str
) -> None:
    measure(
        "LKG-AUX-DC",
        abs(reading.mean_a),
        "A",
        uncertainty=reading.budget,
        instruments=["dmm", "psu", "switch"],
        conditions=c.as_record()
        | {
            "state": state,
            "aperture": f"{reading.aperture_s:g} s x {len(reading.readings_a)}",
            "range": f"{reading.range_a:g} A",
        }
        | extra,
        note=f"mean of {len(reading.readings_a)} readings, signed {reading.mean_a:.3e} A",
    )


@pytest.mark.requirement("LKG-AUX-DC")
@pytest.mark.bench_time(24)
def test_dc_auxiliary_current_standby_suspended_charging(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, fresh_unit: testport.TestPort
) -> None:
    req = spec.requirement("LKG-AUX-DC")
    c = conditions_for(spec, req).but(level=5)
    assert c.load_ohms is not None

    def dc() -> DcReading:
        return read_dc_current(bench, range_a=SAFE_RANGE_A, nplc=CYCLE_NPLC, count=READINGS)

    # standby: switched off, battery connected, 10 kOhm between the spheres
    set_charger(bench, None)
    set_battery(bench, c.battery_v)
    bench.dut.power_off()
    bench.select_load(c.load_ohms)
    _record(measure, dc(), c, "standby (unit off, battery connected)", level="-")

    # suspended: contact made on 10 kOhm, then lifted to 100 kOhm
    lifted = parse_quantity(SUSPENDED_LOAD, "ohm")
    start_treatment(bench, c)
    bench.select_load(lifted)
    bench.clock.sleep(2 * _limit_s(spec, "SAF-NOCONTACT-DET"))
    _record(measure, dc(), c.but(load_ohms=lifted), "suspended")

    # charging: on the charger at 10 kOhm
    charger_v = spec.header.nominal("charger", "V")
    start_treatment(bench, c)
    set_charger(bench, charger_v)
    bench.clock.sleep(2 * _limit_s(spec, "SAF-CHG-MIDSESSION"))
    _record(measure, dc(), c, "charging", charger=f"{charger_v:g} V")
    set_charger(bench, None)

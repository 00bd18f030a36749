"""Identity and state: the unit says who it is, and what it says matches what it does.

COM-ID: model, serial, firmware and hardware revision are all reported and non-empty
(every result of the run records them). COM-STATE: the level the unit reports is the
level it delivers, measured as the peak current at 500 Ω on the ammeter.
"""

from __future__ import annotations

import re

import pytest

from harness.dut import testport
from harness.record import UnitIdentity


@pytest.mark.requirement("COM-ID")
def test_unit_reports_its_identity(
    measure, fresh_unit: testport.TestPort, unit_identity: UnitIdentity
):
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

"""Fault strings: accepted forms and the InputError for everything else."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.sim.bench import SimBench
from harness.sim.faults import FaultProfile, describe, parse_fault


def test_values_are_typed() -> None:
    assert parse_fault("gain=1.3").value == 1.3
    assert parse_fault("level_table=80,160,160,320,400").value == (80, 160, 160, 320, 400)
    assert parse_fault("stuck_polarity").value is True
    assert parse_fault("ocp=off").value is False
    assert parse_fault("report_level_offset=-1").value == -1
    assert parse_fault("reboot_at_s=12.5").value == 12.5


def test_profile_applies_faults_and_describes_them() -> None:
    profile = FaultProfile.from_faults(["gain=1.3", "soft_start=off", "level_table=1,2,3,4,5"])
    assert profile.gain == 1.3 and not profile.soft_start
    assert profile.level_table_ua == (1, 2, 3, 4, 5)
    assert sorted(describe(profile)) == [
        "gain=1.3",
        "level_table_ua=(1.0, 2.0, 3.0, 4.0, 5.0)",
        "soft_start=False",
    ]
    assert describe(FaultProfile()) == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("warp_drive=1", "fault"),
        ("gain=abc", "gain"),
        ("gain=0", "gain"),
        ("gain", "gain"),
        ("gain=nan", "gain"),
        ("level_table=80,160,240,320", "level_table"),
        ("stuck_polarity=1", "stuck_polarity"),
        ("ocp=maybe", "ocp"),
        ("clock_error=2", "clock_error"),
        ("report_level_offset=1.5", "report_level_offset"),
        ("reboot_at_s", "reboot_at_s"),
        ("reboot_at_s=0", "reboot_at_s"),
        ("reboot_at_s=-5", "reboot_at_s"),
        ("reboot_at_s=soon", "reboot_at_s"),
        ("reboot_at_s=inf", "reboot_at_s"),
    ],
)
def test_bad_faults_name_the_source_and_field(text: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_fault(text, source="bench.yaml")
    assert caught.value.field == field
    assert caught.value.source == "bench.yaml"
    assert "bench.yaml" in str(caught.value)


def test_duplicate_fault_is_refused_by_the_bench() -> None:
    with pytest.raises(InputError, match="at most once"):
        SimBench(faults=["gain=1.1", "gain=1.2"])

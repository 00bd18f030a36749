"""Bench files: each malformed file names its file, line and field; nothing is opened."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SIM = SIM_BENCH


def bad(tmp_path: Path, old: str, new: str) -> Path:
    text = SIM.read_text()
    assert old in text, old
    path = tmp_path / "bench.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_default_bench_loads():
    bench = load_bench(SIM)
    assert bench.id == "SIM-1" and bench.spec_path == RMD1_SPEC
    assert bench.load_for(10_000).channel == 1003
    assert bench.instrument("ammeter").accuracy_for(100.0, "uA").reading_pct == 0.05


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "expected"),
    [
        (
            "model: Keysight 34465A",
            "model: Keysight 99999Z",
            "99999Z",
            "instruments[0].model",
            "an installed instrument model, one of: Keithley 2450, Keysight 34465A",
        ),
        (
            "resource: TCPIP0::dmm.sim::5025::SOCKET",
            "resource: TCPIP0::dmm.sim::SOCKET::5025",
            "SOCKET::5025",
            "instruments[0].resource",
            "VISA resource string",
        ),
        (
            "resource: TCPIP0::scope.sim::5025::SOCKET",
            "resource: scope-over-there",
            "scope-over-there",
            "instruments[1].resource",
            "VISA resource string",
        ),
        ("channel: 1002}", "channel: 1001}", "name: R2K", "loads[1].channel", "used once"),
        (
            "    calibration_due: 2027-09-30\n    accuracy:\n      - {range: 6 V",
            "    accuracy:\n      - {range: 6 V",
            "model: Keysight E36312A",
            "instruments[2].calibration_due",
            "required field",
        ),
        (
            "tolerance: 0.1 %, channel: 1003",
            "channel: 1003",
            "name: R10K",
            "loads[2].tolerance",
            "required field",
        ),
        (
            "tolerance: 0.1 %, channel: 1004",
            "tolerance: 0.1 V, channel: 1004",
            "name: R100K",
            "loads[3].tolerance",
            "dimension",
        ),
        (
            "role: oscilloscope",
            "role: ammeter",
            "role: ammeter\n",
            "instruments[1].role",
            "role 'oscilloscope' for model Keysight DSOX1204G",
        ),
        (
            "calibration_due: 2099-12-31",
            "calibration_due: someday",
            "someday",
            "instruments[4].calibration_due",
            "date",
        ),
    ],
)
def test_malformed_bench_file(tmp_path, old, new, needle, field, expected):
    path = bad(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_bench(path)
    err = info.value
    assert err.field == field, str(err)
    assert re.search(re.escape(expected), str(err)), str(err)
    assert str(err).startswith(f"{path}:")
    if needle.endswith("\n"):
        return
    assert err.line is not None
    # the error points at the offending line or the entry that lacks the field
    assert abs(err.line - line_of(path, needle)) <= 2, (err.line, str(err))


def test_the_real_station_template_is_a_valid_bench_file():
    """fixtures/benches/example-station.yaml is what the README tells a lab to copy."""
    bench = load_bench(ROOT / "fixtures" / "benches" / "example-station.yaml")
    assert bench.document.simulation is None
    assert bench.spec_path == RMD1_SPEC
    assert {i.role for i in bench.document.instruments} == {
        "ammeter",
        "oscilloscope",
        "power_supply",
        "load_switch",
    }

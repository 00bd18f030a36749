"""Input files as people really write them: bytes, dates and numbers YAML may misread.

Every case is a spec or bench file a person could plausibly save; the expected outcome is
written out by hand from the text, never computed by the loader under test.
"""

import hashlib
import re
from pathlib import Path

import pytest
from edited_inputs import edited_copy

from harness.data import RMD1_SPEC
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.judging.spec import load_spec

SIM_BENCH = Path(RMD1_SPEC).parents[1] / "benches" / "sim.yaml"


def test_spec_saved_as_windows_1252_is_an_input_error(tmp_path: Path) -> None:
    # "§" saved by a Windows editor as the single byte 0xA7: not UTF-8
    text = RMD1_SPEC.read_text(encoding="utf-8")
    assert "§" in text
    path = tmp_path / "spec.yaml"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert info.value.field == "file"
    assert "UTF-8" in info.value.expected
    assert info.value.line == 3  # the first "§" of rmd1.yaml is on its line 3
    assert str(path) in str(info.value)


def _bench_with_due(tmp_path: Path, due: str) -> Path:
    text = SIM_BENCH.read_text(encoding="utf-8")
    text = re.sub(r"calibration_due: \S+", f"calibration_due: {due}", text, count=1)
    path = tmp_path / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("due", ["2026-13-01", "2027-02-30", "2027-04-31"])
def test_impossible_calibration_date_is_an_input_error(tmp_path: Path, due: str) -> None:
    path = _bench_with_due(tmp_path, due)
    with pytest.raises(InputError) as info:
        load_bench(path)
    assert info.value.field == "instruments[0].calibration_due"
    assert info.value.line == 31  # where sim.yaml's first calibration_due is
    assert "date" in info.value.expected
    assert info.value.got == due


def test_impossible_date_in_a_flow_mapping_names_its_own_key(tmp_path: Path) -> None:
    # sim.yaml line 85: R500's calibration {date: 2026-09-30, due: 2027-09-30, ...}
    text = SIM_BENCH.read_text(encoding="utf-8")
    text = text.replace("due: 2027-09-30, certificate", "due: 2027-09-31, certificate", 1)
    path = tmp_path / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_bench(path)
    assert (info.value.field, info.value.line) == ("loads[0].calibration.due", 85)
    assert info.value.got == "2027-09-31"


def _spec_with(tmp_path: Path, old: str, new: str) -> Path:
    return edited_copy(Path(RMD1_SPEC), tmp_path, old, new)


# (text written, field, line): rmd1.yaml's OUT-AMP-L1 has upper on line 27, conditions
# on line 28; YAML 1.1 reads 0100 as octal 64, 010 as 8 and 1:30 (base 60) as 90
@pytest.mark.parametrize(
    ("old", "new", "field", "line", "got"),
    [
        ("upper: 96 uA", "upper: 0100", "requirements[0].upper", 27, "0100"),
        ("upper: 96 uA", "upper: -010", "requirements[0].upper", 27, "-010"),
        ("upper: 96 uA", "upper: 1:30", "requirements[0].upper", 27, "1:30"),
        ("upper: 96 uA", "upper: 1:30.5", "requirements[0].upper", 27, "1:30.5"),
        ("level: 1, frequency", "level: 010, frequency", "requirements[0].conditions.level", 28,
         "010"),
    ],
)  # fmt: skip
def test_number_yaml_reads_in_another_base_is_an_input_error(
    tmp_path: Path, old: str, new: str, field: str, line: int, got: str
) -> None:
    with pytest.raises(InputError) as info:
        load_spec(_spec_with(tmp_path, old, new))
    assert (info.value.field, info.value.line, info.value.got) == (field, line, got)


@pytest.mark.parametrize(
    ("new", "upper"),
    [
        ("upper: 100", 100.0),
        ("upper: 1_000", 1000.0),
        ("upper: 96.5", 96.5),
        ("upper: 0x64", 100.0),
    ],
)
def test_plain_numbers_still_read_as_written(tmp_path: Path, new: str, upper: float) -> None:
    spec = load_spec(_spec_with(tmp_path, "upper: 96 uA", new))
    assert spec.requirement("OUT-AMP-L1").upper_limit == upper


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_spec_hash_is_of_the_bytes_of_a_file_with_windows_newlines(
    tmp_path: Path, newline: bytes
) -> None:
    # a spec saved on Windows (or checked out with CRLF): the report's SHA-256 must be the
    # one `sha256sum` gives for the file, which is what the spec docstring promises
    raw = RMD1_SPEC.read_bytes().replace(b"\n", newline)
    path = tmp_path / "spec.yaml"
    path.write_bytes(raw)
    spec = load_spec(path)
    assert spec.sha256 == hashlib.sha256(raw).hexdigest()
    assert spec.requirement("OUT-AMP-L1").upper_limit == 96.0  # and it reads the same


@pytest.mark.parametrize(
    ("old", "new", "got"),
    [
        ("nominal: 80 uA", "nominal: 800 uA", "800 uA"),  # limits 64 - 96 uA: a typo somewhere
        ("nominal: 80 uA", "nominal: 60 uA", "60 uA"),
    ],
)
def test_nominal_outside_its_limits_is_an_input_error(
    tmp_path: Path, old: str, new: str, got: str
) -> None:
    with pytest.raises(InputError) as info:
        load_spec(_spec_with(tmp_path, old, new))
    assert (info.value.field, info.value.line, info.value.got) == (
        "requirements[0].nominal",
        25,
        got,
    )


def test_nominal_on_a_limit_is_accepted(tmp_path: Path) -> None:
    spec = load_spec(_spec_with(tmp_path, "nominal: 80 uA", "nominal: 96 uA"))
    assert spec.requirement("OUT-AMP-L1").nominal_value == 96.0

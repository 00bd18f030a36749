"""Spec files: the RMD-1 spec loads; each malformed spec names file, line and field."""

import hashlib
import re
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
RMD1 = ROOT / "specs" / "rmd1.yaml"

GOOD = """\
schema: 1
spec:
  id: T-SPEC
  version: "0.1"
  title: test
  device: RMD-1
  default_decision_rule: guarded
requirements:
  - id: OUT-AMP-L5
    title: peak
    group: output-current
    source: design
    quantity: peak_current
    unit: uA
    nominal: 400 uA
    lower: 320 uA
    upper: 480 uA
    conditions: {load: 500 ohm}
  - id: OUT-MONO
    kind: check
    title: monotonic
    group: output-current
    source: design
    quantity: level_order
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rmd1_spec_covers_the_domain_table():
    spec = load_spec(RMD1)
    assert spec.id == "RMD-1-SPEC" and spec.version == "1.0.0"
    assert spec.sha256 == hashlib.sha256(RMD1.read_bytes()).hexdigest()
    expected = {
        *(f"OUT-AMP-L{i}" for i in range(1, 6)),
        "OUT-LOAD-2K",
        "OUT-LOAD-10K",
        "OUT-VCOMP",
        "OUT-ABSMAX",
        "OUT-MIN",
        "OUT-MONO",
        "OUT-BOOST",
        "OUT-LINE",
        *(f"WAV-FREQ-F{i}" for i in range(1, 4)),
        "WAV-REV",
        "WAV-QPH",
        "WAV-DC",
        "WAV-IAVG",
        "WAV-JRMS",
        "WAV-PDENS",
        "WAV-RAMP",
        "WAV-OVS",
        "SAF-OC-TRIP",
        "SAF-OC-PEAK",
        "SAF-OC-LATCH",
        "SAF-NOCONTACT-DET",
        "SAF-NOCONTACT-I",
        "SAF-RECONTACT",
        "SAF-CHG-INHIBIT",
        "SAF-CHG-MIDSESSION",
        "SAF-CHG-DC",
        "SAF-LOWBAT-WARN",
        "SAF-LOWBAT-CUT",
        "SAF-LOWBAT-HYST",
        "TIM-BEEP",
        "TIM-SESSION",
        "TIM-AUTOOFF",
        "TIM-IDLE-OFF",
        "LKG-AUX-DC",
        "COM-ID",
        "COM-STATE",
    }
    assert expected <= set(spec.requirements)
    l5 = spec.requirement("OUT-AMP-L5")
    assert (l5.lower_limit, l5.nominal_value, l5.upper_limit) == (320.0, 400.0, 480.0)
    assert spec.requirement("WAV-PW-F3").lower_limit == pytest.approx(11.875)
    assert spec.requirement("WAV-JRMS").upper_limit == 2.0
    assert spec.requirement("OUT-LOAD-10K").unit == ""
    assert spec.decision_rule(l5).value == "guarded"
    assert l5.condition("load", "ohm") == 500.0


def test_good_spec(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.requirement("OUT-MONO").kind == "check"
    assert spec.requirement("OUT-AMP-L5").limits_text() == "320 – 480 uA"
    with pytest.raises(KeyError, match="NOPE"):
        spec.requirement("NOPE")


def expect_error(tmp_path, text, field, line, expected_words):
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, text))
    err = info.value
    message = str(err)
    assert message.startswith(str(tmp_path / "spec.yaml"))
    assert err.field == field, message
    assert err.line == line, message
    assert re.search(expected_words, message), message
    assert "\n" not in message


def test_yaml_syntax_error(tmp_path):
    expect_error(tmp_path, GOOD.replace("unit: uA", "unit: [uA"), "yaml", 15, "valid YAML syntax")


def test_unknown_unit(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("unit: uA", "unit: uFlub"),
        "requirements[0].unit",
        14,
        "unit pint knows",
    )


def test_unknown_unit_in_a_limit(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("upper: 480 uA", "upper: 480 uFlub"),
        "requirements[0].upper",
        17,
        "quantity such as",
    )


def test_limit_of_the_wrong_dimension(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("upper: 480 uA", "upper: 4.8 V"),
        "requirements[0].upper",
        17,
        r"dimension",
    )


def test_lower_above_upper(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("lower: 320 uA", "lower: 500 uA"),
        "requirements[0].lower",
        16,
        "lower limit at or below the upper",
    )


def test_duplicate_requirement_id(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("id: OUT-MONO", "id: OUT-AMP-L5"),
        "requirements[1].id",
        19,
        "used once",
    )


def test_duplicate_key(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("    upper: 480 uA\n", "    upper: 480 uA\n    upper: 490 uA\n"),
        "requirements[0].upper",
        18,
        "given once",
    )


def test_unknown_decision_rule(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("default_decision_rule: guarded", "default_decision_rule: lenient"),
        "spec.default_decision_rule",
        7,
        "simple.*guarded.*non-binary",
    )


def test_unknown_decision_rule_on_a_requirement(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace(
            "    conditions: {load: 500 ohm}",
            "    conditions: {load: 500 ohm}\n    decision_rule: lax",
        ),
        "requirements[0].decision_rule",
        19,
        "guarded",
    )


def test_unknown_field_and_missing_limit(tmp_path):
    expect_error(
        tmp_path,
        GOOD.replace("    upper: 480 uA\n", "    uper: 480 uA\n"),
        "requirements[0].uper",
        17,
        "no such field",
    )
    no_limits = GOOD.replace("    lower: 320 uA\n", "").replace("    upper: 480 uA\n", "")
    expect_error(tmp_path, no_limits, "requirements[0].upper", 9, "lower and/or an upper")


def test_schema_version_refused(tmp_path):
    expect_error(tmp_path, GOOD.replace("schema: 1", "schema: 2"), "schema", 1, "version 1")

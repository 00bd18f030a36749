"""Spec files: the RMD-1 spec loads; each malformed spec names file, line and field."""

import hashlib
import re
from pathlib import Path

import pytest

from harness.data import RMD1_SPEC
from harness.errors import InputError
from harness.judging.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
RMD1 = RMD1_SPEC

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


# --- numbers that are not finite, and conditions a run could not use -----------------------

HUGE = "1" + "0" * 400  # beyond the largest float (about 1.8e308)


@pytest.mark.parametrize("field", ["upper", "lower", "nominal"])
@pytest.mark.parametrize(
    "value", [HUGE, f"{HUGE} uA", f"-{HUGE}", f"{HUGE}.5 uA", ".nan", ".inf", "-.inf", "nan uA"]
)
def test_a_limit_beyond_any_float_names_file_line_and_field(tmp_path, field, value):
    line = {"nominal": 15, "lower": 16, "upper": 17}[field]
    original = {"nominal": "400 uA", "lower": "320 uA", "upper": "480 uA"}[field]
    text = GOOD.replace(f"    {field}: {original}\n", f"    {field}: {value}\n")
    expect_error(tmp_path, text, f"requirements[0].{field}", line, "finite")


def test_the_error_for_a_huge_limit_is_one_short_line(tmp_path):
    text = GOOD.replace("upper: 480 uA", f"upper: {HUGE} uA")
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, text))
    message = str(info.value)
    assert len(message) < 300, message
    assert message.count("got") == 1, message


def test_an_integer_python_refuses_to_read_is_an_input_error(tmp_path):
    text = GOOD.replace("upper: 480 uA", "upper: 1" + "0" * 5000)
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, text))
    assert info.value.line == 17, str(info.value)
    assert "requirements[0].upper" in str(info.value)
    assert len(str(info.value)) < 300


def _conditions(tmp_path, conditions):
    return write(tmp_path, GOOD.replace("{load: 500 ohm}", conditions))


@pytest.mark.parametrize(
    ("conditions", "field", "expected"),
    [
        ("{load: 500 ohm, battery: .nan}", "battery", "finite"),
        ("{load: 500 ohm, battery: nan V}", "battery", "finite"),
        ("{load: 500 ohm, battery: -.inf}", "battery", "finite"),
        (f"{{load: 500 ohm, battery: {HUGE}}}", "battery", "finite"),
        ("{load: 500 ohm, battery: 3.8 Vx}", "battery", "quantity"),
        ("{load: 500 ohm, battery: 3.8 A}", "battery", "dimension"),
        ("{load: 500 ohm, battery: 3.4 V to 4.2 bananas}", "battery", "quantity"),
        ("{load: 500 ohmz}", "load", "quantity"),
        ("{load: shorted}", "load", "open"),
        ("{load: 500 ohm and nan ohm}", "load", "finite"),
        ("{load: 500 ohm, charger: five volts}", "charger", "quantity"),
        ("{load: 500 ohm, ramp: 10 mV}", "ramp", "dimension"),
        ("{load: 500 ohm, electrode_area: 0.5 cm}", "electrode_area", "dimension"),
        ("{load: 500 ohm, level: .nan}", "level", "finite"),
        ("{load: 500 ohm, level: 2.5}", "level", "whole"),
        ("{load: 500 ohm, level: '-1'}", "level", "whole"),
        ("{load: 500 ohm, temperature: .inf}", "temperature", "finite"),
        ("{load: 500 ohm, temperature: nan degC}", "temperature", "finite"),
        ("{load: 500 ohm, boost: on}", "boost", "quote"),
    ],
)
def test_a_condition_a_run_could_not_use_is_refused(tmp_path, conditions, field, expected):
    with pytest.raises(InputError) as info:
        load_spec(_conditions(tmp_path, conditions))
    err = info.value
    assert err.field == f"requirements[0].conditions.{field}", str(err)
    assert err.line == 18, str(err)
    assert re.search(expected, str(err)), str(err)
    assert str(err).startswith(str(tmp_path / "spec.yaml"))


@pytest.mark.parametrize(
    "conditions",
    [
        "{load: 500 ohm, battery: 3.4 V to 4.2 V, level: 5}",
        "{load: open, level: 5}",
        "{load: 500 ohm to open, event: contact made}",
        "{load: 500 ohm and 10 kohm, levels: 1-5, frequency: F2}",
        "{load: '500 ohm', level: 'any, BOOST', boost: 'on', state: standby}",
        "{load: 500 ohm, battery: 3.8, charger: 5 V, ramp: 10 mV/s, electrode_area: 0.5 cm^2}",
        "{load: 500, level: '3', user_action: none, states: 'standby, suspended, charging'}",
    ],
)
def test_conditions_as_the_suites_use_them_load(tmp_path, conditions):
    spec = load_spec(_conditions(tmp_path, conditions))
    assert spec.requirement("OUT-AMP-L5").conditions


@pytest.mark.parametrize(
    ("nominal", "field", "expected"),
    [
        ("{battery: .nan}", "battery", "finite"),
        ("{battery: 3.8 Q}", "battery", "quantity"),
        ("{load: 500 ohm, level: 1.5}", "level", "whole"),
    ],
)
def test_a_nominal_condition_a_run_could_not_use_is_refused(tmp_path, nominal, field, expected):
    rule = "  default_decision_rule: guarded\n"
    text = GOOD.replace(rule, f"{rule}  nominal_conditions: {nominal}\n")
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, text))
    assert info.value.field == f"spec.nominal_conditions.{field}", str(info.value)
    assert info.value.line == 8, str(info.value)
    assert re.search(expected, str(info.value)), str(info.value)


def test_a_non_finite_electrode_area_is_refused(tmp_path):
    text = GOOD.replace("  device: RMD-1\n", "  device: RMD-1\n  electrode_area: nan cm^2\n")
    expect_error(tmp_path, text, "spec.electrode_area", 7, "finite")


def test_every_condition_of_the_rmd1_spec_is_accepted():
    spec = load_spec(RMD1)
    assert spec.requirement("OUT-LINE").conditions["battery"] == "3.4 V to 4.2 V"
    assert spec.header.nominal("battery", "V") == 3.8


def test_a_fifo_given_as_a_yaml_file_is_refused_not_read(tmp_path):
    """Reading a FIFO blocks until someone writes to it: refuse it by its type instead."""
    import os

    from harness.errors import InputError
    from harness.judging.yamlfile import load_yaml

    fifo = tmp_path / "lab.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="expected a regular file"):
        load_yaml(fifo)

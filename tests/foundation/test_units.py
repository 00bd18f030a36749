"""Quantities parse as people write them; wrong dimensions are errors."""

import pytest

from harness.judging.units import UnitParseError, convert, parse_quantity, parse_unit


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("400 uA", "uA", 400.0),
        ("0.4 mA", "uA", 400.0),
        ("400 µA", "uA", 400.0),
        ("5 s", "ms", 5000.0),
        ("2 mA/cm^2", "mA/cm^2", 2.0),
        ("0.95", "", 0.95),
        ("10 kΩ", "ohm", 10000.0),
        ("10 kohm", "ohm", 10000.0),
        ("-5 %", "%", -5.0),
        ("1.6e-3 W/cm^2", "W/cm^2", 0.0016),
        (12, "V", 12.0),
        ("40 Hz", "Hz", 40.0),
    ],
)
def test_parse(text, unit, expected):
    assert parse_quantity(text, unit) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "unit"), [("5 V", "uA"), ("5 s", "Hz"), ("3 uA", "")])
def test_wrong_dimension(text, unit):
    with pytest.raises(UnitParseError, match="dimension"):
        parse_quantity(text, unit)


@pytest.mark.parametrize("text", ["5 flubs", "uA uA uA ((", "", True])
def test_unparseable(text):
    with pytest.raises(UnitParseError):
        parse_quantity(text, "uA")


def test_unknown_unit_and_convert():
    with pytest.raises(UnitParseError):
        parse_unit("furlongs per blorp")
    assert convert(400.0, "uA", "A") == pytest.approx(4e-4)
    with pytest.raises(UnitParseError):
        convert(1.0, "V", "A")


def _pint():
    from harness.judging.units import registry

    return registry()


@pytest.mark.parametrize("name", sorted(__import__("harness.judging.units").judging.units._TABLE))
def test_table_means_what_pint_means(name):
    """Every unit the fast reader knows has pint's dimension and factor (to 1e-12)."""
    from harness.judging import units

    factor, dims = units._TABLE[name]
    ureg = _pint()
    q = ureg.Quantity(1.0, ureg.Unit(name)).to_base_units()
    assert float(factor) == pytest.approx(q.magnitude, rel=1e-12)
    want = ureg.Quantity(1.0, "A ** {} * s ** {} * m ** {} * kg ** {}".format(*dims))
    assert q.dimensionality == want.dimensionality


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("0.4 mA", "uA"),
        ("400uA", "mA"),
        ("2.5e-3 W/cm^2", "mW/cm^2"),
        ("2 mA / cm**2", "uA/mm^2"),
        ("20 min", "s"),
        ("1.5 h", "min"),
        ("10 kohm", "Mohm"),
        ("12 %", "ppm"),
        ("3 uC", "nC"),
        ("7 V/s", "mV/ms"),
        ("-1.25e2 nA", "pA"),
        (".5 ms", "us"),
    ],
)
def test_fast_reader_agrees_with_pint(text, unit):
    from harness.judging import units

    assert units._simple(units._normalise(unit)) is not None
    by_pint = units._pint_text(text, unit, units._normalise(text))
    assert parse_quantity(text, unit) == pytest.approx(by_pint, rel=1e-12)
    number, given = text.split(maxsplit=1) if " " in text else ("400", "uA")
    assert convert(float(number), given, unit) == pytest.approx(by_pint, rel=1e-12)


def test_units_outside_the_table_and_errors_are_pint_s():
    """degC is read (and ``25 degC`` refused: an offset unit) by pint, as before."""
    assert parse_unit("degC").simple is None
    with pytest.raises(UnitParseError, match="400 uA"):
        parse_quantity("25 degC", "degC")
    with pytest.raises(UnitParseError, match=r"dimension \[current\]"):
        parse_quantity("5 kohm", "uA")
    assert parse_unit("mA/cm^2").simple is not None


def test_reading_specs_and_benches_does_not_import_pint():
    """Start-up reads the shipped spec and bench without building a pint registry."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from harness.data import RMD1_SPEC, SIM_BENCH\n"
        "from harness.judging.spec import load_spec\n"
        "from harness.definitions.bench_file import load_bench\n"
        "load_spec(RMD1_SPEC); load_bench(SIM_BENCH)\n"
        "print('pint' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

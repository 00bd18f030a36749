"""Fuzzing the spec and bench file loaders (harness/spec.py, harness/benchfile.py, with
harness/yamlfile.py and the quantity parser in harness/units.py).

Properties: random YAML and random edits of the real `harness/data/specs/rmd1.yaml` and
`harness/data/benches/sim.yaml` load to a valid document or raise `InputError` naming the
file, in bounded time; limits are never NaN or infinite (nor 400-digit integers, which
no float holds); quantities written to take forever (`9**9**9 uA`) or alias bombs are
refused quickly; a requirement's conditions load only when the procedures can use them
(finite numbers, quantities that parse in their key's unit).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from fuzz_support import FUZZ, FUZZ_SLOW, mutate_text, outcome, within
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.judging.spec import CONDITION_WORDS, QUANTITY_CONDITIONS, Spec, load_spec
from harness.judging.units import parse_quantity

ROOT = Path(__file__).resolve().parents[2]
SPEC_TEXT = (RMD1_SPEC).read_text(encoding="utf-8")
BENCH_TEXT = (SIM_BENCH).read_text(encoding="utf-8")


def _load(loader: Callable[[Path], Any], text: str, seconds: float = 5.0) -> Any:
    with tempfile.TemporaryDirectory(prefix="fuzz-yaml-") as folder:
        path = Path(folder) / "input.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with within(seconds):
            loaded, error = outcome(loader, path, errors=(InputError,))
        if error is not None:
            assert str(path) in str(error), f"error does not name the file: {error}"
            return None
    if isinstance(loaded, Spec):
        for requirement in loaded.requirements.values():
            for value in (requirement.nominal_value, requirement.lower_limit,
                          requirement.upper_limit):  # fmt: skip
                assert value is None or math.isfinite(value), f"{requirement.id}: {value}"
    return loaded


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["1 uA", "400 uA", "5 V", "nan uA", "inf uA", "1e999 uA", "9**9**9 uA",
                     "2**99999999 uA", "guarded", "simple", "high", "limit", "check",
                     "TCPIP0::x::5025::SOCKET", "ASRL::", "2027-09-30", "Keysight 34465A"]),
)  # fmt: skip
_KEYS = st.sampled_from(
    ["schema", "spec", "requirements", "id", "title", "group", "source", "quantity", "unit",
     "nominal", "lower", "upper", "kind", "conditions", "decision_rule", "hazard", "version",
     "device", "bench", "instruments", "name", "role", "model", "resource", "serial",
     "calibration_due", "accuracy", "loads", "channel", "tolerance", "port", "simulation",
     "station", "x"]
)  # fmt: skip
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=6)),
    max_leaves=25,
)


@FUZZ_SLOW
@given(_DATA, st.sampled_from(["spec", "bench"]))
def test_random_yaml_documents_load_or_name_the_file(data: object, kind: str) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    _load(load_spec if kind == "spec" else load_bench, text)


@FUZZ_SLOW
@given(st.text(alphabet=":-[]{}&*!|>'\"#%@`,? \n\tabc01.", max_size=80), st.booleans())
def test_random_yaml_text_loads_or_names_the_file(text: str, spec: bool) -> None:
    _load(load_spec if spec else load_bench, text)


@settings(FUZZ_SLOW, max_examples=25)  # each example validates 40 requirements with pint
@given(mutate_text(SPEC_TEXT))
def test_edited_rmd1_spec_loads_or_names_the_file(text: str) -> None:
    _load(load_spec, text)


@FUZZ_SLOW
@given(mutate_text(BENCH_TEXT))
def test_edited_sim_bench_loads_or_names_the_file(text: str) -> None:
    _load(load_bench, text)


_REQUIREMENT = """schema: 1
spec: {{id: S, version: "1", title: t, device: d}}
requirements:
  - {{id: R-1, title: t, group: g, source: s, quantity: q, unit: uA, {field}: {value}}}
"""


@FUZZ
@given(
    st.sampled_from(["lower", "upper", "nominal"]),
    st.sampled_from(
        [".nan", ".inf", "-.inf", "'nan uA'", "'inf uA'", "'1e999 uA'", "'-1e999 mA'",
         "'9**9**9 uA'", "'9^9^9 uA'", "'9**(9**9) uA'", "'2**99999999 uA'",
         "'10**10**10 A'", "'(9**9)**(9**9) uA'", "'1e308 * 1e308 uA'",
         "1" + "0" * 400, "-1" + "0" * 400, "1" + "0" * 400 + " uA", "1" + "0" * 5000,
         "1e400", "'1e400'"]
    ),
)  # fmt: skip
def test_non_finite_or_explosive_limits_are_refused_quickly(field: str, value: str) -> None:
    text = _REQUIREMENT.format(field=field, value=value)
    if field == "nominal":
        text = text.replace("nominal:", "upper: 1 uA, nominal:")
    assert _load(load_spec, text, seconds=2.0) is None


@FUZZ
@given(st.integers(5, 30))
def test_an_alias_bomb_is_answered_in_bounded_time(depth: int) -> None:
    """Each level doubles the tree; a walker that follows aliases into shared nodes hangs."""
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, depth)]
    _load(load_spec, "\n".join(lines) + "\n", seconds=2.0)


_CONDITION_VALUES = st.one_of(
    st.integers(-(10**30), 10**30), st.floats(), st.booleans(),
    st.text(alphabet="0123456789.eE+- naifVvohmkKAcs^/tdpr,", max_size=14),
    st.sampled_from(["3.8 V", "3.4 V to 4.2 V", "500 ohm", "open", "500 ohm to open", "nan V",
                     "inf ohm", "1e999 V", "3.8 Vx", "5 A", "10 mV/s", "0.5 cm^2", "F2", "1-5",
                     "any, BOOST", "1" + "0" * 400, "1" + "0" * 400 + " V", "-1", "2.5"]),
)  # fmt: skip


@FUZZ
@given(st.sampled_from([*QUANTITY_CONDITIONS, "level", "levels", "frequency", "x"]),
       _CONDITION_VALUES)  # fmt: skip
def test_conditions_load_only_when_a_procedure_can_use_them(key: str, value: object) -> None:
    written = yaml.safe_dump({key: value}, default_flow_style=True).strip()
    text = _REQUIREMENT.format(field="upper", value=f"1 uA, conditions: {written}")
    loaded = _load(load_spec, text, seconds=2.0)
    if loaded is None:
        return
    kept = loaded.requirement("R-1").conditions.get(key)
    if isinstance(kept, (int, float)):
        assert math.isfinite(float(kept)), kept
    if key in QUANTITY_CONDITIONS and isinstance(kept, str):
        for part in kept.replace(" and ", " to ").replace(",", " to ").split(" to "):
            if part.strip() not in CONDITION_WORDS.get(key, ()):
                assert math.isfinite(parse_quantity(part.strip(), QUANTITY_CONDITIONS[key]))
    elif key in QUANTITY_CONDITIONS and kept is not None:
        assert math.isfinite(parse_quantity(kept, QUANTITY_CONDITIONS[key]))

"""Specifications: the requirements a unit is judged against, read from a YAML file.

A *spec* is a versioned document (``specs/rmd1.yaml``) listing *requirements*. Each
requirement has an id (``OUT-AMP-L5``) that tests declare they cover, the quantity it
constrains with its unit, a nominal value and a lower and/or upper *limit*, the
conditions under which it applies (load, level, battery voltage…), where it comes from
(a standard's clause or the design), its hazard class and the *decision rule*
(see ``harness.judging.verdict``) used to judge it. Requirements of kind ``check`` have no
numeric limit: the test establishes a fact (levels are monotonic) and the check
passes or fails.

Limits live here and only here: a test asks the spec for a requirement by id and never
writes a number it is judged against. Quantities are written as people write them
(``400 uA``, ``5 s``, ``2 mA/cm^2``); each is converted once into the requirement's
unit, and a limit of the wrong dimension is an error at load time. The spec's SHA-256
is computed over the file's bytes, so a report can prove which text it was judged by.

Every number must be finite: a limit of ``.nan`` or of 400 digits would make every
verdict meaningless. Conditions are checked as strictly as the procedures read them
(``harness/procedures/treatment.py`` and the suites): a condition a procedure cannot
parse is not an error there, it silently means "the nominal point", so a typo such as
``battery: 3.8 Vx`` would test the unit at the wrong voltage under a requirement that
claims 3.8 V. Hence :func:`check_conditions` below.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from harness.errors import InputError
from harness.judging.units import UnitParseError, parse_quantity, parse_unit
from harness.judging.verdict import DecisionRule
from harness.judging.yamlfile import FieldError, load_yaml, require_unique, validate

SPEC_SCHEMA_VERSION = 1

Number = str | float | int

QUANTITY_CONDITIONS: dict[str, str] = {
    "load": "ohm",
    "reference_load": "ohm",
    "battery": "V",
    "charger": "V",
    "electrode_area": "cm^2",
    "ramp": "V/s",
}
"""Condition keys the procedures parse as quantities, with the unit each must convert to.
A value may also be a range or list of them (``3.4 V to 4.2 V``, ``500 ohm and 10 kohm``),
the test then choosing or sweeping; each part must still parse."""

CONDITION_WORDS: dict[str, frozenset[str]] = {"load": frozenset({"open"})}
"""Words a quantity condition may take instead of a quantity (``load: open``)."""

LEVEL_CONDITIONS = frozenset({"level", "levels"})
"""Keys whose numbers are intensity levels: whole numbers from 1; names (``BOOST``,
``any``) and ranges (``1-5``) are words."""

_PARTS = re.compile(r"\s+(?:to|and)\s+|\s*,\s*")


def _number_in(text: str) -> float | None:
    """The number ``text`` starts with (``nan V`` → nan), or None when it starts with a word."""
    head = text.strip().split(" ", 1)[0]
    try:
        return float(head)
    except (ValueError, OverflowError):
        return None


def check_condition(name: str, value: object) -> None:
    """Raise ValueError (what was expected) if a procedure could not use ``value``."""
    if isinstance(value, bool):
        raise ValueError(
            "a quantity, number or word (quote yes/no/on/off, which YAML reads as booleans)"
        )
    unit = QUANTITY_CONDITIONS.get(name)
    numbers: list[float] = []
    if isinstance(value, (int, float)):
        try:
            numbers.append(float(value))
        except OverflowError:
            raise ValueError("a finite number") from None
        if unit is not None:
            parse_quantity(value, unit)
    else:
        for part in _PARTS.split(str(value).strip()):
            if unit is not None and part not in CONDITION_WORDS.get(name, ()):
                parse_quantity(part, unit)  # UnitParseError is a ValueError
            number = _number_in(part)
            if number is not None:
                numbers.append(number)
    for number in numbers:
        if not math.isfinite(number):
            raise ValueError("a finite number")
        if name in LEVEL_CONDITIONS and (number < 1 or not number.is_integer()):
            raise ValueError("a whole level number (1, 2, ...) or level names")


def _check_raw(data: object, field_name: str, single: tuple[str, ...] = ()) -> None:
    """Check the conditions mapping ``data[field_name]`` (and the single conditions named in
    ``single``) of an object as written, before pydantic turns ``on`` (True) into 1.0.

    FieldError blames the culprit's key; anything that is not a mapping of scalars is
    left to pydantic's own messages."""
    if not isinstance(data, dict):
        return
    mapping = data.get(field_name)
    items: list[tuple[tuple[str | int, ...], object, object]] = [
        ((k,), k, data[k]) for k in single if data.get(k) is not None
    ]
    if isinstance(mapping, dict):
        items += [((field_name, k), k, v) for k, v in mapping.items()]
    for path, name, value in items:
        if not isinstance(name, str) or not isinstance(value, (str, int, float)):
            continue
        try:
            check_condition(name, value)
        except UnitParseError as exc:
            unit = QUANTITY_CONDITIONS.get(name, "")
            expected = f"a quantity in {unit}" if "such as" in exc.expected else exc.expected
            words = sorted(CONDITION_WORDS.get(name, ()))
            alternative = f" or {', '.join(words)}" if words else ""
            raise FieldError(path, f"{expected}{alternative}") from None
        except ValueError as exc:
            raise FieldError(path, str(exc)) from None


class Requirement(BaseModel):
    """One requirement of the spec; limits are kept as floats in ``unit``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
    title: str
    group: str
    source: str
    kind: Literal["limit", "check"] = "limit"
    quantity: str
    unit: str = ""
    nominal: Number | None = None
    lower: Number | None = None
    upper: Number | None = None
    conditions: dict[str, Number] = Field(default_factory=dict)
    decision_rule: DecisionRule | None = None
    hazard: Literal["high", "medium", "low"] = "medium"
    note: str = ""

    _nominal: float | None = PrivateAttr(default=None)
    _lower: float | None = PrivateAttr(default=None)
    _upper: float | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _conditions_usable(cls, data: object) -> object:
        _check_raw(data, "conditions")
        return data

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, value: str) -> str:
        try:
            parse_unit(value)
        except UnitParseError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _limits_consistent(self) -> Requirement:
        """Limits parse in ``unit``, lower <= upper, and the nominal lies within them: a
        nominal outside its limits is a typo in one of them (which one cannot be told),
        and the nominal is used as written (a record is sized from a frequency's)."""
        values: dict[str, float | None] = {}
        for name in ("nominal", "lower", "upper"):
            raw = getattr(self, name)
            if raw is None:
                values[name] = None
                continue
            try:
                values[name] = parse_quantity(raw, self.unit)
            except UnitParseError as exc:
                raise FieldError(name, str(exc)) from None
        lower, upper = values["lower"], values["upper"]
        if self.kind == "limit" and lower is None and upper is None:
            raise FieldError("upper", "a 'limit' requirement with a lower and/or an upper limit")
        if self.kind == "check" and (lower is not None or upper is not None):
            raise FieldError("lower", "no numeric limits on a 'check' requirement")
        if lower is not None and upper is not None and lower > upper:
            raise FieldError(
                "lower",
                f"a lower limit at or below the upper limit ({self.upper}), got {self.lower}",
            )
        nominal = values["nominal"]
        if nominal is not None and not (
            (lower is None or lower <= nominal) and (upper is None or nominal <= upper)
        ):
            bounds = " and ".join(
                f"{word} {raw}" for word, raw in (("at least", self.lower), ("at most", self.upper))
                if raw is not None
            )  # fmt: skip
            raise FieldError("nominal", f"a nominal value within the limits ({bounds})")
        self._nominal, self._lower, self._upper = nominal, lower, upper
        return self

    @property
    def nominal_value(self) -> float | None:
        return self._nominal

    @property
    def lower_limit(self) -> float | None:
        return self._lower

    @property
    def upper_limit(self) -> float | None:
        return self._upper

    def condition(self, name: str, unit: str = "") -> float:
        """A numeric condition (``load``, ``battery``…) in ``unit``; KeyError if absent."""
        return parse_quantity(self.conditions[name], unit)

    def limits_text(self) -> str:
        """Human form of the limits, e.g. ``320 – 480 uA`` or ``≤ 500 uA``."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "check":
            return "conforms"
        if self._lower is not None and self._upper is not None:
            return f"{self._lower:g} – {self._upper:g}{unit}"
        if self._upper is not None:
            return f"≤ {self._upper:g}{unit}"
        return f"≥ {self._lower:g}{unit}"


class SpecHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: str
    title: str
    device: str
    default_decision_rule: DecisionRule = DecisionRule.GUARDED
    electrode_area: Number | None = None
    nominal_conditions: dict[str, Number] = Field(default_factory=dict)
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _conditions_usable(cls, data: object) -> object:
        _check_raw(data, "nominal_conditions", single=("electrode_area",))
        return data

    def nominal(self, name: str, unit: str) -> float:
        """A nominal operating condition (``battery``, ``charger``…) in ``unit``."""
        try:
            return parse_quantity(self.nominal_conditions[name], unit)
        except KeyError:
            raise KeyError(f"spec {self.id} gives no nominal condition {name!r}") from None


class SpecDocument(BaseModel):
    """The file as written: ``schema``, ``spec`` header, ``requirements`` list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(alias="schema")
    spec: SpecHeader
    requirements: list[Requirement] = Field(min_length=1)


@dataclass(frozen=True)
class Spec:
    """A loaded, validated spec with its provenance (path and SHA-256 of the bytes)."""

    path: Path
    sha256: str
    header: SpecHeader
    requirements: dict[str, Requirement]

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def version(self) -> str:
        return self.header.version

    def requirement(self, requirement_id: str) -> Requirement:
        try:
            return self.requirements[requirement_id]
        except KeyError:
            raise KeyError(f"{requirement_id!r} is not a requirement of spec {self.id}") from None

    def decision_rule(self, requirement: Requirement) -> DecisionRule:
        return requirement.decision_rule or self.header.default_decision_rule


def load_spec(path: str | Path) -> Spec:
    """Read, validate and hash a spec file; any problem is an InputError naming the line."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(doc.source, "(document)", "a mapping with schema, spec, requirements")
    if doc.data.get("schema") not in (None, SPEC_SCHEMA_VERSION):
        raise InputError(
            doc.source,
            "schema",
            f"spec schema version {SPEC_SCHEMA_VERSION}",
            line=doc.line_of(("schema",)),
            got=doc.data.get("schema"),
        )
    parsed = validate(SpecDocument, doc)
    ids = [r.id for r in parsed.requirements]
    require_unique(doc, "requirements", "id", ids, "a requirement id used once")
    requirements = dict(zip(ids, parsed.requirements, strict=True))
    # the bytes, not the text: the text has CRLF made LF, so a spec saved on Windows had a
    # SHA-256 in its report that no tool computing it from the file would find
    raw = doc.raw if doc.raw is not None else doc.text.encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()
    return Spec(path=doc.source, sha256=digest, header=parsed.spec, requirements=requirements)

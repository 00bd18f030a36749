"""The run record and the measurement row: what a compliance run leaves behind.

A *run* is one pass of the compliance suites over one unit on one bench. Its record says
who tested what, where, when, against which spec and with which software, so that any
number in a report can be traced back to its conditions (ISO/IEC 17025 7.8.2.1, 21 CFR
11.10(e)). A *measurement* is one number the suite took: the value with its unit, the
expanded uncertainty, the limits it was judged against, the decision rule, the verdict,
the instruments it came from and the conditions it was taken under.

Both are versioned, strict schemas (``extra="forbid"``): a reader refuses a version it
does not know rather than guess at a field's meaning. Fields added later (the
calibration of instruments and reference standards, the laboratory, the environment's
source, the uncertainty budget) have defaults, so a version-1 record written before
them still reads as version 1. The version is typed ``Literal[1]``,
so that refusal is the schema's own, not a check each reader must remember. The verdict
and the decision rule are the judging layer's enums, not free text: a row cannot carry a
verdict the harness does not know. Both are ``str`` enums whose values are the text
the store, Parquet and CSV have always held, so nothing written changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from harness.judging.verdict import RecordedRule, Verdict
from harness.recording.attachments import check_name

RECORD_SCHEMA_VERSION: Final = 1
"""The version of both schemas below; a record of any other version is refused."""

RunStatus = Literal[
    "running", "passed", "failed", "interrupted", "incomplete", "error", "sealing", "unsealed"
]
"""Where a run stands. ``running`` while the tests run; then ``sealing`` while its report is
built and its evidence package sealed (``RunRecord.outcome`` holds how the tests ended);
then that outcome (``passed``, ``failed``, ``interrupted``, ``error``). A run whose process
died while running is marked ``incomplete`` by the next start, one that died while sealing
``unsealed``: both are states a later start finds and says, never silent."""


def utc_now() -> datetime:
    """The current UTC time truncated to the millisecond, as every record stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def _verdict_text(value: object) -> object:
    """``pass`` → ``PASS``: a verdict given in another case is still that verdict.

    The harness writes the canonical text (``Verdict.value``); rows made by hand, in
    tests or by other tools, sometimes spell it in lower case. Any other text is refused.
    """
    if isinstance(value, str) and not isinstance(value, Verdict):
        return next((v for v in Verdict if v.value.casefold() == value.casefold()), value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitIdentity(_Strict):
    """The unit under test as it reports itself over its test port, or (a unit without
    one) as the bench file, its label and the operator declare it."""

    model: str
    serial: str
    firmware: str
    hardware: str
    battery: str | None = None
    """The battery's state of charge when only the operator can tell it (no test port):
    "80 % (declared by the operator)" or "not known: no test port". None when the unit
    has a port; a default, so a record written before this field still reads."""


class CalibrationRecord(_Strict):
    """An instrument's or reference standard's last calibration, as its certificate says."""

    date: str
    certificate: str
    laboratory: str
    traceability: str


class InstrumentIdentity(_Strict):
    """One instrument of the bench, as the bench file declares and `*IDN?` confirms."""

    name: str
    role: str
    model: str
    serial: str
    resource: str
    calibration_due: str | None = None
    firmware: str | None = None
    calibration: CalibrationRecord | None = None


class ReferenceStandard(_Strict):
    """A reference standard of the bench (a load resistor): every i = v/R rests on it."""

    name: str
    kind: str
    nominal: str
    tolerance: str
    model: str | None = None
    serial: str | None = None
    calibration_due: str | None = None
    calibration: CalibrationRecord | None = None


class Accreditation(_Strict):
    """Who accredited the laboratory, under which number, for what scope."""

    body: str
    number: str
    scope: str


class Approver(_Strict):
    """A person the laboratory authorises to approve (sign off) a test report."""

    name: str
    role: str


class LaboratoryRecord(_Strict):
    """The laboratory that issued the run, copied from its lab file when the run began,
    so a report rebuilt years later names the laboratory as it was then."""

    name: str
    address: str | None = None
    accreditation: Accreditation | None = None
    approvers: list[Approver] = Field(default_factory=list)


class EnvironmentReading(_Strict):
    """One environmental condition of the run and whether it was measured or typed in.

    A measured condition names the sensor (bench name, model, serial: the equipment
    table gives its calibration), when in the run it was read (``start``, ``end``) and
    its expanded uncertainty from the sensor's stated accuracy. ``allowed`` and
    ``within`` say whether it lay inside the range the bench's laboratory allows
    (``within`` None: no range stated, or a value that could not be read).
    """

    quantity: str
    value: str
    source: Literal["measured", "entered"]
    instrument: str | None = None
    """The sensor's instrument name when measured."""
    moment: Literal["start", "end"] | None = None
    model: str | None = None
    serial: str | None = None
    uncertainty: str | None = None
    """Expanded uncertainty (k = 2) with its unit, e.g. ``0.23 degC``."""
    taken_at: datetime | None = None
    allowed: str | None = None
    """The allowed range in words and its basis, when the bench file states one."""
    within: bool | None = None
    note: str = ""
    """Why there is no value (a sensor that did not answer at the end of the run)."""


class BudgetLine(_Strict):
    """One component of a measurement's uncertainty budget (GUM 8), in the result's unit.

    ``value`` is the component as stated (a bound's half-width, a standard deviation of
    the mean), ``divisor`` what makes it the standard uncertainty u(x_i) =
    value / divisor, ``sensitivity`` the (dimensionless) c_i carrying it into the
    result, so the line contributes |c_i|·u(x_i). ``degrees_of_freedom`` None means
    infinite (a Type B bound taken as exactly known, GUM G.4.3).
    """

    name: str
    value: float
    distribution: str
    divisor: float = 1.0
    sensitivity: float = 1.0
    standard_uncertainty: float
    degrees_of_freedom: float | None = None
    evaluation: Literal["A", "B"] = "B"
    note: str = ""


class RecordedBudget(_Strict):
    """The uncertainty budget behind one measurement's U, as it was when judged.

    Kept whole so an assessor can re-check U without the code that made it (ISO/IEC
    17025 7.6.3): the lines, u_c, the Welch–Satterthwaite ν_eff (None: infinite), and
    the coverage factor and probability. Numbers are in the measurement's unit.
    """

    lines: list[BudgetLine]
    combined_standard_uncertainty: float
    effective_degrees_of_freedom: float | None = None
    coverage_factor: float
    coverage_probability: float


class RunRecord(_Strict):
    """Everything that identifies one compliance run."""

    schema_version: Literal[1] = RECORD_SCHEMA_VERSION
    run_id: str
    unit: UnitIdentity | None = None
    bench_id: str
    station: str
    operator: str
    spec_id: str
    spec_version: str
    spec_sha256: str
    harness_version: str
    git_commit: str | None = None
    python_version: str
    packages: dict[str, str] = Field(default_factory=dict)
    instruments: list[InstrumentIdentity] = Field(default_factory=list)
    reference_standards: list[ReferenceStandard] = Field(default_factory=list)
    laboratory: LaboratoryRecord | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    conditions: list[EnvironmentReading] = Field(default_factory=list)
    """The environment with its source (measured by a sensor or entered); ``environment``
    keeps the plain name → value text every older reader knows."""
    overrides: list[str] = Field(default_factory=list)
    sim_faults: list[str] = Field(default_factory=list)
    started_at: datetime
    ended_at: datetime | None = None
    status: RunStatus = "running"
    outcome: RunStatus | None = None
    """How the tests ended while ``status`` is ``sealing`` or ``unsealed``; else None."""
    host: str
    pid: int


class Measurement(_Strict):
    """One recorded number with everything needed to re-judge it later."""

    schema_version: Literal[1] = RECORD_SCHEMA_VERSION
    run_id: str
    seq: int
    requirement_id: str
    test_id: str
    quantity: str
    value: float | None
    unit: str
    expanded_uncertainty: float = 0.0
    coverage_factor: float = 2.0
    nominal: float | None = None
    lower_limit: float | None = None
    upper_limit: float | None = None
    decision_rule: RecordedRule
    """The spec's decision rule the value was judged by, or ``check`` for a check."""
    verdict: Annotated[Verdict, BeforeValidator(_verdict_text)]
    conditions: dict[str, str] = Field(default_factory=dict)
    instruments: list[str] = Field(default_factory=list)
    attachments: list[Annotated[str, AfterValidator(check_name)]] = Field(default_factory=list)
    """Files in the run folder, by their path relative to it (``attachments``)."""
    note: str = ""
    taken_at: datetime
    uncertainty_budget: RecordedBudget | None = None
    """The budget behind ``expanded_uncertainty``; None when U was given as a number, for
    a check, and for every row recorded before budgets were kept."""

"""What a test report rests on, refused at the desk when it is missing: the laboratory's
accreditation and approvers (lab file), the calibration of every instrument and
reference standard (bench file), and the operator's name on a real bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.plugin.run import laboratory_for, operator_for
from harness.recording.equipment import reference_standards, with_calibration
from harness.recording.provenance import login_name
from harness.recording.record import InstrumentIdentity
from harness.reporting import signing
from harness.reporting.trust import load_lab

LAB = """\
schema_version: 2
laboratory: {name: "Example Test Lab", address: "1 Example Road, Town"}
accreditation: {body: UKAS, number: "0000", scope: "IEC 60601-2-10 output tests"}
approvers:
  - {name: "A. Example", role: "Technical manager"}
  - {name: "B. Example", role: "Quality manager"}
trusted_keys:
  - {name: "lab", public_key: keys/lab.key.pub}
"""


def _real_bench(tmp_path: Path, edit: object = None) -> Path:
    """The shipped simulated bench as a real station's file (no simulation block)."""
    # through JSON: the file's YAML aliases become separate copies, each edited alone
    doc = json.loads(json.dumps(yaml.safe_load(SIM_BENCH.read_text()), default=str))
    del doc["simulation"]
    doc["bench"]["spec"] = str(RMD1_SPEC)
    if callable(edit):
        edit(doc)
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_real_bench_with_every_calibration_loads(tmp_path: Path) -> None:
    bench = load_bench(_real_bench(tmp_path))
    standards = reference_standards(bench)
    assert [s.name for s in standards] == ["R500", "R2K", "R10K", "R100K"]
    assert all(s.calibration and s.calibration_due and s.serial for s in standards)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["loads"][1].pop("serial"), "loads[1].serial"),
        (lambda d: d["loads"][2].pop("model"), "loads[2].model"),
        (lambda d: d["loads"][0].pop("calibration"), "loads[0].calibration"),
        (lambda d: d["loads"][3]["calibration"].pop("due"), "loads[3].calibration.due"),
        (lambda d: d["instruments"][1].pop("calibration"), "instruments[1].calibration"),
        (lambda d: d["instruments"][0]["calibration"].pop("certificate"),
         "instruments[0].calibration.certificate"),
        (lambda d: d["instruments"][0]["calibration"].update(due="2030-01-01"),
         "instruments[0].calibration.due"),
    ],
)  # fmt: skip
def test_a_real_bench_missing_a_calibration_field_is_refused(
    tmp_path: Path, edit: object, field: str
) -> None:
    path = _real_bench(tmp_path, edit)
    with pytest.raises(InputError) as info:
        load_bench(path)
    assert info.value.field == field
    assert str(path) in str(info.value) and "expected" in str(info.value)


def test_a_simulated_bench_may_leave_calibration_out(tmp_path: Path) -> None:
    doc = yaml.safe_load(SIM_BENCH.read_text())
    doc["bench"]["spec"] = str(RMD1_SPEC)
    for entry in [*doc["instruments"], *doc["loads"]]:
        entry.pop("calibration", None)
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert load_bench(path).document.loads[0].calibration is None


def test_identities_carry_the_bench_files_calibration() -> None:
    bench = load_bench(SIM_BENCH)
    idn = InstrumentIdentity(name="dmm", role="ammeter", model="Keysight 34465A",
                             serial="MY59001234", resource="x")  # fmt: skip
    (dmm,) = with_calibration([idn], bench)
    assert dmm.calibration is not None and "simulated" in dmm.calibration.traceability


@pytest.fixture
def lab_bench(tmp_path: Path) -> Path:
    signing.generate_key(tmp_path / "keys" / "lab.key")
    (tmp_path / "lab.yaml").write_text(LAB)
    return _real_bench(tmp_path, lambda d: d["bench"].update(lab=str(tmp_path / "lab.yaml")))


def test_the_lab_file_gives_accreditation_and_approvers_to_the_run(lab_bench: Path) -> None:
    record = laboratory_for(load_bench(lab_bench))
    assert record is not None and record.name == "Example Test Lab"
    assert record.accreditation is not None and record.accreditation.number == "0000"
    assert [(a.name, a.role) for a in record.approvers] == [
        ("A. Example", "Technical manager"), ("B. Example", "Quality manager")]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('  - {name: "B. Example", role: "Quality manager"}\n', '  - {name: "B. Example"}\n',
         "approvers[1].role"),
        ('number: "0000", ', "", "accreditation.number"),
        ("schema_version: 2", "schema_version: 1", "schema_version"),
    ],
)  # fmt: skip
def test_a_lab_file_missing_a_field_is_refused(
    lab_bench: Path, old: str, new: str, field: str
) -> None:
    lab = lab_bench.parent / "lab.yaml"
    lab.write_text(LAB.replace(old, new))
    with pytest.raises(InputError) as info:
        load_lab(lab)
    assert info.value.field == field and str(lab) in str(info.value)


def test_a_real_bench_needs_the_operators_name(tmp_path: Path) -> None:
    real = load_bench(_real_bench(tmp_path))
    with pytest.raises(InputError) as info:
        operator_for(None, real)
    assert info.value.field == "operator" and "--operator" in str(info.value)
    assert operator_for("Jane Tester", real) == "Jane Tester"
    assert operator_for(None, load_bench(SIM_BENCH)) == login_name()


def test_hil_run_asks_a_person_at_a_terminal_for_their_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness.cli.run import ask_operator

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    name = ask_operator("LAB-3", ask=lambda prompt: asked.append(prompt) or "  Ana Ruiz ")
    assert name == "Ana Ruiz" and "LAB-3" in asked[0]
    assert ask_operator("LAB-3", ask=lambda prompt: "   ") is None  # nothing typed


def test_without_a_terminal_nobody_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli.run import ask_operator

    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    def never(prompt: str) -> str:
        raise AssertionError("asked without a terminal")

    assert ask_operator("LAB-3", ask=never) is None

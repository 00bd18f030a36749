"""Names a user types never become paths outside reports/, and a run id names one run.

Each case here was found by trying the harness as an attacker would: a re-used run id
rewrote another run's record and evidence, ``--run-id ../../X`` wrote a package outside
the reports folder, a serial of 10,000 characters or with a newline was accepted, and a
missing ``--sign-key`` ran the whole suite unsigned. Every refusal is one line, exit 2,
before anything is opened or written.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.errors import InputError
from harness.judging.names import check_identifier, check_person_or_place, check_prefix
from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = str(ROOT / "test_suites" / "test_identity.py")


@pytest.mark.parametrize(
    "name",
    ["../../X", "/abs", "..", ".hidden", "a/b", "a\\b", "a\nb", "", "x" * 65, "-x", "é"],
)
def test_unsafe_identifiers_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="--run-id: run id: expected 1 to 64"):
        check_identifier(name, source="--run-id", field="run id")


@pytest.mark.parametrize("name", ["20261205T101010Z-abc123", "RMD1-0042", "a.b_c-d", "x" * 64])
def test_safe_identifiers_pass(name: str) -> None:
    assert check_identifier(name, source="s", field="f") == name


def test_people_and_places_keep_their_letters_but_no_controls() -> None:
    assert check_person_or_place(" Ana López ", source="s", field="operator") == "Ana López"
    for bad in ["ana\nFAKE LINE", "a/b", "", "x" * 65, "tab\there", "\u202eevil"]:
        with pytest.raises(InputError, match="operator"):
            check_person_or_place(bad, source="--operator", field="operator")


def test_a_prefix_leaves_room_for_the_number() -> None:
    assert check_prefix("", source="s", field="f") == ""
    with pytest.raises(InputError):
        check_prefix("../../X", source="--prefix", field="serial prefix")
    with pytest.raises(InputError):
        check_prefix("x" * 60, source="--prefix", field="serial prefix")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--run-id=../../ESCAPED"], "--run-id: run id"),
        (["--run-id=/tmp/ESCAPED-ABS"], "--run-id: run id"),
        (["--serial=" + "S" * 10_000], "--serial: serial"),
        (["--serial=RMD1\n0042"], "--serial: serial"),
        (["--operator=ana\nApproved by: QA"], "--operator: operator"),
        (["--station=../st"], "--station: station"),
        (["--sign-key=/nonexistent/lab.key"], "/nonexistent/lab.key: private key"),
    ],
)
def test_hil_run_refuses_bad_names_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    reports = tmp_path / "deep" / "reports"
    code = main(["run", f"--reports-dir={reports}", "--no-allure", *args, IDENTITY])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert not reports.exists(), "nothing may be written"
    assert not (tmp_path / "ESCAPED").exists() and not Path("/tmp/ESCAPED-ABS").exists()


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_used_run_id_is_refused_and_the_old_run_is_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    base = ["run", f"--reports-dir={reports}", "--no-allure", "--no-report", "--run-id=R1"]
    assert main([*base, IDENTITY]) == 0
    run_dir = reports / "R1"
    before = _tree_digest(run_dir)
    store = ResultsStore.open(reports / "results.db")
    record_before = store.get_run("R1")
    store.close()
    capsys.readouterr()

    assert main([*base, IDENTITY]) == 2
    err = capsys.readouterr().err
    assert "a run id not used before" in err and "R1" in err
    assert _tree_digest(run_dir) == before, "the old run's files changed"
    store = ResultsStore.open(reports / "results.db")
    assert store.get_run("R1") == record_before
    store.close()


def test_a_run_id_only_in_the_store_is_refused_by_the_plugin(tmp_path: Path) -> None:
    """The folder was moved away (archived), the store still names the run: refused."""
    reports = tmp_path / "reports"
    base = ["run", f"--reports-dir={reports}", "--no-allure", "--no-report", "--run-id=R2"]
    assert main([*base, IDENTITY]) == 0
    (reports / "R2").rename(tmp_path / "archived-R2")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", IDENTITY,
         f"--rootdir={ROOT}", f"--reports-dir={reports}", "--run-id=R2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "in the results store" in done.stdout + done.stderr
    assert not (reports / "R2").exists()


def test_hil_batch_refuses_a_prefix_that_leaves_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    code = main(["batch", "1", f"--reports-dir={reports}", "--prefix=../../OUT-"])
    assert code == 2
    assert "--prefix: serial prefix" in capsys.readouterr().err
    assert not (tmp_path / "OUT-0001").exists() and not reports.exists()


def test_serials_of_a_line_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    code = main(["run", f"--reports-dir={reports}", "--workers=2", "--serials=A1,../B2"])
    assert code == 2
    assert "serial" in capsys.readouterr().err

"""A run stopped while its evidence is being sealed is never silently "passed".

Found by killing ``hil run`` while it built the report or sealed the package: the store
said ``passed``, the folder had no manifest and no audit log, and the next run neither
sealed it nor said so; SIGTERM there killed the process at once. Now the store says
``sealing`` until the seal is done, a process gone meanwhile is found as ``unsealed`` by
the next start (which says so and how to seal it late), and SIGTERM behaves like Ctrl-C.

The stop is injected with a small pytest plugin (``-p``) that replaces the seal with a
signal to the run's own process, so it lands exactly while sealing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = str(ROOT / "test_suites" / "test_identity.py")

STOP_WHILE_SEALING = textwrap.dedent(
    """
    import os, signal, time
    import harness.reporting.evidence as evidence

    def stop_while_sealing(*args, **kwargs):
        os.kill(os.getpid(), getattr(signal, os.environ["STOP_SIGNAL"]))
        time.sleep(30)  # the signal lands here
        raise AssertionError("the signal did not stop the seal")

    if os.environ.get("STOP_WHEN") == "testing":
        def pytest_runtest_call(item):
            os.kill(os.getpid(), getattr(signal, os.environ["STOP_SIGNAL"]))
    elif os.environ.get("STOP_WHEN") == "writing":  # the tests are over, no result written
        import harness.recording.results_parquet as results_parquet
        _write = results_parquet.write_run_parquet

        def stop_while_writing(*args, **kwargs):  # once: then the results are written
            if not os.environ.get("STOP_TWICE"):
                results_parquet.write_run_parquet = _write
            stop_while_sealing()

        results_parquet.write_run_parquet = stop_while_writing
    else:
        evidence.seal_run = stop_while_sealing
    """
)


def _hil_run(
    reports: Path,
    run_id: str,
    plugin_dir: Path | None = None,
    stop: str | None = None,
    when: str = "sealing",
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra_env}
    argv = [sys.executable, "-m", "harness.cli.main", "run", f"--reports-dir={reports}",
            f"--run-id={run_id}", "--no-allure", "--no-report", IDENTITY]  # fmt: skip
    if plugin_dir is not None and stop is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), env.get("PYTHONPATH", "")])
        env["STOP_SIGNAL"] = stop
        env["STOP_WHEN"] = when
        argv += ["-p", "stop_while_sealing"]
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _stored(reports: Path, run_id: str) -> tuple[str, str | None]:
    store = ResultsStore.open(reports / "results.db", create=False)
    try:
        record = store.get_run(run_id)
    finally:
        store.close()
    return record.status, record.outcome


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "stop_while_sealing.py").write_text(STOP_WHILE_SEALING)
    return folder


def _killed_then_found(
    reports: Path, plugin_dir: Path, when: str, run_id: str, missing: str = "manifest.json"
) -> str:
    """Kill a run while sealing (or writing its results), check the store says
    ``sealing`` and the folder lacks `missing`, start the next run; its output, which
    must say the first is unsealed."""
    killed = _hil_run(reports, run_id, plugin_dir, "SIGKILL", when=when)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert _stored(reports, run_id) == ("sealing", "passed")
    assert not (reports / run_id / missing).exists()
    following = _hil_run(reports, run_id + "-next")
    out = following.stdout + following.stderr
    assert following.returncode == 0, out
    assert f"run {run_id} ended while its evidence was being sealed: marked unsealed" in out
    return out


def test_sigkill_while_sealing_is_found_by_the_next_start(tmp_path: Path, plugin_dir: Path) -> None:
    reports = tmp_path / "reports"
    out = _killed_then_found(reports, plugin_dir, "sealing", "K1")
    assert f"hil evidence seal {reports / 'K1'}" in out
    assert _stored(reports, "K1") == ("unsealed", "passed")
    assert _stored(reports, "K1-next") == ("passed", None)

    # hil verify finds it too, and a late seal says it was late and settles the store
    assert _hil(["verify", str(reports / "K1")]).returncode == 1
    assert _hil(["verify", str(reports / "K1")]).stdout.startswith("hil verify: UNSEALED")
    sealed = _hil(["evidence", "seal", str(reports / "K1"), "--actor", "qa"])
    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    assert "sealed late: its stored status is passed again" in sealed.stdout
    actions = [json.loads(line)["action"] for line in (reports / "K1" / "audit.log").open()]
    assert actions == ["sealed-late", "manifest-built"]
    assert _stored(reports, "K1") == ("passed", None)
    assert _hil(["verify", str(reports / "K1")]).returncode == 3  # intact, not signed


def test_a_run_killed_before_its_results_were_written_can_be_sealed_late(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """Killed between its last test and its results: the next start marks it unsealed
    and writes the run.json and results.parquet a late seal needs (it used to say "seal
    it late" of a folder the seal then refused for want of run.json)."""
    reports = tmp_path / "reports"
    _killed_then_found(reports, plugin_dir, "writing", "W1", missing="run.json")
    record = json.loads((reports / "W1" / "run.json").read_text())
    assert record["status"] == "passed" and record["run_id"] == "W1"
    assert (reports / "W1" / "results.parquet").is_file()
    sealed = _hil(["evidence", "seal", str(reports / "W1"), "--actor", "qa"])
    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    assert _stored(reports, "W1") == ("passed", None)
    assert _hil(["verify", str(reports / "W1")]).returncode == 3  # intact, not signed


def _hil(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_sigterm_while_sealing_is_an_interruption_without_traceback(
    tmp_path: Path, plugin_dir: Path
) -> None:
    reports = tmp_path / "reports"
    stopped = _hil_run(reports, "T1", plugin_dir, "SIGTERM")
    out = stopped.stdout + stopped.stderr
    assert stopped.returncode == 2, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert "interrupted while building the evidence package: run unsealed" in out
    assert _stored(reports, "T1") == ("unsealed", "passed")
    assert (reports / "T1" / "run.json").is_file(), "the results stay"


def test_sigterm_while_writing_the_results_writes_them_and_leaves_the_run_unsealed(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """Interrupted after the last test, while its results were written: they are written
    whole all the same, the run is left unsealed with one line saying how to seal it
    late, and the exit status is pytest's "interrupted" (it was 130 with a bare
    "hil: interrupted", the run left for the next start to find)."""
    reports = tmp_path / "reports"
    stopped = _hil_run(reports, "WT1", plugin_dir, "SIGTERM", when="writing")
    out = stopped.stdout + stopped.stderr
    assert stopped.returncode == 2, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert "interrupted after the tests: results written, run unsealed" in out, out
    assert f"hil evidence seal {reports / 'WT1'}" in out
    assert _stored(reports, "WT1") == ("unsealed", "passed")
    folder = reports / "WT1"
    assert json.loads((folder / "run.json").read_text())["status"] == "passed"
    assert (folder / "results.parquet").is_file()
    assert not (folder / "manifest.json").exists(), "not sealed behind the store's back"
    sealed = _hil(["evidence", "seal", str(folder), "--actor", "qa"])
    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    assert _hil(["verify", str(folder)]).returncode == 3  # intact, not signed


def test_a_second_interrupt_while_writing_ends_hil_run_interrupted_for_the_next_start(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """Interrupted again while the results were written after the first: ``hil run``
    still exits with pytest's status 2, keeps the folder, and the next start finds it."""
    reports = tmp_path / "reports"
    stopped = _hil_run(reports, "WT2", plugin_dir, "SIGTERM", when="writing", STOP_TWICE="1")
    out = stopped.stdout + stopped.stderr
    assert stopped.returncode == 2, out
    assert "Traceback" not in out and out.rstrip().endswith("hil: interrupted"), out
    assert (reports / "WT2").is_dir()
    following = _hil_run(reports, "WT2-next")
    found = following.stdout + following.stderr
    assert "run WT2 ended while its evidence was being sealed: marked unsealed" in found


def test_a_run_killed_while_testing_gets_its_results_written_for_a_late_seal(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """The next start marks it incomplete and writes run.json and results.parquet into
    its folder from the store, so that ``hil evidence seal`` has a run folder to seal."""
    reports = tmp_path / "reports"
    killed = _hil_run(reports, "I1", plugin_dir, "SIGKILL", when="testing")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    run_dir = reports / "I1"
    assert run_dir.is_dir() and not (run_dir / "run.json").exists()
    following = _hil_run(reports, "I2")
    out = following.stdout + following.stderr
    assert "run I1 ended while testing (its process is gone): marked incomplete" in out, out
    assert _stored(reports, "I1")[0] == "incomplete"
    assert (run_dir / "run.json").is_file() and (run_dir / "results.parquet").is_file()


def test_sigterm_while_testing_ends_the_run_like_ctrl_c(tmp_path: Path, plugin_dir: Path) -> None:
    reports = tmp_path / "reports"
    stopped = _hil_run(reports, "S1", plugin_dir, "SIGTERM", when="testing")
    out = stopped.stdout + stopped.stderr
    assert stopped.returncode == 2, out
    assert _stored(reports, "S1") == ("interrupted", None)
    assert (reports / "S1" / "manifest.json").is_file(), "the interrupted run is sealed"

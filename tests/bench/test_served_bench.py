"""`hil sim serve`: a simulated bench that the harness opens as if it were real hardware.

The served bench runs in another process (`python -m harness.cli.sim`, the same
code as `hil sim serve`); this process only reads the bench file it writes, which has
no `simulation:` block, and reaches the instruments through pyvisa-py TCP sockets and
the unit through a pseudo-terminal, exactly as on a station.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.bench.station import open_bench
from harness.cli.sim import run
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.sim.instruments.misbehaviour import Misbehaviour, arm
from harness.sim.serve import serve_bench

ROOT = Path(__file__).resolve().parents[2]
SIM_YAML = SIM_BENCH
SERIAL = "RMD1-TEST-0042"


@pytest.fixture(scope="module")
def served_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A `hil sim serve` subprocess; yields the bench file it wrote. Stopped by SIGTERM."""
    path = tmp_path_factory.mktemp("served") / "served.yaml"
    command = [sys.executable, "-m", "harness.cli.sim", "--write-bench", str(path)]
    command += ["--seed", "3", "--serial", SERIAL, "--device", "pty"]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not path.exists():
            assert server.poll() is None, server.communicate()[0]
            assert time.monotonic() < deadline, "hil sim serve wrote no bench file"
            time.sleep(0.05)
        yield path
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=10)
    assert server.returncode == 0, output
    assert "TCPIP0::127.0.0.1::" in output and "/dev/pts/" in output
    assert output.rstrip().endswith("hil sim serve: stopped"), output


def test_served_bench_through_pyvisa_py_and_a_pty(served_file: Path) -> None:
    file = load_bench(served_file)
    assert file.document.simulation is None and file.document.bench.visa_library == "@py"
    assert file.document.device.port.startswith("/dev/pts/")
    bench = open_bench(file)
    try:
        assert bench.sim is None  # nothing simulated in this process
        models = {i.name: f"{i.model} {i.serial}" for i in bench.identities()}
        assert models["psu"] == "Keysight Technologies E36312A MY57010123"
        bench.supply.set_output(1, 3.8, 0.5)
        bench.supply.enable(1, True)
        assert bench.dut.identify().serial == SERIAL
        bench.dut.power_on()
        assert bench.select_load(500) is not None
        bench.dut.set_level(5)
        bench.clock.sleep(2.0)
        assert bench.dut.status().state == "treating"
        bench.ammeter.configure_dc_current(1e-3, 0.02)
        peak = max(abs(bench.ammeter.read_currents(40)))
        assert 320e-6 <= peak <= 480e-6  # L5 is 400 µA ±20 % (OUT-AMP-L5)
        assert bench.safe_state() == []
        assert bench.switch.closed_channels() == set()
        assert bench.supply.measure_voltage(1) == pytest.approx(0.0, abs=0.01)
    finally:
        bench.close()


def test_identity_suite_passes_with_hil_run(served_file: Path, tmp_path: Path) -> None:
    hil = Path(sys.executable).with_name("hil")
    command = [str(hil), "run", "--bench", str(served_file), "--serial", SERIAL]
    command += ["--operator", "Test Operator"]  # a served bench is a real one to the harness
    command += ["--reports-dir", str(tmp_path), "--store", str(tmp_path / "results.db")]
    command += ["--no-report", "--no-allure"]  # the served bench is the point, not reports
    command += [str(ROOT / "test_suites" / "test_identity.py"), "-q"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # "2 passed in", or "2 passed, 1 warning in" where a report library warns
    assert re.search(r"\b\d+ passed\b", done.stdout) and "failed" not in done.stdout


def test_bench_yaml_keeps_everything_but_the_simulation() -> None:
    source = load_bench(SIM_YAML)
    with serve_bench(source, device="socket", seed=5) as served:
        text = served.bench_yaml()
    written = yaml.safe_load(text)
    assert "simulation" not in written
    assert written["bench"]["spec"] == str(source.spec_path)
    assert written["device"]["port"].startswith("socket://127.0.0.1:")
    assert written["device"]["timeout_s"] == source.document.device.timeout_s
    assert written["loads"] == [load.model_dump(mode="json") for load in source.document.loads]
    for entry, original in zip(written["instruments"], source.document.instruments, strict=True):
        assert entry["resource"] == served.resources[original.name]
        assert entry["resource"].startswith("TCPIP0::127.0.0.1::")
        same = ("name", "role", "model", "serial", "accuracy")
        assert {k: entry[k] for k in same} == original.model_dump(mode="json", include=set(same))
        assert entry["calibration_due"] == original.calibration_due.isoformat()
    assert served.sim.seed == 5


def test_only_a_simulated_bench_can_be_served(tmp_path: Path) -> None:
    doc = yaml.safe_load(SIM_YAML.read_text())
    doc["bench"]["spec"] = str(RMD1_SPEC)
    real = dict(doc)
    del real["simulation"]
    (tmp_path / "real.yaml").write_text(yaml.safe_dump(real))
    with pytest.raises(InputError, match="simulation"):
        serve_bench(load_bench(tmp_path / "real.yaml"))
    doc["instruments"][2].update(model="Rigol DP831")  # a model nothing simulates
    (tmp_path / "rigol.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match=r"instruments\[2\]\.model"):
        serve_bench(load_bench(tmp_path / "rigol.yaml"))


def test_wrong_identity_on_a_served_bench_fails_the_bench_check(tmp_path: Path) -> None:
    bench_check = pytest.importorskip("harness.bench.check")
    with serve_bench(load_bench(SIM_YAML)) as served:
        arm(served.sim, "psu", Misbehaviour.WRONG_IDN)
        doc = served.bench_document()
        doc["device"]["timeout_s"] = 0.2  # its safe state talks to an unpowered unit
        (tmp_path / "served.yaml").write_text(yaml.safe_dump(doc))
        checked = bench_check.check_bench(load_bench(tmp_path / "served.yaml"))
    lines = {line.name: line for line in checked}
    assert lines["dmm"].status == "ok"
    assert lines["psu"].status == "fail"
    assert "model RIGOL TECHNOLOGIES 'DP832', file says 'Keysight E36312A'" in lines["psu"].detail


def test_run_serves_until_stopped_and_prints_the_bench_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argparse.Namespace(
        bench=None, seed=None, sim_fault=["gain=1.1"], serial=None, device="socket",
        write_bench=None,
    )  # fmt: skip
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(run(args, stop=stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while "serving;" not in (out := capsys.readouterr().out):
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert codes == [0]
    bench_text = out[out.index("# Bench SIM-1") : out.index("serving;")]
    assert yaml.safe_load(bench_text)["device"]["port"].startswith("socket://")


def test_run_refuses_bad_input_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(
        bench=str(SIM_YAML), seed=None, sim_fault=["no-such-fault"], serial=None,
        device="pty", write_bench=None,
    )  # fmt: skip
    assert run(args, stop=threading.Event()) == 2
    assert "hil: input error:" in capsys.readouterr().err

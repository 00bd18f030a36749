"""A bench whose instruments or unit port cannot be opened: one line each, never a traceback.

On a real station the first thing that goes wrong is often the plainest: an instrument
is switched off, its IP address changed, the VISA library is not installed, the unit's
USB adapter is on another port. `hil bench check` must say so once per instrument
(name, resource, reason) and exit 1; `hil run` must stop at once with one message and
exit 2 instead of erroring every test; whatever did open is left in its safe state.

The "instruments" here listen nowhere: each resource is a loopback port held by a socket
that is bound but not listening, so a connection is refused at once and no other process
can take the port meanwhile. The unit's port is a device path that does not exist.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.bench.check import check_bench
from harness.bench.station import BenchOpenError, open_bench
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.instruments.visa import open_scpi
from harness.sim.serve import serve_bench

ROOT = Path(__file__).resolve().parents[2]
SIM_YAML = SIM_BENCH
HIL = Path(sys.executable).with_name("hil")
NAMES = ["dmm", "scope", "psu", "switch", "clock", "env"]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nobody listens on (bound, never listening: refused at once)."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    try:
        yield int(holder.getsockname()[1])
    finally:
        holder.close()


def real_bench_doc() -> dict[str, Any]:
    """sim.yaml as a real station's file: no simulation block, pyvisa-py."""
    doc: dict[str, Any] = yaml.safe_load(SIM_YAML.read_text())
    del doc["simulation"]
    doc["bench"]["spec"] = str(RMD1_SPEC)
    doc["bench"]["visa_library"] = "@py"
    doc["device"]["port"] = "/dev/ttyNOPE"
    return doc


def write(tmp_path: Path, doc: dict[str, Any], name: str = "bench.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture
def dead_bench(tmp_path: Path, closed_port: int) -> Path:
    doc = real_bench_doc()
    for entry in doc["instruments"]:
        entry["resource"] = f"TCPIP0::127.0.0.1::{closed_port}::SOCKET"
    return write(tmp_path, doc)


def hil(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HIL), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_bench_check_names_every_instrument_that_cannot_be_opened(
    dead_bench: Path, closed_port: int
) -> None:
    done = hil("bench", "check", str(dead_bench), cwd=dead_bench.parent)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out
    resource = f"TCPIP0::127.0.0.1::{closed_port}::SOCKET"
    for name in NAMES:
        line = next(x for x in done.stdout.splitlines() if x.split()[1:2] == [name])
        assert line.startswith("FAIL"), line
        assert "could not be opened" in line and resource in line and "refused" in line, line
    device = next(x for x in done.stdout.splitlines() if x.split()[1:2] == ["dut"])
    assert device.startswith("FAIL") and "/dev/ttyNOPE" in device, device
    assert len(out.strip().splitlines()) == len(NAMES) + 2, out  # + the port + the verdict


def test_bench_check_when_the_visa_library_does_not_load(tmp_path: Path) -> None:
    doc = real_bench_doc()
    doc["bench"]["visa_library"] = str(tmp_path / "no-such-libvisa.so")
    lines = check_bench(load_bench(write(tmp_path, doc)))
    assert [line.name for line in lines] == [*NAMES, "dut"]
    for line in lines:
        assert line.status == "fail" and "could not be opened" in line.detail, line
        assert "\n" not in line.detail
    assert all("no-such-libvisa.so" in line.detail for line in lines[:-1])


def test_run_on_an_unreachable_bench_stops_with_one_message(
    dead_bench: Path, closed_port: int
) -> None:
    done = hil(
        "run", "--bench", str(dead_bench), "--no-allure", "--operator=Test Operator",
        f"--reports-dir={dead_bench.parent / 'reports'}", str(ROOT / "test_suites"),
        cwd=dead_bench.parent,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out and "ERROR " not in out, out
    assert f"TCPIP0::127.0.0.1::{closed_port}::SOCKET" in out and "could not be opened" in out
    assert len(out.strip().splitlines()) <= 15, out


def test_run_when_the_visa_library_does_not_load(tmp_path: Path) -> None:
    doc = real_bench_doc()
    doc["bench"]["visa_library"] = str(tmp_path / "no-such-libvisa.so")
    path = write(tmp_path, doc)
    done = hil(
        "run", "--bench", str(path), "--no-allure", f"--reports-dir={tmp_path / 'reports'}",
        "--operator=Test Operator", str(ROOT / "test_suites"),
        cwd=tmp_path,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out and "ERROR " not in out, out
    assert "no-such-libvisa.so" in out and "could not be opened" in out
    assert len(out.strip().splitlines()) <= 15, out


def test_open_bench_raises_one_error_naming_instrument_resource_and_reason(
    dead_bench: Path, closed_port: int
) -> None:
    with pytest.raises(BenchOpenError) as info:
        open_bench(load_bench(dead_bench))
    error = info.value
    assert error.name in NAMES and error.resource == f"TCPIP0::127.0.0.1::{closed_port}::SOCKET"
    assert "refused" in error.reason and "\n" not in str(error)
    assert error.resource in str(error) and error.name in str(error)


def test_a_bench_option_that_is_not_a_number_is_an_input_error(tmp_path: Path) -> None:
    from harness.errors import InputError

    doc = real_bench_doc()
    doc["instruments"][0]["options"] = {"timeout_s": "soon"}
    with pytest.raises(InputError, match=r"instruments\[0\]\.options\.timeout_s"):
        open_bench(load_bench(write(tmp_path, doc)))


@pytest.fixture
def served() -> Iterator[Any]:
    with serve_bench(load_bench(SIM_YAML), device="socket") as bench:
        yield bench


def energise(served: Any) -> None:
    """What a previous, killed run may have left: both supplies on, a load closed, set
    over SCPI like any client would."""
    for name, commands in (
        ("psu", ["APPL CH1,3.8,0.5", "APPL CH2,5.0,0.5", "OUTP ON,(@1:2)"]),
        ("switch", ["ROUT:CLOS (@1001)"]),
    ):
        link = open_scpi(served.resources[name], name=name, timeout_s=2.0)
        try:
            for command in commands:
                link.write(command)
            link.sync()
        finally:
            link.close()
    sim = served.sim
    assert sim.supply(1).on and sim.supply(2).on and sim.load_ohms is not None


def test_what_was_opened_is_made_safe_when_the_unit_port_cannot_be(
    tmp_path: Path, served: Any
) -> None:
    doc = served.bench_document()
    doc["device"]["port"] = "/dev/ttyNOPE"
    energise(served)
    with pytest.raises(BenchOpenError, match=r"dut \(/dev/ttyNOPE\)"):
        open_bench(load_bench(write(tmp_path, doc)))
    assert not served.sim.supply(1).on and not served.sim.supply(2).on
    assert served.sim.load_ohms is None


def test_what_was_opened_is_made_safe_when_an_instrument_cannot_be(
    tmp_path: Path, served: Any, closed_port: int
) -> None:
    doc = served.bench_document()
    switch = next(e for e in doc["instruments"] if e["name"] == "switch")
    switch["resource"] = f"TCPIP0::127.0.0.1::{closed_port}::SOCKET"
    energise(served)
    with pytest.raises(BenchOpenError, match=r"switch \(TCPIP0::127\.0\.0\.1::\d+::SOCKET\)"):
        open_bench(load_bench(write(tmp_path, doc)))
    assert not served.sim.supply(1).on and not served.sim.supply(2).on  # psu was opened
    assert served.sim.load_ohms is not None  # the switch was not: nothing could open it


def test_bench_check_makes_safe_what_it_opened(
    tmp_path: Path, served: Any, closed_port: int
) -> None:
    doc = served.bench_document()
    switch = next(e for e in doc["instruments"] if e["name"] == "switch")
    switch["resource"] = f"TCPIP0::127.0.0.1::{closed_port}::SOCKET"
    energise(served)
    lines = {line.name: line for line in check_bench(load_bench(write(tmp_path, doc)))}
    assert lines["switch"].status == "fail" and "could not be opened" in lines["switch"].detail
    assert lines["psu"].status == "ok" and lines["dmm"].status == "ok"
    assert lines["dut"].status == "ok"
    assert not served.sim.supply(1).on and not served.sim.supply(2).on


def test_run_stops_with_one_message_when_an_instrument_opens_but_never_answers(
    tmp_path: Path, served: Any
) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
    try:
        doc = served.bench_document()
        dmm = next(e for e in doc["instruments"] if e["name"] == "dmm")
        dmm["resource"] = f"TCPIP0::127.0.0.1::{silent.getsockname()[1]}::SOCKET"
        dmm["options"] = {"timeout_s": 0.3}
        path = write(tmp_path, doc)
        done = hil(
            "run", "--bench", str(path), "--serial", served.unit_serial, "--no-allure",
            "--operator=Test Operator", f"--reports-dir={tmp_path / 'reports'}",
            str(ROOT / "test_suites"), cwd=tmp_path,
        )  # fmt: skip
    finally:
        silent.close()
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out and "ERROR " not in out, out
    assert "dmm" in out and "*IDN?" in out, out
    assert len(out.strip().splitlines()) <= 15, out

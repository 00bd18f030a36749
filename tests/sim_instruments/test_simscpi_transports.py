"""Both transports: the in-process PyVISA backend and the loopback TCP servers."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator

import numpy as np
import pytest
import pyvisa
from fake_bench import FakeBench

from harness.sim import registry
from harness.sim.server import serve_instruments

_ids = itertools.count()

SEQUENCE = [
    ("psu", "APPL CH1,3.8,0.5;:OUTP ON,(@1)"),
    ("switch", "ROUT:CLOS (@1001)"),
    ("dmm", "CONF:CURR:DC 1mA;:CURR:NPLC 10"),
    ("dmm", "READ?"),
    ("dmm", "MEAS:CURR:DC?"),
    ("clock", "SYST:CLOC:ADV 0.37"),
    ("scope", ":CHAN1:SCAL 0.05;:CHAN1:OFFS 0.1;:TIM:SCAL 0.02;:TRIG:LEV 0.1;:TRIG:SWE NORM"),
    ("scope", ":DIG CHAN1"),
    ("scope", ":WAV:PRE?"),
    ("psu", "MEAS:VOLT? (@1)"),
    ("clock", "SYST:CLOC?"),
]


def running_bench(seed: int) -> FakeBench:
    sim = FakeBench(seed=seed)
    return sim


@pytest.fixture
def rm_and_bench() -> Iterator[tuple[pyvisa.ResourceManager, FakeBench]]:
    bench_id = f"simscpi{next(_ids)}"
    sim = running_bench(3)
    registry.register(bench_id, sim)  # type: ignore[arg-type]
    rm = pyvisa.ResourceManager(f"{bench_id}@hilsim")
    yield rm, sim
    rm.close()
    registry.unregister(bench_id)


def run_sequence(open_resource: dict[str, pyvisa.resources.MessageBasedResource]) -> list[str]:
    replies = []
    for role, message in SEQUENCE:
        res = open_resource[role]
        if "?" in message:
            replies.append(res.query(message))
        else:
            res.write(message)
            replies.append(res.query("*OPC?"))
    return replies


def test_in_process_resources_listing_and_idn(
    rm_and_bench: tuple[pyvisa.ResourceManager, FakeBench],
) -> None:
    rm, _ = rm_and_bench
    assert "TCPIP0::dmm.sim::5025::SOCKET" in rm.list_resources("?*")
    dmm = rm.open_resource("TCPIP0::dmm.sim::5025::SOCKET", read_termination="\n")
    assert dmm.query("*IDN?").startswith("Keysight Technologies,34465A,")
    with pytest.raises(pyvisa.VisaIOError):
        rm.open_resource("TCPIP0::nothing.sim::5025::SOCKET")


def test_in_process_timeout_clear_and_query_interrupted(
    rm_and_bench: tuple[pyvisa.ResourceManager, FakeBench],
) -> None:
    rm, _ = rm_and_bench
    psu = rm.open_resource("TCPIP0::psu.sim::5025::SOCKET", read_termination="\n")
    with pytest.raises(pyvisa.VisaIOError) as timeout:
        psu.read()
    assert timeout.value.error_code == pyvisa.constants.StatusCode.error_timeout
    psu.write("*IDN?")
    psu.write("*IDN?")  # the first reply was never read
    assert psu.read().startswith("Keysight")
    assert psu.query("SYST:ERR?") == '-410,"Query INTERRUPTED"'
    psu.write("*IDN?")
    psu.clear()
    with pytest.raises(pyvisa.VisaIOError):
        psu.read()


def test_in_process_and_loopback_give_identical_readings() -> None:
    bench_id = f"simscpi{next(_ids)}"
    local = running_bench(11)
    registry.register(bench_id, local)  # type: ignore[arg-type]
    rm = pyvisa.ResourceManager(f"{bench_id}@hilsim")
    try:
        inproc = {
            role: rm.open_resource(
                f"TCPIP0::{role}.sim::5025::SOCKET", read_termination="\n", write_termination="\n"
            )
            for role in {r for r, _ in SEQUENCE}
        }
        first = run_sequence(inproc)  # type: ignore[arg-type]
    finally:
        rm.close()
        registry.unregister(bench_id)
    remote = running_bench(11)
    with serve_instruments(remote) as served:
        rm_py = pyvisa.ResourceManager("@py")
        try:
            loop = {
                role: rm_py.open_resource(
                    served.resources[role], read_termination="\n", write_termination="\n"
                )
                for role in {r for r, _ in SEQUENCE}
            }
            second = run_sequence(loop)  # type: ignore[arg-type]
        finally:
            rm_py.close()
    assert first == second
    assert float(first[3]) == pytest.approx(200e-6, rel=0.02)
    assert local.clock.now() == remote.clock.now() > 0.37


def test_binary_block_with_newlines_through_pyvisa_py() -> None:
    sim = running_bench(5)
    sim.set_load(500.0)
    sim.set_supply(1, 3.8, 0.5, True)
    with serve_instruments(sim, roles=("scope",)) as served:
        rm = pyvisa.ResourceManager("@py")
        try:
            scope = rm.open_resource(served.resources["scope"], write_termination="\n")
            scope.read_termination = None
            # Offset so the 0 V baseline sits at code 10: (128 - 10) * 8 * 0.05 / 256 V;
            # with 0.64 codes of noise = b"\n": the block is full of newlines.
            scope.write(":CHAN1:SCAL 0.05;:CHAN1:OFFS 0.184375;:TIM:SCAL 0.02;:WAV:FORM BYTE")
            scope.write(":WAV:POIN:MODE RAW;:WAV:POIN 100000;:DIG CHAN1")
            scope.write(":WAV:DATA?")
            header = scope.read_bytes(10)
            assert header == b"#800100000"
            payload = scope.read_bytes(100_000)
            assert scope.read_bytes(1) == b"\n"
            codes = np.frombuffer(payload, dtype=np.uint8)
            assert np.count_nonzero(codes == 10) > 1000
            scope.read_termination = "\n"
            assert scope.query(":OPER:COND?") == "0"
        finally:
            rm.close()


def test_loopback_sockets_are_nodelay_and_stop_cleanly() -> None:
    sim = running_bench(1)
    served = serve_instruments(sim, roles=("clock",))
    host, port = served.resources["clock"].split("::")[1:3]
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(b"SYST:CLOC:ADV 2;:SYST:CLOC?\n")
        assert conn.recv(100) == b"2.000000000\n"
    served.stop()
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1)

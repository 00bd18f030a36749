"""The Rigol simulations served on loopback TCP, reached by a client that is not the harness.

`hil sim serve --bench sim-rigol` serves each instrument as the model its bench file
names: the oscilloscope as the DS1054Z and the supply as the DP832, not as the Keysight
models that usually fill those roles. A plain pyvisa client (pyvisa-py, TCPIP SOCKET,
no harness driver) then speaks the DS1000Z and DP800 programming guides' syntax to them
and finds their error queues empty. PyMeasure 0.16 has no driver for either model
(`pymeasure.instruments.rigol` holds only the DG800 generator), so plain pyvisa is the
third-party client here.

The waveform is checked against the fake bench, whose truth is closed-form: 400 µA into
500 Ω is 0.2 V in the first half of each 100 ms period and 0 V in the second.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import pyvisa
from fake_bench import FakeBench

from harness.data import BENCHES
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.sim.serve import ServedBench, serve_bench
from harness.sim.server import ServedInstruments, serve_instruments

NO_ERROR = '0,"No error"'
HIGH_V = 400e-6 * 500.0


@pytest.fixture
def manager() -> Iterator[pyvisa.ResourceManager]:
    rm = pyvisa.ResourceManager("@py")
    yield rm
    rm.close()


def open_socket(rm: pyvisa.ResourceManager, resource: str) -> Any:
    inst = rm.open_resource(resource, read_termination="\n", write_termination="\n")
    inst.timeout = 5000
    return inst


@pytest.fixture(scope="module")
def served_rigol() -> Iterator[ServedBench]:
    with serve_bench(load_bench(BENCHES / "sim-rigol.yaml"), device="socket") as served:
        yield served


def test_serve_names_the_rigol_models_and_their_simulations_answer(
    served_rigol: ServedBench, manager: pyvisa.ResourceManager
) -> None:
    assert served_rigol.roles["scope"] == "rigol-scope"
    assert served_rigol.roles["psu"] == "rigol-psu"
    document = served_rigol.bench_document()
    models = {i["name"]: (i["model"], i["resource"]) for i in document["instruments"]}
    assert models["scope"][0] == "Rigol DS1054Z"
    assert models["scope"][1].startswith("TCPIP0::127.0.0.1::")
    answers = {}
    for name in ("scope", "psu", "dmm"):
        inst = open_socket(manager, served_rigol.resources[name])
        try:
            answers[name] = inst.query("*IDN?").split(",")[:3]
        finally:
            inst.close()
    assert answers["scope"] == ["RIGOL TECHNOLOGIES", "DS1054Z", "DS1ZA170800001"]
    assert answers["psu"] == ["RIGOL TECHNOLOGIES", "DP832", "DP8C170800001"]
    assert answers["dmm"][1] == "34465A"


def test_dp832_over_pyvisa_py_drives_the_served_model(
    served_rigol: ServedBench, manager: pyvisa.ResourceManager
) -> None:
    psu = open_socket(manager, served_rigol.resources["psu"])
    try:
        psu.write(":APPL CH1,3.8,0.5")
        psu.write(":OUTP CH1,ON")
        assert psu.query(":OUTP? CH1") == "ON"
        assert float(psu.query(":MEAS:VOLT? CH1")) == pytest.approx(3.8, abs=2e-3)
        assert served_rigol.sim.supply(1).present_v == pytest.approx(3.8)
        assert psu.query(":APPL? CH1").startswith("CH1:30V/3A,3.8")
        psu.write(":OUTP CH1,OFF")
        assert psu.query(":SYST:ERR?") == NO_ERROR
        assert served_rigol.sim.supply(1).present_v == 0.0
    finally:
        psu.close()


@pytest.fixture
def served(bench: FakeBench) -> Iterator[ServedInstruments]:
    """The scope alone: a served DP832 would reset the fake bench's battery off."""
    with serve_instruments(bench, roles=("rigol-scope",)) as running:
        yield running


def test_ds1054z_single_capture_over_pyvisa_py(
    bench: FakeBench, served: ServedInstruments, manager: pyvisa.ResourceManager
) -> None:
    """The DS1000Z guide's capture: set up, :SINGle, wait for STOP, read :WAV:DATA?."""
    scope = open_socket(manager, served.resources["rigol-scope"])
    try:
        for command in (
            ":CHAN1:PROB 1",
            ":CHAN1:SCAL 0.05",
            ":CHAN1:OFFS 0",
            ":TIM:MAIN:SCAL 0.01",
            ":TIM:MAIN:OFFS 0",
            ":TRIG:EDG:SOUR CHAN1",
            ":TRIG:EDG:LEV 0.1",
            ":TRIG:EDG:SLOP POS",
            ":TRIG:SWE NORM",
            ":SING",
        ):
            scope.write(command)
        assert scope.query(":TRIG:STAT?") == "WAIT"
        with bench.lock:  # time passes on the bench, not in the scope
            bench.clock.advance(0.3)
        assert scope.query(":TRIG:STAT?") == "STOP"
        scope.write(":WAV:SOUR CHAN1;:WAV:MODE NORM;:WAV:FORM BYTE")
        fields = scope.query(":WAV:PRE?").split(",")
        points, xinc, xorigin = int(fields[2]), float(fields[4]), float(fields[5])
        yinc, yorigin, yref = float(fields[7]), float(fields[8]), float(fields[9])
        codes = np.asarray(
            scope.query_binary_values(":WAV:DATA?", datatype="B", container=np.ndarray),
            dtype=float,
        )
        assert codes.size == points == 1200
        volts = (codes - yorigin - yref) * yinc
        t = xorigin + xinc * np.arange(points)
        after, before = (t > 2e-3) & (t < 0.048), (t < -2e-3) & (t > -0.048)
        assert np.median(volts[after]) == pytest.approx(HIGH_V, abs=2 * yinc)
        assert np.median(volts[before]) == pytest.approx(0.0, abs=2 * yinc)
        assert scope.query(":SYST:ERR?") == NO_ERROR
    finally:
        scope.close()


def test_loopback_bench_refuses_a_model_nothing_simulates(tmp_path: Any) -> None:
    """A loopback bench file naming a model the simulator lacks is an input error of its
    line, raised before anything listens, rather than some other model served in its
    place."""
    from harness.bench.station import open_bench

    text = (BENCHES / "sim-rigol-loopback.yaml").read_text()
    path = tmp_path / "bench.yaml"
    path.write_text(
        text.replace(
            "spec: ../specs/rmd1.yaml", f"spec: {BENCHES.parent / 'specs/rmd1.yaml'}"
        ).replace("model: Rigol DP832", "model: Rigol DP831")
    )
    with pytest.raises(InputError, match=r"instruments\[2\]\.model.*Rigol DP831"):
        open_bench(load_bench(path))

"""A misbehaving instrument gives a clear error and the bench still reaches safe state.

Each test opens the default simulated bench through `open_bench` (in-process through the
hilsim VISA backend, and over loopback through pyvisa-py TCP sockets), makes one
instrument misbehave (harness/sim/instruments/misbehaviour.py) and checks two things:
the harness raises `InstrumentError` naming the instrument and what happened, and
`Bench.safe_state()` leaves the *model* safe, checked on the SimBench itself, even when
the misbehaving instrument is one of the safe-state steps: the other steps still run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from robust_bench import fast_bench_file, model_is_safe, stimulate

from harness.bench.station import Bench, open_bench
from harness.definitions.bench_file import load_bench
from harness.errors import InstrumentError
from harness.sim.instruments.misbehaviour import Misbehaviour, arm


@pytest.fixture(params=["in-process", "loopback"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    bench = open_bench(load_bench(fast_bench_file(tmp_path, request.param)))
    try:
        yield bench
    finally:
        bench.close()


def _prepare(bench: Bench, role: str) -> None:
    """Configure the instrument so that the action's first reply is a reading."""
    if role == "dmm":
        bench.ammeter.configure_dc_current(1e-3, 1)
    if role == "scope":
        bench.scope.configure_timebase(1e-3)
        bench.scope.digitize((1,))


ACTIONS: dict[str, Callable[[Bench], object]] = {
    "dmm": lambda bench: bench.ammeter.read_current(),  # READ?
    "scope": lambda bench: bench.scope.read_waveform(1, 1000),  # :WAV:PRE? first
    "psu": lambda bench: bench.supply.measure_voltage(1),  # MEAS:VOLT?
}


@pytest.mark.parametrize("role", ["dmm", "scope", "psu"])
def test_garbage_reply_is_an_instrument_error(opened: Bench, role: str) -> None:
    stimulate(opened)
    _prepare(opened, role)
    arm(opened.sim, role, Misbehaviour.GARBAGE, count=1)
    with pytest.raises(InstrumentError) as caught:
        ACTIONS[role](opened)
    assert caught.value.instrument == role
    assert "reply is not ASCII text" in caught.value.detail, caught.value.detail
    ACTIONS[role](opened)  # the next reply is good again: one bad reply, one error
    assert opened.safe_state() == []
    model_is_safe(opened.sim)


def test_silent_instrument_times_out_quickly(opened: Bench) -> None:
    stimulate(opened)
    arm(opened.sim, "psu", Misbehaviour.SILENT, count=1)
    start = time.monotonic()
    with pytest.raises(InstrumentError) as caught:
        opened.supply.measure_voltage(1)
    assert time.monotonic() - start < 2.0
    assert caught.value.instrument == "psu"
    assert "MEAS:VOLT? (@1)" in caught.value.detail and "imeout" in caught.value.detail
    assert opened.safe_state() == []
    model_is_safe(opened.sim)


def test_connection_dropped_mid_test(opened: Bench) -> None:
    stimulate(opened)
    opened.ammeter.configure_dc_current(1e-3, 1)
    arm(opened.sim, "dmm", Misbehaviour.DROP, count=1)
    with pytest.raises(InstrumentError) as caught:
        opened.ammeter.read_current()
    assert caught.value.instrument == "dmm"
    assert re.search(r"reset|dropped", caught.value.detail), caught.value.detail
    with pytest.raises(InstrumentError, match=r"^dmm: "):  # the link stays dead
        opened.ammeter.read_current()
    assert opened.safe_state() == []
    model_is_safe(opened.sim)


@pytest.mark.parametrize("kind", [Misbehaviour.GARBAGE, Misbehaviour.DROP])
@pytest.mark.parametrize(("role", "step"), [("psu", "supplies off"), ("switch", "relays open")])
def test_safe_state_step_that_fails_after_acting(
    opened: Bench, role: str, step: str, kind: Misbehaviour
) -> None:
    """The command reached the instrument, its `*OPC?` reply did not: reported, yet safe."""
    stimulate(opened)
    arm(opened.sim, role, kind)
    problems = opened.safe_state()
    assert len(problems) == 1 and problems[0].startswith(f"{step}: {role}: "), problems
    model_is_safe(opened.sim)


def test_hung_supply_is_reported_and_the_rest_is_made_safe(opened: Bench) -> None:
    """A supply that hangs cannot be switched off; the unit is off and the load open."""
    stimulate(opened)
    arm(opened.sim, "psu", Misbehaviour.SILENT)
    problems = opened.safe_state()
    assert len(problems) == 1 and problems[0].startswith("supplies off: psu: "), problems
    assert "imeout" in problems[0]
    model_is_safe(opened.sim, supplies_off=False)
    assert opened.sim.supply(1).on  # honest: nothing the harness can do about it


def test_hung_switch_is_reported_and_the_unit_is_unpowered(opened: Bench) -> None:
    """A switch that hangs keeps the load in; the unit is off and the supplies too."""
    stimulate(opened)
    arm(opened.sim, "switch", Misbehaviour.SILENT)
    problems = opened.safe_state()
    assert len(problems) == 1 and problems[0].startswith("relays open: switch: "), problems
    model_is_safe(opened.sim, load_open=False)
    assert opened.sim.load_ohms == pytest.approx(500, rel=0.01)


def test_wrong_identity_is_recorded_as_answered(opened: Bench) -> None:
    """`*IDN?` from the wrong box: the identity record names the box that answered."""
    arm(opened.sim, "psu", Misbehaviour.WRONG_IDN, count=1)
    identities = {i.name: i for i in opened.identities()}
    assert identities["psu"].model == "RIGOL TECHNOLOGIES DP832"
    assert identities["dmm"].model == "Keysight Technologies 34465A"
    assert opened.instruments["psu"].identify().model == "E36312A"  # only one reply

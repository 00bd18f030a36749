"""A small stand-in for the simulated unit, for the test-port tests.

`FakeDevice` implements just the `SimDevice` surface the test-port firmware drives, with
behaviour simple enough to predict in a test (levels wrap, boost sets a flag, events are
appended by the test). It lets the port, the transports and the driver be tested on
their own, and it can be made to misreport (`level="x"`) in ways the real model never
would, to prove the driver notices.
"""

from __future__ import annotations

import binascii
import os
import select
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FakeStatus:
    state: str = "off"
    level: Any = 1
    frequency: int = 2
    boost: bool = False
    contact: bool = False
    charging: bool = False
    battery_mv: float = 3800.0
    session_s: float = 0.0
    on_time_s: float = 0.0
    fault: str | None = None
    lowbatt_warning: bool = False
    boots: int = 1
    reset_cause: str = "power-on"
    uptime_s: float = 0.0


@dataclass(frozen=True)
class FakeEvent:
    index: int
    t_device_s: float
    kind: str
    detail: str


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        assert dt >= 0
        self.t += dt


@dataclass
class FakeDevice:
    clock: FakeClock
    identity: tuple[str, str, str, str] = ("RMD-1", "RMD1-SIM-0001", "1.0.0", "A")
    has_power: bool = True
    state: FakeStatus = field(default_factory=FakeStatus)
    log: list[FakeEvent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def _event(self, kind: str, detail: str = "") -> None:
        self.log.append(FakeEvent(len(self.log), self.clock.now(), kind, detail))

    def power_on(self) -> None:
        self.calls.append("power_on")
        self.state = replace(self.state, state="standby")
        self._event("power", "on")

    def power_off(self) -> None:
        self.calls.append("power_off")
        self.state = replace(self.state, state="off", boost=False)
        self._event("power", "off")

    def set_level(self, level: int) -> None:
        self.calls.append(f"set_level {level}")
        self.state = replace(self.state, level=level)

    def level_up(self) -> None:
        self.calls.append("level_up")
        self.state = replace(self.state, level=self.state.level % 5 + 1)

    def set_frequency(self, index: int) -> None:
        self.calls.append(f"set_frequency {index}")
        if self.state.charging:
            raise RuntimeError("charging")
        self.state = replace(self.state, frequency=index)

    def press_boost(self) -> None:
        self.calls.append("press_boost")
        self.state = replace(self.state, boost=True)
        self._event("boost", "start")

    def start_ocp_selftest(self) -> None:
        self.calls.append("start_ocp_selftest")
        self.state = replace(self.state, state="fault", fault="overcurrent")
        self._event("fault", "overcurrent")

    def status(self) -> FakeStatus:
        return self.state

    def events(self, since: int = 0) -> list[FakeEvent]:
        return [e for e in self.log if e.index >= since]


class FakeBench:
    def __init__(self, seed: int = 0) -> None:
        self.clock = FakeClock()
        self.device = FakeDevice(self.clock)
        self.lock = threading.RLock()
        self._seed = seed

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self._seed, len(name)])


class ScriptedUnit:
    """A pty whose far end answers each request with whatever a test function returns.

    For link behaviour the simulated firmware never produces on its own (a stale reply
    to an earlier tag, an endless line): the test sees the tag the driver chose and
    decides the exact bytes that go back.
    """

    def __init__(self, respond: Callable[[str, str], bytes]) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._respond = respond
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            pending += os.read(self._master, 4096)
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                body = line.decode().rpartition("*")[0]
                command, _, tag = body.rpartition(" @")
                os.write(self._master, self._respond(command, tag))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self._slave)
        os.close(self._master)


def framed(body: str) -> bytes:
    """`body` with its CRC and newline, as the unit would send it."""
    return f"{body}*{binascii.crc_hqx(body.encode(), 0xFFFF):04X}\n".encode()

"""Keysight 34980A switch mainframe as the bench's :class:`LoadSwitch`.

The load resistors (500 Ω, 2 kΩ, 10 kΩ, 100 kΩ) hang on relay channels of a module in
the mainframe; with none closed the spheres see an open circuit. A channel number is
``slot × 1000 + channel``: ``1001`` is slot 1, channel 1.

The switch is read back, never assumed: :meth:`closed_channels` asks the mainframe
which relays are closed, so a stuck relay or a rejected command shows up before a
measurement is taken on the wrong load.

Commands used (Keysight 34980A Programmer's Reference):

============================  =================================================
``ROUTe:CLOSe (@1001)``        close the channel(s)
``ROUTe:OPEN (@1001,1002)``    open the channel(s)
``ROUTe:CLOSe? (@1001,1002)``  one ``1``/``0`` per channel, e.g. ``1,0``
``SYSTem:ERRor?``, ``*OPC?``   error queue; ``*OPC?`` also waits for relay settle
============================  =================================================
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.events.steps import bench_step
from harness.instruments.scpi_reply import parse_flags
from harness.instruments.visa import ScpiInstrument, ScpiLink

#: The channels the simulated and reference benches wire loads to.
DEFAULT_CHANNELS = (1001, 1002, 1003, 1004)


def channel_list(channels: Iterable[int]) -> str:
    """SCPI channel-list syntax, ``(@1001,1002)``."""
    return "(@" + ",".join(str(channel) for channel in channels) + ")"


class Keysight34980A(ScpiInstrument):
    """A 34980A whose relays in ``channels`` switch the loads."""

    def __init__(self, link: ScpiLink, *, channels: Iterable[int] = DEFAULT_CHANNELS) -> None:
        super().__init__(link)
        self.channels = tuple(sorted(set(channels)))
        for channel in self.channels:
            slot, number = divmod(channel, 1000)
            if not (1 <= slot <= 8 and 1 <= number <= 999):
                raise self._reject(f"channel {channel} is not slot(1-8)×1000 + channel(1-999)")
        if not self.channels:
            raise self._reject("no switch channels configured")

    @bench_step
    def close_channel(self, channel: int) -> None:
        self._check(channel)
        self.link.write(f"ROUT:CLOS {channel_list([channel])}")
        self.link.sync()

    @bench_step
    def open_channel(self, channel: int) -> None:
        self._check(channel)
        self.link.write(f"ROUT:OPEN {channel_list([channel])}")
        self.link.sync()

    @bench_step
    def open_all(self) -> None:
        """Open every load channel (only ours: other modules may serve other benches)."""
        self.link.write(f"ROUT:OPEN {channel_list(self.channels)}")
        self.link.sync()

    @bench_step
    def closed_channels(self) -> set[int]:
        reply = self.link.query(f"ROUT:CLOS? {channel_list(self.channels)}")
        flags = parse_flags(reply, instrument=self.name, expected=len(self.channels))
        return {channel for channel, closed in zip(self.channels, flags, strict=True) if closed}

    @bench_step
    def safe_state(self) -> None:
        self.open_all()

    def _check(self, channel: int) -> None:
        if channel not in self.channels:
            raise self._reject(f"channel {channel} is not one of {list(self.channels)}")

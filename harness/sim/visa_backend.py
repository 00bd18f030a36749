"""An in-process PyVISA backend: `pyvisa.ResourceManager(f"{bench_id}@hilsim")`.

PyVISA finds a backend named `hilsim` by importing the module `pyvisa_hilsim` and using
its `WRAPPER_CLASS`, a `VisaLibraryBase` subclass; the part before `@` becomes the
library path, which we use as the bench id, looked up in `harness.sim.registry`. The
simulated instruments then answer as if on the LAN:

    TCPIP0::dmm.sim::5025::SOCKET     Keysight 34465A        (also scope, psu, switch,
    TCPIP0::clock.sim::5025::SOCKET   virtual clock           smu = Keithley 2450)

Nothing runs in the background: a write executes each complete message at once (under
the bench lock), a read returns the queued reply. VISA semantics that drivers rely on
are kept: termination-character reads (`VI_ATTR_TERMCHAR[_EN]`), END at the end of each
reply (so `read_raw`/`read_bytes` with termination off get a whole binary block even when
it holds newline bytes), a timeout error when nothing is queued, viClear, and -410
"Query INTERRUPTED" when a new command arrives before a reply was read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyvisa import constants, rname
from pyvisa.constants import ResourceAttribute, StatusCode
from pyvisa.highlevel import VisaLibraryBase
from pyvisa.typing import VISARMSession, VISASession
from pyvisa.util import LibraryPath

from harness.sim.instruments import MODELS, rack_for
from harness.sim.instruments.session import ScpiSession

HOST_SUFFIX = ".sim"
PORT = 5025


def resource_name(role: str) -> str:
    """The in-process resource string of a role: `TCPIP0::dmm.sim::5025::SOCKET`."""
    return f"TCPIP0::{role}{HOST_SUFFIX}::{PORT}::SOCKET"


_DEFAULT_ATTRIBUTES: dict[int, Any] = {
    ResourceAttribute.timeout_value: 2000,
    ResourceAttribute.termchar: ord("\n"),
    ResourceAttribute.termchar_enabled: False,
    ResourceAttribute.send_end_enabled: True,
    ResourceAttribute.suppress_end_enabled: False,
    ResourceAttribute.resource_class: "SOCKET",
    ResourceAttribute.interface_type: constants.InterfaceType.tcpip,
    ResourceAttribute.interface_number: 0,
    ResourceAttribute.tcpip_port: PORT,
    ResourceAttribute.tcpip_nodelay: True,
    ResourceAttribute.tcpip_keepalive: False,
    ResourceAttribute.io_prot: constants.IOProtocol.normal,
}


class _Link:
    """One open VISA session: the SCPI conversation plus its VISA attributes."""

    def __init__(self, name: str, conversation: ScpiSession) -> None:
        self.conversation = conversation
        self.attributes = dict(_DEFAULT_ATTRIBUTES)
        self.attributes[ResourceAttribute.resource_name] = name
        host = rname.parse_resource_name(name)
        self.attributes[ResourceAttribute.tcpip_address] = getattr(host, "host_address", "")


class HilsimVisaLibrary(VisaLibraryBase):
    """PyVISA backend over the simulated instruments of one registered SimBench."""

    sessions: dict[int, _Link]

    @staticmethod
    def get_library_paths() -> Iterable[LibraryPath]:
        return (LibraryPath("default"),)

    @staticmethod
    def get_debug_info() -> list[str]:
        return ["microcurrent-hil in-process simulated bench (pyvisa_hilsim)"]

    def _init(self) -> None:
        self.sessions = {}
        self._next_session = 1

    @property
    def bench_id(self) -> str:
        return str(self.library_path) or "default"

    def _bench(self) -> Any:
        from harness.sim import registry  # the physics layer; imported when first needed

        return registry.lookup(self.bench_id)

    def open_default_resource_manager(self) -> tuple[VISARMSession, StatusCode]:
        return VISARMSession(0), self.handle_return_value(None, StatusCode.success)

    def list_resources(self, session: VISARMSession, query: str = "?*::INSTR") -> tuple[str, ...]:
        return tuple(rname.filter([resource_name(role) for role in MODELS], query))

    def open(
        self,
        session: VISARMSession,
        resource_name: str,
        access_mode: constants.AccessModes = constants.AccessModes.no_lock,
        open_timeout: int | None = constants.VI_TMO_IMMEDIATE,
    ) -> tuple[VISASession, StatusCode]:
        try:
            parsed = rname.parse_resource_name(resource_name)
        except rname.InvalidResourceName:
            return VISASession(0), self.handle_return_value(
                None, StatusCode.error_invalid_resource_name
            )
        host = str(getattr(parsed, "host_address", ""))
        role = host.removesuffix(HOST_SUFFIX)
        if (
            parsed.resource_class != "SOCKET"
            or not host.endswith(HOST_SUFFIX)
            or role not in MODELS
        ):
            return VISASession(0), self.handle_return_value(
                None, StatusCode.error_resource_not_found
            )
        instrument = rack_for(self._bench()).get(role)
        handle = self._next_session
        self._next_session += 1
        self.sessions[handle] = _Link(resource_name, ScpiSession(instrument))
        return VISASession(handle), StatusCode.success

    def _link(self, session: Any) -> _Link | None:
        return self.sessions.get(int(session))

    def close(self, session: Any) -> StatusCode:
        if session == 0:
            return self.handle_return_value(session, StatusCode.success)
        link = self.sessions.pop(int(session), None)
        status = StatusCode.success if link else StatusCode.error_invalid_object
        return self.handle_return_value(session, status)

    def write(self, session: VISASession, data: bytes) -> tuple[int, StatusCode]:
        link = self._link(session)
        if link is None:
            return 0, self.handle_return_value(session, StatusCode.error_invalid_object)
        link.conversation.write(bytes(data))
        return len(data), self.handle_return_value(session, StatusCode.success)

    def read(self, session: VISASession, count: int) -> tuple[bytes, StatusCode]:
        link = self._link(session)
        if link is None:
            return b"", self.handle_return_value(session, StatusCode.error_invalid_object)
        term = None
        if link.attributes[ResourceAttribute.termchar_enabled]:
            term = int(link.attributes[ResourceAttribute.termchar])
        data, end = link.conversation.read(count, term)
        if not data:
            return b"", self.handle_return_value(session, StatusCode.error_timeout)
        if end:
            status = StatusCode.success
        elif term is not None and data[-1] == term:
            status = StatusCode.success_termination_character_read
        else:
            status = StatusCode.success_max_count_read
        return data, self.handle_return_value(session, status)

    def clear(self, session: VISASession) -> StatusCode:
        link = self._link(session)
        if link is None:
            return self.handle_return_value(session, StatusCode.error_invalid_object)
        link.conversation.clear()
        return self.handle_return_value(session, StatusCode.success)

    def flush(self, session: VISASession, mask: constants.BufferOperation) -> StatusCode:
        return self.handle_return_value(session, StatusCode.success)

    def read_stb(self, session: VISASession) -> tuple[int, StatusCode]:
        link = self._link(session)
        if link is None:
            return 0, self.handle_return_value(session, StatusCode.error_invalid_object)
        engine = link.conversation.instrument.engine
        mav = 16 if link.conversation.pending else 0
        return engine.status_byte() | mav, self.handle_return_value(session, StatusCode.success)

    def get_attribute(self, session: Any, attribute: Any) -> tuple[Any, StatusCode]:
        link = self._link(session)
        if link is None:
            return None, self.handle_return_value(session, StatusCode.error_invalid_object)
        if attribute not in link.attributes:
            return None, self.handle_return_value(session, StatusCode.error_nonsupported_attribute)
        return link.attributes[attribute], self.handle_return_value(session, StatusCode.success)

    def set_attribute(
        self, session: VISASession, attribute: Any, attribute_state: Any
    ) -> StatusCode:
        link = self._link(session)
        if link is None:
            return self.handle_return_value(session, StatusCode.error_invalid_object)
        link.attributes[attribute] = attribute_state
        return self.handle_return_value(session, StatusCode.success)

    def lock(
        self,
        session: VISASession,
        lock_type: constants.Lock,
        timeout: int,
        requested_key: str | None = None,
    ) -> tuple[str, StatusCode]:
        return "", self.handle_return_value(session, StatusCode.success)

    def unlock(self, session: VISASession) -> StatusCode:
        return self.handle_return_value(session, StatusCode.success)

    def disable_event(self, session: VISASession, event_type: Any, mechanism: Any) -> StatusCode:
        return self.handle_return_value(session, StatusCode.success)

    def discard_events(self, session: VISASession, event_type: Any, mechanism: Any) -> StatusCode:
        return self.handle_return_value(session, StatusCode.success)


WRAPPER_CLASS = HilsimVisaLibrary

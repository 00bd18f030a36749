"""The unit under test as the harness sees it through its factory test port.

`testport` defines the role (`TestPort`) and the records it returns; `rmd1_port` is the
driver for the RMD-1 reference device's UART protocol (docs/testport.md).
"""

from harness.dut.testport import (
    CommandRejected,
    DeviceEvent,
    DeviceIdentity,
    DeviceResetError,
    DeviceState,
    DeviceStatus,
    TestPort,
)

__all__ = [
    "CommandRejected",
    "DeviceEvent",
    "DeviceIdentity",
    "DeviceResetError",
    "DeviceState",
    "DeviceStatus",
    "TestPort",
]

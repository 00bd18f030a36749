"""The errors the harness raises, grouped by who has to act on them.

A QA engineer reading a failed run needs to know at a glance whether the *unit* failed
(a verdict, never an exception), whether an *input file* is wrong (fix the file, nothing
was touched), whether an *instrument* misbehaved (check the bench), or whether the
*device's test port* stopped talking (check the cable or the unit). Each has its own
class so the pytest plugin and the Allure categories can tell them apart.
"""

from __future__ import annotations

from pathlib import Path


class HilError(Exception):
    """Base class of every error the harness raises on purpose."""


class InputError(HilError):
    """A spec, bench file, capture or option that is malformed.

    The message always names the file, the line where there is one, the field, and what
    was expected, so the operator can fix it without reading code. Raised before any
    instrument is touched.
    """

    def __init__(
        self,
        source: str | Path,
        field: str,
        expected: str,
        *,
        line: int | None = None,
        got: object = None,
    ) -> None:
        self.source = str(source)
        self.field = field
        self.expected = expected
        self.line = line
        self.got = got
        where = self.source if line is None else f"{self.source}:{line}"
        got_text = "" if got is None else f", got {got!r}"
        super().__init__(f"{where}: {field}: expected {expected}{got_text}")


class InstrumentError(HilError):
    """An instrument reported an error, answered garbage, timed out or dropped the link."""

    def __init__(self, instrument: str, detail: str) -> None:
        self.instrument = instrument
        self.detail = detail
        super().__init__(f"{instrument}: {detail}")


class DeviceCommError(HilError):
    """The unit's factory test port timed out, sent noise or stopped answering."""

    def __init__(self, port: str, detail: str) -> None:
        self.port = port
        self.detail = detail
        super().__init__(f"device port {port}: {detail}")

"""Acme's OEM oscilloscope: an InfiniiVision 1204G sold under Acme's name.

A third party's instrument model for microcurrent-hil, the way ``docs/extending.md``
describes it: a driver (here the harness's own InfiniiVision driver, since the scope
speaks its SCPI) and an ``InstrumentModel`` naming its role, registered by the entry
point ``"Acme OEM DSOX1204G"`` in ``pyproject.toml``. A bench file then writes
``model: Acme OEM DSOX1204G``.

So that a test can tell this driver was the one opened, it appends a line to the file
named by ``ACME_HIL_SCOPE_LOG`` (when set) each time it opens a scope.
"""

from __future__ import annotations

import os

from harness.bench.drivers import Connection, InstrumentModel
from harness.instruments.keysight_dsox1204g import KeysightDSOX1204G


class AcmeScope(KeysightDSOX1204G):
    """The same SCPI as Keysight's; the class exists to be Acme's."""


def _open(connection: Connection) -> AcmeScope:
    log = os.environ.get("ACME_HIL_SCOPE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"opened {connection.entry.name} at {connection.resource}\n")
    return AcmeScope(connection.scpi(), clock=connection.clock)


MODEL = InstrumentModel(role="oscilloscope", open=_open)

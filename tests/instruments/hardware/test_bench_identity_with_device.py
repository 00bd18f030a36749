"""Real-bench smoke test: every SCPI instrument in the bench file answers *IDN? cleanly.

Runs only with ``HIL_BENCH`` pointing at a bench file of the form
``{"instruments": {"dmm": "TCPIP0::192.168.1.20::5025::SOCKET", ...}}`` (YAML).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from harness.instruments.visa import open_scpi

BENCH = os.environ.get("HIL_BENCH")

pytestmark = [
    pytest.mark.hardware,
    pytest.mark.skipif(not BENCH, reason="needs a real bench file (HIL_BENCH unset)"),
]


def test_each_instrument_identifies_and_has_an_empty_error_queue() -> None:
    assert BENCH is not None
    bench = yaml.safe_load(Path(BENCH).read_text(encoding="utf-8"))
    resources: dict[str, str] = bench.get("instruments", {})
    assert resources, f"{BENCH}: no 'instruments' mapping"
    for name, resource_name in resources.items():
        link = open_scpi(resource_name, name=name)
        try:
            identity = link.identify()
            assert identity.model, f"{name}: empty model in *IDN?"
            assert link.drain_errors() == [], f"{name}: errors queued before any test"
        finally:
            link.close()

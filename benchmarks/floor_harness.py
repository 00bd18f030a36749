"""The floor of issue 15's per-measurement figures: the least a pytest harness can cost.

Issue 15 compares the harness with OpenHTF (1,000 measurements in one phase) and with
bare pytest (10,000 tests, one assert each), and asks for each measurement's row to be
durable when ``measure`` returns. Those targets are only worth chasing if *some* pytest
harness could meet them on this machine. This module generates the smallest one that
keeps that promise, to run beside the others in ``bench_speed.py``:

* a ``conftest.py`` whose session fixture ``measure`` opens one SQLite file (WAL journal,
  ``synchronous=NORMAL``: the store's default durability) and, for each value, commits
  one row (an autocommit ``INSERT``: the cheapest durable write SQLite has) and returns
  whether the value is within the limits;
* no spec, no run record, no schema check, no unit conversion, no uncertainty, no
  per-test bookkeeping, nothing written at the end: everything the harness does beyond
  "a durable row per measurement" is absent.

If this floor's ratio already misses a target, no pytest harness that records durably
can meet it here; the harness's own ratio is then read against the floor's, not 1.0.
"""

from __future__ import annotations

FLOOR_CONFTEST = """
import os
import sqlite3

import pytest


@pytest.fixture(scope="session")
def measure():
    con = sqlite3.connect(os.path.join(os.path.dirname(__file__), "floor.sqlite"),
                          isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("CREATE TABLE m (seq INTEGER PRIMARY KEY, requirement TEXT, value REAL, "
                "unit TEXT, conforms INTEGER)")

    def record(requirement, value, unit, lower=320.0, upper=480.0):
        conforms = lower <= value <= upper
        con.execute("INSERT INTO m (requirement, value, unit, conforms) VALUES (?, ?, ?, ?)",
                    (requirement, value, unit, conforms))
        return conforms

    yield record
    con.close()
"""

FLOOR_ONE_TEST = """
def test_m(measure):
    for i in range({n}):
        assert measure("OUT-AMP-L5", 400.0 + (i % 7), "uA")
"""

FLOOR_MANY_TESTS = """
import pytest


@pytest.mark.parametrize("i", range({n}))
def test_m(i, measure):
    assert measure("OUT-AMP-L5", 400.0 + (i % 7), "uA")
"""

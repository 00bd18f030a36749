"""One reader of single cells of the tidy table, for every report module."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from harness.recording.results import finite_or_none


@pytest.mark.parametrize(
    "cell",
    [None, math.nan, np.nan, np.float64("nan"), pd.NA, pd.NaT, math.inf, -np.inf, "", "abc",
     [1.0], object()],
)  # fmt: skip
def test_no_number_is_none(cell: object) -> None:
    assert finite_or_none(cell) is None


@pytest.mark.parametrize(
    ("cell", "number"),
    [(1.5, 1.5), (np.float64(-2.25), -2.25), (np.float32(0.5), 0.5), (np.int64(3), 3.0),
     (7, 7.0), (Decimal("0.1"), 0.1), (0.0, 0.0)],
)  # fmt: skip
def test_a_number_is_a_python_float(cell: object, number: float) -> None:
    found = finite_or_none(cell)
    assert type(found) is float and found == number


def test_cells_read_from_a_float64_column() -> None:
    column = pd.Series([320.0, None, np.nan], dtype="float64")
    assert [finite_or_none(c) for c in column] == [320.0, None, None]

"""Arrays built from buffers equal what ``pyarrow.array`` builds from the same lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from harness.recording import arrow_arrays

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # no lone surrogates
_times = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
)  # fmt: skip


@given(st.lists(st.none() | _text, max_size=20))
def test_strings(values: list[str | None]) -> None:
    assert arrow_arrays.strings(values).equals(pa.array(values, pa.large_string()))
    assert arrow_arrays.strings(values, large=False).equals(pa.array(values, pa.string()))


@given(st.lists(st.none() | st.floats(allow_nan=False), max_size=20))
def test_floats(values: list[float | None]) -> None:
    assert arrow_arrays.floats(values).equals(pa.array(values, pa.float64()))


@given(st.lists(st.none() | st.integers(-(2**63), 2**63 - 1), max_size=20))
def test_integers(values: list[int | None]) -> None:
    assert arrow_arrays.integers(values).equals(pa.array(values, pa.int64()))


@given(st.lists(st.none() | _times, max_size=20))
def test_utc_times(values: list[datetime | None]) -> None:
    built = arrow_arrays.utc_times(values)
    assert built.equals(pa.array(values, pa.timestamp("us", tz="UTC")))
    assert built.to_pylist() == [None if v is None else v.astimezone(UTC) for v in values]


def test_a_naive_time_is_taken_as_utc() -> None:
    naive = datetime(2026, 3, 1, 12, 0, 0, 1)
    assert arrow_arrays.utc_times([naive]).to_pylist() == [naive.replace(tzinfo=UTC)]


@given(st.lists(st.none() | st.lists(_text, max_size=4), max_size=12))
def test_string_lists(values: list[list[str] | None]) -> None:
    assert arrow_arrays.string_lists(values).equals(pa.array(values, pa.list_(pa.string())))

"""``results.csv`` from ``results.parquet``, byte for byte what pandas wrote, without pandas.

Sealing a run writes ``results.csv`` beside its ``results.parquet``
(``harness.reporting.evidence.write_results_csv``), so that any spreadsheet opens the
results. Through pandas (``read_parquet`` then ``to_csv``) that costs a run sealed
without a report (``hil run --no-report``, ``hil evidence seal``) about 0.3 s of
importing pandas. ``csv_bytes`` gives the same bytes from the Parquet file with
pyarrow and the ``csv`` module, which is what pandas writes through: the same writer
settings (``,``, ``"``, minimal quoting, ``os.linesep``), each cell as pandas turns it
into text: a number as ``repr`` (``1e-06``, ``0.30000000000000004``, ``1.0``), a time
as ``%Y-%m-%dT%H:%M:%S.%fZ`` in UTC, a list of names as JSON text, a missing value as
nothing. tests/store/test_results_csv.py compares the two on the same files.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How ``hil results export`` and the sealed ``results.csv`` write a time (UTC)."""


class UnknownColumnType(ValueError):
    """A column of a type the results table never has (the caller may use pandas)."""


def csv_bytes(parquet: str | Path) -> bytes:
    """The UTF-8 text of ``results.csv`` for the table in ``parquet``."""
    with pq.ParquetFile(parquet) as opened:  # pq.read_table's dataset path imports pandas
        table = opened.read()
    cells = [_cells(table.column(i), field) for i, field in enumerate(table.schema)]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=os.linesep, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.column_names)
    writer.writerows(zip(*cells, strict=True))
    return out.getvalue().encode("utf-8")


def _cells(column: pa.ChunkedArray, field: pa.Field) -> list[str]:
    kind = field.type
    text: Callable[[Any], str]
    if pa.types.is_null(kind):
        return [""] * len(column)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = str
    elif pa.types.is_floating(kind):
        text = _number_text
    elif pa.types.is_integer(kind):
        text = str
    elif pa.types.is_timestamp(kind):
        # As microseconds since the epoch (UTC): a time zone's Python conversion
        # imports pandas. pandas prints microseconds (%f) of a nanosecond time too.
        column = column.cast(pa.timestamp("us", tz=kind.tz), safe=False).cast(pa.int64())
        text = _utc_text
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        text = _names_text
    else:
        raise UnknownColumnType(f"results column {field.name!r} of type {kind}")
    return ["" if value is None else text(value) for value in column.to_pylist()]


def _number_text(number: float) -> str:
    return "" if number != number else repr(number)  # NaN is a missing number


def _utc_text(microseconds: int) -> str:
    return (_EPOCH + timedelta(microseconds=microseconds)).strftime(TIME_FORMAT)


def _names_text(names: list[Any]) -> str:
    return json.dumps([str(name) for name in names])

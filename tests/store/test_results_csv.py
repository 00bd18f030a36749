"""``results.csv`` from pyarrow is byte for byte what pandas writes from the same Parquet.

The reference is how the seal wrote it with pandas (``read_parquet``, the lists as JSON
of their names, ``to_csv(index=False, date_format=...)``), on the tables of
``test_results_parquet``'s store (written by pyarrow and by pandas, zero rows too) and
on columns of arbitrary numbers and text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_results_parquet import db  # noqa: F401  (the store fixture)

from harness.recording.results import frame_of
from harness.recording.results_csv import TIME_FORMAT, csv_bytes
from harness.recording.results_parquet import write_run_parquet
from harness.recording.results_rows import run_columns


def _by_pandas(parquet: Path) -> bytes:
    """What ``harness.reporting.evidence.write_results_csv`` wrote with pandas."""
    frame = pd.read_parquet(parquet)
    for column in ("instruments", "attachments"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: json.dumps([str(x) for x in v]))
    return frame.to_csv(index=False, date_format=TIME_FORMAT).encode("utf-8")


@pytest.mark.parametrize("run_id", ["full", "running", "empty"])
@pytest.mark.parametrize("writer", ["pyarrow", "pandas"])
def test_the_same_bytes_as_pandas(db: Path, tmp_path: Path, run_id: str, writer: str) -> None:  # noqa: F811
    parquet = tmp_path / "results.parquet"
    if writer == "pyarrow":
        write_run_parquet(db, run_id, parquet, run_status="passed")
    else:
        frame_of(run_columns(db, run_id)).to_parquet(parquet, index=False)
    assert csv_bytes(parquet) == _by_pandas(parquet)


_text = st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.none() | st.floats(), _text, st.integers(-(2**63), 2**63 - 1)),
             min_size=1, max_size=8)
)  # fmt: skip
def test_numbers_and_text_as_pandas_writes_them(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[float | None, str | None, int]]
) -> None:
    floats, texts, ints = zip(*rows, strict=True)
    frame = pd.DataFrame({
        "value": pd.Series([float("nan") if f is None else f for f in floats], dtype="float64"),
        "note": pd.Series(texts, dtype="string"),
        "seq": pd.Series(ints, dtype="int64"),
    })  # fmt: skip
    parquet = tmp_path_factory.mktemp("csv") / "results.parquet"
    frame.to_parquet(parquet, index=False)
    assert csv_bytes(parquet) == _by_pandas(parquet)


def test_writing_the_csv_does_not_import_pandas(db: Path, tmp_path: Path) -> None:  # noqa: F811
    parquet = write_run_parquet(db, "full", tmp_path / "results.parquet")
    script = (
        "import sys\n"
        "from harness.recording.results_csv import csv_bytes\n"
        f"csv_bytes({str(parquet)!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"

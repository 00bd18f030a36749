"""A database server that does not answer is one line naming it, never a traceback.

Each command that reaches the results database is pointed at a loopback port where
nothing listens (connection refused at once; no other address is ever contacted). It must
print one line that names the server (host:port/database), never the password in the
URL, and exit with status 2 (an input the operator has to fix), before doing anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from store_backends import dead_url
from test_store_roundtrip import make_measurement, make_run

from harness.errors import InputError
from harness.recording.store.journal import BufferedStore
from harness.recording.store.results_store import ResultsStore, StoreError

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Pa55"


def dead_url_with_password() -> str:
    return make_url(dead_url()).set(password=SECRET).render_as_string(hide_password=False)


def kept_journal(url: str, folder: Path) -> Path:
    """A journal with a run and a row the server never got (it was away all along)."""
    with BufferedStore.open(url, folder, retry_interval_s=60) as store:
        store.begin_run(make_run())
        store.append(make_measurement(1))
        journal = store.journal
    assert journal.exists()
    return journal


def hil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ["db", "status"],
        ["db", "upgrade"],
        ["db", "check"],
        ["db", "flush", "--journal={journal}"],
        ["results", "export", "--run=run-1", "--format=csv", "--out={out}"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_each_command_names_the_server_in_one_line(command: list[str], tmp_path: Path) -> None:
    url = dead_url_with_password()
    server = make_url(url)
    journal = kept_journal(url, tmp_path / "journal")
    args = [a.format(journal=journal.parent, out=tmp_path / "out.csv") for a in command]
    done = hil(*args, f"--store={url}")
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 2, output
    assert len(output.splitlines()) == 1, output
    assert f"{server.host}:{server.port}/{server.database}" in output
    assert SECRET not in output
    assert journal.exists()  # nothing kept locally was thrown away
    assert not (tmp_path / "out.csv").exists()


def test_open_raises_an_input_error_that_is_no_store_error() -> None:
    """An outage is not a refusal: ``BufferedStore`` keeps running on it (StoreError
    would stop the upload for good)."""
    url = dead_url_with_password()
    with pytest.raises(InputError) as caught:
        ResultsStore.open(url, create=False)
    assert not isinstance(caught.value, StoreError)
    message = str(caught.value)
    assert "\n" not in message and SECRET not in message
    assert f"127.0.0.1:{make_url(url).port}/nothing" in message

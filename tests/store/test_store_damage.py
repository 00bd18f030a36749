"""A damaged store file is refused in one line, never used as a new store or half-read.

Each damage is made the way it happens (a copy cut short, a file emptied by a full
disk, garbage from a wrong copy, a bad sector inside, a store of another version). Where
SQLite itself could judge the file, the test first shows with the plain ``sqlite3``
module that the file really is damaged, so the store's verdict is checked against an
independent one. ``check_store`` is the preflight ``hil run`` calls before any
instrument is touched; ``ResultsStore.open`` refuses the same files by their header.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from store_backends import dead_url, postgres_url  # noqa: F401  (fixture)
from test_store_roundtrip import make_measurement, make_run

from harness.errors import InputError
from harness.recording.store import engine as store_engine
from harness.recording.store import results_store as store_module
from harness.recording.store.check import check_store
from harness.recording.store.results_store import STORE_SCHEMA_VERSION, ResultsStore

ROWS = 3000  # a store of a few hundred pages, so that damage can be inside it


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole store with one run of ROWS measurements (copied, never changed)."""
    path = tmp_path_factory.mktemp("healthy") / "results.db"
    with ResultsStore.open(path) as store:
        store.begin_run(make_run())
        store.append_many([make_measurement(seq) for seq in range(1, ROWS + 1)])
    return path


def copy_of(healthy: Path, folder: Path) -> Path:
    target = folder / "reports" / "results.db"
    target.parent.mkdir(parents=True)
    shutil.copyfile(healthy, target)
    return target


def sqlite_says(path: Path) -> str:
    """SQLite's own verdict on the file, independent of the harness."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
        return "ok" if rows == [("ok",)] else f"damaged: {rows[0][0]}"
    except sqlite3.DatabaseError as exc:
        return f"damaged: {exc}"


def empty(path: Path) -> None:
    path.write_bytes(b"")


def garbage(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(path.stat().st_size))


def text_file(path: Path) -> None:
    path.write_text("run_id,seq,value\nrun-1,1,0.0001\n")


def truncated_half(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def truncated_header(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(60)


def bad_sector(path: Path) -> None:
    """A page in the middle of the file overwritten with noise; the header stays whole."""
    page = int.from_bytes(path.read_bytes()[16:18], "big")
    pages = path.stat().st_size // page
    with path.open("r+b") as f:
        f.seek(page * (pages // 2))
        f.write(random.Random(3).randbytes(page))


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (empty, "empty file (0 bytes)"),
    "garbage": (garbage, "not an SQLite database"),
    "text": (text_file, "not an SQLite database"),
    "truncated": (truncated_half, "truncated"),
    "header cut": (truncated_header, "truncated"),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_file_is_refused_by_open_and_preflight(
    name: str, healthy: Path, tmp_path: Path
) -> None:
    path = copy_of(healthy, tmp_path)
    damage, says = DAMAGE[name]
    damage(path)
    before = path.read_bytes()
    if before:
        assert sqlite_says(path).startswith("damaged")
    for attempt in (lambda: check_store(str(path)), lambda: ResultsStore.open(path)):
        with pytest.raises(InputError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"{path}: store: ")
        assert says in message
    assert path.read_bytes() == before  # never "repaired" into a new, empty store


def test_empty_file_says_the_harness_never_overwrites_it(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    path.touch()
    with pytest.raises(InputError, match="never creates a new store over an existing file"):
        ResultsStore.open(path)
    assert path.stat().st_size == 0


def test_damage_inside_the_file_is_found_by_the_preflight(healthy: Path, tmp_path: Path) -> None:
    path = copy_of(healthy, tmp_path)
    bad_sector(path)
    assert sqlite_says(path).startswith("damaged")
    with pytest.raises(InputError, match=f"^{path}: store: .*integrity check") as caught:
        check_store(str(path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("version", [STORE_SCHEMA_VERSION + 1, 0])
def test_unknown_schema_version_is_an_input_error(
    healthy: Path, tmp_path: Path, version: int
) -> None:
    path = copy_of(healthy, tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_info SET version = ?", (version,))
    for attempt in (lambda: check_store(str(path)), lambda: ResultsStore.open(path)):
        with pytest.raises(InputError, match=f"schema version {version}"):
            attempt()


@pytest.mark.parametrize("tables", [[], ["CREATE TABLE runs (id INTEGER)"]])
def test_a_database_that_is_not_a_store_is_refused(tmp_path: Path, tables: list[str]) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 3")  # a valid, non-empty SQLite file
        for statement in tables:
            db.execute(statement)
    before = path.read_bytes()
    for attempt in (lambda: check_store(str(path)), lambda: ResultsStore.open(path)):
        with pytest.raises(InputError, match="not a microcurrent-hil results store"):
            attempt()
    assert path.read_bytes() == before


def test_preflight_passes_a_healthy_store_and_a_missing_one(healthy: Path, tmp_path: Path) -> None:
    path = copy_of(healthy, tmp_path)
    before = path.read_bytes()
    check_store(str(path))
    check_store(f"sqlite:///{path}")
    assert path.read_bytes() == before
    missing = tmp_path / "new" / "results.db"
    check_store(str(missing))
    assert not missing.exists() and not missing.parent.exists()


def test_a_store_is_created_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A creation that fails half-way leaves no file behind to be mistaken for a store."""

    def fail(conn: object) -> None:
        raise RuntimeError("power cut while creating the layout")

    for module in (store_module, store_engine):  # wherever the harness creates a layout
        monkeypatch.setattr(module, "create_schema", fail, raising=False)
    path = tmp_path / "results.db"
    with pytest.raises(RuntimeError, match="power cut"):
        ResultsStore.open(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_preflight_of_an_unreachable_server_names_it() -> None:
    url = make_url(dead_url()).set(password="hunter2")
    with pytest.raises(InputError) as caught:
        check_store(url.render_as_string(hide_password=False))
    message = str(caught.value)
    assert f"{url.host}:{url.port}/{url.database}" in message
    assert "hunter2" not in message and "\n" not in message


def test_preflight_of_a_server_database(postgres_url: str) -> None:  # noqa: F811
    check_store(postgres_url)  # empty: the first run creates the layout
    ResultsStore.open(postgres_url).close()
    check_store(postgres_url)
    with ResultsStore.open(postgres_url) as store, store.reading() as conn:
        conn.exec_driver_sql(f"UPDATE schema_info SET version = {STORE_SCHEMA_VERSION + 1}")
    with pytest.raises(InputError, match=f"schema version {STORE_SCHEMA_VERSION + 1}"):
        check_store(postgres_url)


def test_reading_a_damaged_page_is_one_line_naming_the_file(healthy: Path, tmp_path: Path) -> None:
    """Damage the header cannot show is met while reading: still an input error."""
    from harness.recording.results import export, load

    path = copy_of(healthy, tmp_path)
    bad_sector(path)
    assert sqlite_says(path).startswith("damaged")
    for attempt in (
        lambda: load(str(path)),
        lambda: export(str(path), "run-1", "csv", tmp_path / "out.csv"),
    ):
        with pytest.raises(InputError, match=f"^{path}: store: .*damaged") as caught:
            attempt()
        assert "\n" not in str(caught.value)
    assert not (tmp_path / "out.csv").exists()

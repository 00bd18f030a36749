"""The audit log: appended, never rewritten; every kind of edit breaks the chain."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.reporting import audit


def _fill(run_dir: Path, n: int) -> list[audit.AuditEntry]:
    return [audit.append(run_dir, "alice", "retest", {"n": i}) for i in range(1, n + 1)]


def _lines(run_dir: Path) -> list[str]:
    return (run_dir / "audit.log").read_text().splitlines(keepends=True)


def test_entries_are_chained_and_read_back(tmp_path):
    written = _fill(tmp_path, 3)
    assert [e.seq for e in written] == [1, 2, 3]
    assert written[0].prev_hash == audit.GENESIS_HASH
    assert [e.prev_hash for e in written[1:]] == [e.hash for e in written[:-1]]
    assert audit.read_chain(tmp_path) == written
    assert audit.verify_chain(written) == []
    assert written[0].time.utcoffset() is not None
    assert json.loads(_lines(tmp_path)[0])["time"].endswith("Z")


def test_appending_never_rewrites_earlier_bytes(tmp_path):
    _fill(tmp_path, 2)
    before = (tmp_path / "audit.log").read_bytes()
    audit.append(tmp_path, "bob", "override", {"requirement": "OUT-AMP-L5", "why": "café"})
    after = (tmp_path / "audit.log").read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 3


def test_hash_is_sha256_of_the_canonical_entry_without_it(tmp_path):
    import hashlib

    [entry] = _fill(tmp_path, 1)
    line = json.loads(_lines(tmp_path)[0])
    del line["hash"]
    body = json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(body.encode()).hexdigest() == entry.hash


def test_missing_log_is_an_empty_chain(tmp_path):
    assert audit.read_chain(tmp_path) == []


def test_removed_line_is_named(tmp_path):
    entries = _fill(tmp_path, 4)
    problems = audit.verify_chain([entries[0], entries[2], entries[3]])
    assert any("line 2 (seq 3" in p and "seq 2 missing" in p for p in problems)


def test_reordered_lines_are_named(tmp_path):
    e = _fill(tmp_path, 3)
    problems = audit.verify_chain([e[0], e[2], e[1]])
    assert any("line 2 (seq 3" in p for p in problems)
    assert any("line 3 (seq 2" in p and "inserted or reordered" in p for p in problems)


def test_inserted_line_is_named(tmp_path, tmp_path_factory):
    e = _fill(tmp_path, 2)
    other = tmp_path_factory.mktemp("other")
    foreign = _fill(other, 2)[1]  # a genuine entry (own hash fine), from another log
    problems = audit.verify_chain([e[0], foreign, e[1]])
    assert any("line 2 (seq 2" in p and "prev_hash" in p for p in problems)
    assert any("line 3 (seq 2" in p for p in problems)


def test_edited_line_is_named(tmp_path):
    _fill(tmp_path, 3)
    lines = _lines(tmp_path)
    data = json.loads(lines[1])
    data["details"]["n"] = 99
    lines[1] = audit.canonical_json(data).decode() + "\n"
    (tmp_path / "audit.log").write_text("".join(lines))
    entries, unreadable = audit.scan_chain(tmp_path)
    assert unreadable == []
    problems = audit.verify_chain([e for _, e in entries], [n for n, _ in entries])
    assert problems == [
        "audit.log line 2 (seq 2, retest): content does not match its hash: the entry was edited"
    ]


def test_reformatted_line_is_flagged_as_not_canonical(tmp_path):
    _fill(tmp_path, 2)
    lines = _lines(tmp_path)
    lines[0] = json.dumps(json.loads(lines[0]), indent=None) + "\n"  # spaces after ':'
    (tmp_path / "audit.log").write_text("".join(lines))
    _, problems = audit.scan_chain(tmp_path)
    assert problems == ["audit.log line 1 (seq 1): not in canonical form: edited"]


def test_broken_line_stops_appending_and_is_named(tmp_path):
    _fill(tmp_path, 2)
    with (tmp_path / "audit.log").open("a") as log:
        log.write('{"seq": 3, "act')  # a write cut short by a crash
    _, problems = audit.scan_chain(tmp_path)
    assert any(p.startswith("audit.log line 3: cut short") for p in problems)
    with pytest.raises(InputError, match=r"audit\.log"):
        audit.append(tmp_path, "alice", "retest", {})


@pytest.mark.parametrize(
    ("actor", "action"), [("", "retest"), ("alice", "Run Completed"), ("alice", "")]
)
def test_entries_outside_the_schema_are_refused(tmp_path, actor, action):
    with pytest.raises(InputError):
        audit.append(tmp_path, actor, action, {})
    assert not (tmp_path / "audit.log").read_bytes()


def test_unknown_schema_version_is_not_read(tmp_path):
    _fill(tmp_path, 1)
    data = json.loads(_lines(tmp_path)[0])
    data["schema_version"] = 2
    (tmp_path / "audit.log").write_text(json.dumps(data) + "\n")
    _, problems = audit.scan_chain(tmp_path)
    assert problems and problems[0].startswith("audit.log line 1: schema_version")


def test_concurrent_appenders_never_share_a_seq(tmp_path):
    def work(actor: str) -> None:
        for i in range(25):
            audit.append(tmp_path, actor, "retest", {"i": i})

    threads = [threading.Thread(target=work, args=(f"op{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    chain = audit.read_chain(tmp_path)
    assert [e.seq for e in chain] == list(range(1, 101))
    assert audit.verify_chain(chain) == []

"""``hil evidence keygen``: a private key only its owner reads, never written through a link."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from test_evidence_support import hil

from harness.errors import InputError
from harness.reporting import signing

pytest_plugins = ["test_evidence_support"]


def test_force_over_a_world_readable_file_leaves_a_0600_key(tmp_path: Path, capsys) -> None:
    target = tmp_path / "lab.key"
    target.write_text("old")
    target.chmod(0o644)
    status, lines = hil(["evidence", "keygen", "--force", str(target)], capsys)
    assert status == 0, lines
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert signing.load_private_key(target)


def test_a_key_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        signing.generate_key(tmp_path / "lab.key")
    finally:
        os.umask(old)
    assert (tmp_path / "lab.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("force", [False, True])
def test_a_dangling_symlink_at_the_key_path_is_not_followed(tmp_path: Path, force: bool) -> None:
    elsewhere = tmp_path / "shared" / "stolen.key"
    elsewhere.parent.mkdir()
    (tmp_path / "lab.key").symlink_to(elsewhere)
    with pytest.raises(InputError, match="symbolic link"):
        signing.generate_key(tmp_path / "lab.key", overwrite=force)
    assert not elsewhere.exists()


def test_a_symlink_at_the_public_key_path_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "victim.txt"
    elsewhere.write_text("keep me")
    (tmp_path / "lab.key.pub").symlink_to(elsewhere)
    with pytest.raises(InputError, match="symbolic link"):
        signing.generate_key(tmp_path / "lab.key", overwrite=True)
    assert elsewhere.read_text() == "keep me"
    assert not (tmp_path / "lab.key").exists()


def test_replacing_a_key_leaves_no_temporary_files(tmp_path: Path) -> None:
    signing.generate_key(tmp_path / "lab.key")
    first = (tmp_path / "lab.key").read_bytes()
    signing.generate_key(tmp_path / "lab.key", overwrite=True)
    assert (tmp_path / "lab.key").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab.key", "lab.key.pub"]
    public = signing.load_public_key(tmp_path / "lab.key.pub")
    private = signing.load_private_key(tmp_path / "lab.key")
    assert signing.fingerprint(public) == signing.fingerprint(private.public_key())


def test_a_fifo_given_as_a_key_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lab.key.pub")
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            signing.load_public_key(tmp_path / "lab.key.pub")
            outcome.append(None)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)  # a hang must not stop the suite
    worker.start()
    worker.join(timeout=20)
    assert outcome, "loading a FIFO as a key hung"
    assert isinstance(outcome[0], InputError) and "regular file" in str(outcome[0])

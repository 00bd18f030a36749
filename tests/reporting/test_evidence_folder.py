"""What may be in a run folder: regular files only, named when refused, never opened.

A FIFO in the folder used to hang ``hil verify`` (hashing opened it and waited for a
writer); a symbolic or hard link makes the evidence depend on a file outside the folder.
The folder itself must be a run: ``run.json`` naming the folder, and ``results.parquet``.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from test_evidence_support import ROOT, RUN_ID, hil

from harness.errors import InputError
from harness.reporting import evidence

pytest_plugins = ["test_evidence_support"]  # fixtures: run_copy, sealed


def verify_in_a_subprocess(run_dir: Path) -> subprocess.CompletedProcess[str]:
    return hil_in_a_subprocess(["verify", str(run_dir)])


def hil_in_a_subprocess(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``hil ...`` with a time bound: a hang is a failure, never a stuck suite."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "harness.cli.main", *argv],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"hil {argv[0]} hung on the run folder")


def test_a_fifo_is_refused_by_name_and_verify_does_not_hang(sealed):
    os.mkfifo(sealed / "captures" / "pipe.npz")
    done = verify_in_a_subprocess(sealed)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REFUSED captures/pipe.npz" in done.stdout and "FIFO" in done.stdout


def test_a_fifo_named_like_the_manifest_is_refused_not_read(sealed):
    (sealed / "manifest.json").unlink()
    os.mkfifo(sealed / "manifest.json")
    done = verify_in_a_subprocess(sealed)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REFUSED manifest.json" in done.stdout


def test_seal_refuses_a_fifo_by_name_without_opening_it(run_copy):
    os.mkfifo(run_copy / "pipe")
    done = hil_in_a_subprocess(["evidence", "seal", str(run_copy), "--actor", "alice"])
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pipe" in done.stderr and "FIFO" in done.stderr
    assert not (run_copy / "manifest.json").exists()


def _socket(path: Path) -> None:
    if len(str(path)) > 100:
        pytest.skip("the temporary path is too long for a unix socket")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def _hard_link(path: Path) -> None:
    os.link(path.parent / "run.json", path)


def _symlink(path: Path) -> None:
    path.symlink_to(path.parent / "run.json")


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def _device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs privileges")


@pytest.mark.parametrize(
    ("make", "kind"),
    [(_socket, "socket"), (_hard_link, "hard link"), (_symlink, "symbolic link"),
     (_dangling, "symbolic link"), (_device, "device")],
)  # fmt: skip
def test_anything_but_a_regular_file_is_refused_by_name(sealed, capsys, make, kind):
    make(sealed / "odd")
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(line.startswith("REFUSED odd") and kind in line for line in lines), lines


def test_a_symlinked_subfolder_is_refused(sealed, tmp_path, capsys):
    (tmp_path / "elsewhere").mkdir()
    (sealed / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(line.startswith("REFUSED more") for line in lines), lines


def test_hashing_a_large_file_keeps_memory_bounded(tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        out.truncate(256 * 1024 * 1024)  # sparse: no disk used
    tracemalloc.start()
    try:
        digest = evidence.sha256_file(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(digest) == 64
    assert peak < 8 * 1024 * 1024


def test_seal_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    folder = tmp_path / "R1"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    status = hil(["evidence", "seal", str(folder), "--actor", "alice"], capsys)[0]
    assert status == 2
    assert not (folder / "manifest.json").exists() and not (folder / "audit.log").exists()


@pytest.mark.parametrize("what", ["run_id", "results"])
def test_seal_refuses_a_run_json_of_another_folder_or_no_results(run_copy, what):
    if what == "run_id":
        data = json.loads((run_copy / "run.json").read_text())
        (run_copy / "run.json").write_text(json.dumps({**data, "run_id": "OTHER"}))
    else:
        (run_copy / "results.parquet").unlink()
    with pytest.raises(InputError, match=r"run\.json|results\.parquet"):
        evidence.seal_run(run_copy, actor="alice")
    assert not (run_copy / "audit.log").exists()


def test_a_renamed_package_fails_verification(sealed, capsys):
    renamed = sealed.rename(sealed.with_name("OTHER-RUN"))
    status, lines = hil(["verify", str(renamed)], capsys)
    assert status == 1
    assert any(line.startswith("RUN") and RUN_ID in line and "OTHER-RUN" in line
               for line in lines), lines  # fmt: skip

"""The run record's provenance says what git and importlib.metadata say.

``git_commit`` reads the commit and the work tree's state from one ``git status``; each
case compares it with ``git rev-parse HEAD`` and ``git status --porcelain`` (what the
record said when it ran both) on a repository laid out one way: loose and packed refs,
a detached HEAD, a linked worktree, no commit yet, no repository at all, and a git that
does not know the options. ``package_versions`` reads only the metadata's header lines;
it must give ``importlib.metadata.version`` for every installed distribution, and leave
to it the files its header lines could be read otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from importlib import metadata
from pathlib import Path

import pytest

import harness
from harness.recording.provenance import (
    KEY_PACKAGES,
    _version,
    git_commit,
    package_versions,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def as_two_commands_say(directory: Path) -> str | None:
    """What ``git_commit`` answered with ``rev-parse HEAD`` and ``status --porcelain``."""
    try:
        head = git(directory, "rev-parse", "HEAD")
        dirty = git(directory, "status", "--porcelain", "--untracked-files=no")
    except subprocess.CalledProcessError:
        return None
    return f"{head}-dirty" if dirty else head


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two commits, ``sub/a.txt`` tracked, and its refs loose."""
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "sub" / "a.txt").write_text("one\n", encoding="utf-8")
    git(root, "add", "sub/a.txt")
    git(root, "commit", "-q", "-m", "one")
    (root / "sub" / "a.txt").write_text("two\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "two")
    return root


def test_a_clean_checkout_is_its_commit(repo: Path) -> None:
    assert (repo / ".git" / "refs" / "heads" / "main").is_file()
    assert git_commit(repo / "sub") == git(repo, "rev-parse", "HEAD")
    assert git_commit(repo / "sub") == as_two_commands_say(repo / "sub")


def test_a_changed_or_staged_tracked_file_is_dirty_an_untracked_one_is_not(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    (repo / "new.txt").write_text("untracked\n", encoding="utf-8")
    assert git_commit(repo) == head == as_two_commands_say(repo)
    (repo / "sub" / "a.txt").write_text("three\n", encoding="utf-8")
    assert git_commit(repo) == f"{head}-dirty" == as_two_commands_say(repo)
    git(repo, "add", "sub/a.txt")  # staged only: the work tree equals the index
    assert git_commit(repo) == f"{head}-dirty" == as_two_commands_say(repo)
    git(repo, "rm", "-q", "--cached", "sub/a.txt")
    assert git_commit(repo) == f"{head}-dirty" == as_two_commands_say(repo)


def test_packed_refs_and_a_detached_head(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert git_commit(repo) == git(repo, "rev-parse", "HEAD") == as_two_commands_say(repo)
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "checkout", "-q", "--detach", first)
    assert git_commit(repo) == first == as_two_commands_say(repo)


def test_a_linked_worktree_is_its_own_commit(repo: Path, tmp_path: Path) -> None:
    first = git(repo, "rev-parse", "HEAD~1")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "other", str(linked), first)
    assert (linked / ".git").is_file()  # "gitdir: ...": the refs are the main repository's
    assert git_commit(linked / "sub") == first == as_two_commands_say(linked)
    (linked / "sub" / "a.txt").write_text("changed\n", encoding="utf-8")
    assert git_commit(linked) == f"{first}-dirty" == as_two_commands_say(linked)
    assert git_commit(repo) == git(repo, "rev-parse", "HEAD")  # the main one is clean


def test_no_commit_yet_and_no_repository_are_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # tmp_path in a checkout?
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    assert git_commit(empty) is None and as_two_commands_say(empty) is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert git_commit(elsewhere) is None


def test_an_older_git_gets_the_two_commands(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A git that refuses ``--porcelain=v2``/``--no-ahead-behind`` exits 129."""
    real = shutil.which("git")
    assert real is not None
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "git").write_text(
        "#!/bin/sh\n"
        'case "$*" in *--no-ahead-behind*) echo "error: unknown option" >&2; exit 129;; esac\n'
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    head = git(repo, "rev-parse", "HEAD")
    assert git_commit(repo) == head
    (repo / "sub" / "a.txt").write_text("three\n", encoding="utf-8")
    assert git_commit(repo) == f"{head}-dirty"


def test_this_checkout_is_the_commit_git_names() -> None:
    """Where the harness runs from: a commit a moment apart may differ (others commit)."""
    where = Path(harness.__file__).parent / "plugin"
    try:
        git(where, "rev-parse", "HEAD")
    except subprocess.CalledProcessError:
        pytest.skip("the harness is not in a git checkout here")
    for _ in range(5):
        expected = as_two_commands_say(where)
        if git_commit(where) == expected == as_two_commands_say(where):
            return
    pytest.fail(f"git_commit {git_commit(where)!r}, git says {as_two_commands_say(where)!r}")


def test_package_versions_are_importlib_metadatas() -> None:
    expected: dict[str, str] = {}
    for name in KEY_PACKAGES:
        try:
            expected[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected[name] = "not installed"
    assert package_versions() == expected


def test_every_installed_distribution_reads_the_same_version() -> None:
    distributions = list(metadata.distributions())
    assert len(distributions) > 10
    for dist in distributions:
        assert _version(dist) == dist.version, dist.locate_file("")


#: a folded Version: what importlib.metadata makes of it (its own re-indenting) is its own
UNFOLDED = "(importlib.metadata's unfolding)"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Metadata-Version: 2.1\nName: acme\nVersion: 1.2.3\n\nVersion: 9\n", "1.2.3"),
        ("Metadata-Version: 2.1\nname: acme\nversion:\t1.2.3 \nVersion: 2\n", "1.2.3 "),
        ("Metadata-Version: 2.1\nName: acme\nVersion: 1.2\n .3\n", UNFOLDED),
        ("Metadata-Version: 2.1\r\nName: acme\r\nVersion: 1.2.3\r\n\r\n", "1.2.3"),
        ("Metadata-Version: 2.1\nName: acme\nno header here\nVersion: 1.2.3\n", None),
        ("Metadata-Version: 2.1\nSummary: a\n  long one: folded\nVersion: 4\n", "4"),
    ],
)
def test_a_header_block_reads_as_the_email_parser_reads_it(
    tmp_path: Path, header: str, expected: str | None
) -> None:
    folder = tmp_path / "acme-1.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_bytes(header.encode("utf-8"))
    dist = metadata.PathDistribution(folder)
    with warnings.catch_warnings():  # no Version: None, deprecated (a KeyError to come)
        warnings.simplefilter("ignore", DeprecationWarning)
        assert expected is UNFOLDED or dist.version == expected  # importlib.metadata's
        assert _version(dist) == dist.version


def test_an_egg_info_reads_its_pkg_info(tmp_path: Path) -> None:
    folder = tmp_path / "acme.egg-info"
    folder.mkdir()
    (folder / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: acme\nVersion: 0.9\n", "utf-8")
    dist = metadata.PathDistribution(folder)
    assert _version(dist) == dist.version == "0.9"

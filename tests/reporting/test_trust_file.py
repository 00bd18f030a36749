"""The laboratory trust file: strict, versioned, every error names file, line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.reporting import signing
from harness.reporting.trust import load_lab

GOOD = """\
schema_version: 1
laboratory: {name: "Example Test Lab", address: "1 Example Road, Town"}
signing_key: keys/lab.key
trusted_keys:
  - {name: "lab 2026", public_key: keys/lab.key.pub, valid_from: 2026-01-01,
     valid_until: 2027-01-01}
  - {name: "lab 2027", public_key: keys/lab2027.pub, valid_from: 2026-12-01}
"""


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    signing.generate_key(tmp_path / "keys" / "lab.key")
    signing.generate_key(tmp_path / "keys" / "lab2027")  # and keys/lab2027.pub
    return tmp_path


def test_a_good_file_resolves_paths_beside_itself(lab_dir: Path) -> None:
    (lab_dir / "lab.yaml").write_text(GOOD)
    lab = load_lab(lab_dir / "lab.yaml")
    assert lab.name == "Example Test Lab" and lab.address == "1 Example Road, Town"
    assert lab.signing_key == lab_dir / "keys" / "lab.key"
    assert [k.name for k in lab.keys] == ["lab 2026", "lab 2027"]
    public = signing.load_public_key(lab_dir / "keys" / "lab.key.pub")
    assert lab.keys[0].fingerprint == signing.fingerprint(public)
    inside = datetime(2026, 6, 1, tzinfo=UTC)
    assert lab.keys[0].valid_at(inside) and not lab.keys[1].valid_at(inside)
    assert not lab.keys[0].valid_at(datetime(2027, 1, 1, tzinfo=UTC))  # until: exclusive
    assert lab.keys[1].valid_at(datetime(2026, 12, 1, tzinfo=UTC))  # from: inclusive
    assert lab.keys[1].valid_at(datetime(2099, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("old", "new", "field", "line"),
    [
        ("schema_version: 1", "schema_version: 3", "schema_version", 1),
        ('address: "1 Example Road, Town"}', 'address: "x", phone: 1}', "laboratory.phone", 2),
        ("keys/lab2027.pub", "keys/none.pub", "trusted_keys[1].public_key", 7),
        ("valid_from: 2026-12-01", "valid_from: tomorrow", "trusted_keys[1].valid_from", 7),
        ("valid_until: 2027-01-01", "valid_until: 2025-01-01", "trusted_keys[0]", 6),
        ('"lab 2027"', '"lab 2026"', "trusted_keys[1].name", 7),
    ],
)
def test_errors_name_the_file_the_field_and_the_line(
    lab_dir: Path, old: str, new: str, field: str, line: int
) -> None:
    assert old in GOOD
    (lab_dir / "lab.yaml").write_text(GOOD.replace(old, new))
    with pytest.raises(InputError) as caught:
        load_lab(lab_dir / "lab.yaml")
    assert caught.value.source == str(lab_dir / "lab.yaml")
    assert caught.value.field.startswith(field), caught.value
    assert caught.value.line == line, caught.value


def test_a_signing_key_that_is_not_a_private_key_is_named_when_used(lab_dir: Path) -> None:
    (lab_dir / "lab.yaml").write_text(GOOD.replace("keys/lab.key\n", "keys/lab.key.pub\n"))
    lab = load_lab(lab_dir / "lab.yaml")  # an auditor's copy need not hold the private key
    with pytest.raises(InputError) as caught:
        lab.usable_signing_key()
    assert caught.value.field == "signing_key" and caught.value.line == 3
    assert caught.value.source == str(lab_dir / "lab.yaml")


def test_no_trusted_key_is_refused(lab_dir: Path) -> None:
    (lab_dir / "lab.yaml").write_text(GOOD.split("trusted_keys:")[0] + "trusted_keys: []\n")
    with pytest.raises(InputError, match="trusted_keys"):
        load_lab(lab_dir / "lab.yaml")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"none\.yaml"):
        load_lab(tmp_path / "none.yaml")

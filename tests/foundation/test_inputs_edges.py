"""Input files as people really write them: bytes, dates and numbers YAML may misread.

Every case is a spec or bench file a person could plausibly save; the expected outcome is
written out by hand from the text, never computed by the loader under test.
"""

from pathlib import Path

import pytest

from harness.data import RMD1_SPEC
from harness.errors import InputError
from harness.judging.spec import load_spec


def test_spec_saved_as_windows_1252_is_an_input_error(tmp_path: Path) -> None:
    # "§" saved by a Windows editor as the single byte 0xA7: not UTF-8
    text = RMD1_SPEC.read_text(encoding="utf-8")
    assert "§" in text
    path = tmp_path / "spec.yaml"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert info.value.field == "file"
    assert "UTF-8" in info.value.expected
    assert info.value.line == 3  # the first "§" of rmd1.yaml is on its line 3
    assert str(path) in str(info.value)

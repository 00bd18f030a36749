"""Whether the instrument that answered is the one the bench file names.

A bench file says ``Keysight DSOX1204G``; the scope's ``*IDN?`` says ``DSO-X 1204G``.
Vendors write their own model names with dashes, spaces and the maker in front, so the
comparison ignores case and punctuation and asks whether the bench file's name ends with
what the instrument reports. Both the opened bench (refusing a swapped instrument) and
``hil bench check`` (reporting one) ask this one question.
"""

from __future__ import annotations

import re


def _normalise(model: str) -> str:
    return re.sub(r"[^0-9a-z]", "", model.lower())


def model_matches(declared: str, reported_model: str) -> bool:
    """``Keysight DSOX1204G`` (bench file) matches ``DSO-X 1204G`` (``*IDN?``)."""
    reported = _normalise(reported_model)
    return bool(reported) and _normalise(declared).endswith(reported)


__all__ = ["model_matches"]

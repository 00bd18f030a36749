"""A production line: several benches testing several units at once.

A *bench pool* file names the benches of a line; ``hil run --workers N`` starts N pytest
workers (pytest-xdist, ``--dist each``: every worker runs the whole suite), and worker
``k`` takes bench ``k`` of the pool and unit serial ``k`` of the list (from
``--serials SN1,SN2`` or ``--serials @file``, else each unit's own report). Each worker
is a separate compliance run with its own run id (``<run-id>-gw<k>``), its own
``reports/<run-id>-gw<k>/`` and its own rows in the shared results store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import InputError
from harness.judging.input_file import read_input, utf8_text
from harness.judging.names import check_identifier
from harness.judging.yamlfile import load_yaml, validate


class PoolDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(alias="schema")
    line: str
    benches: list[str] = Field(min_length=1)


def load_pool(path: str | Path) -> list[Path]:
    """The bench files of a pool, resolved against the pool file's folder."""
    doc = load_yaml(path)
    pool = validate(PoolDocument, doc)
    benches = [(doc.source.parent / b).resolve() for b in pool.benches]
    for index, bench in enumerate(benches):
        if not bench.is_file():
            raise InputError(
                doc.source,
                f"benches[{index}]",
                "an existing bench file",
                line=doc.line_of(("benches", index)),
                got=str(bench),
            )
    return benches


def parse_serials(text: str) -> list[str]:
    """``SN1,SN2`` or ``@file`` (one serial a line; blank lines and # comments skipped)."""
    if text.startswith("@"):
        path = Path(text[1:])
        raw = read_input(path, "serials", "a readable file of serials")
        lines = utf8_text(raw, path, "serials", "UTF-8 text").splitlines()
        serials = [s.split("#", 1)[0].strip() for s in lines]
    else:
        serials = [s.strip() for s in text.split(",")]
    serials = [s for s in serials if s]
    if not serials:
        raise InputError("--serials", "serials", "at least one serial", got=text)
    for serial in serials:
        check_identifier(serial, source=text if text.startswith("@") else "--serials",
                         field="serial")  # fmt: skip
    if len(set(serials)) != len(serials):
        raise InputError("--serials", "serials", "each serial once", got=text)
    return serials


def worker_index(workerid: str | None) -> int | None:
    """``gw3`` → 3; None outside pytest-xdist workers."""
    if not workerid or not workerid.startswith("gw") or not workerid[2:].isdigit():
        return None
    return int(workerid[2:])

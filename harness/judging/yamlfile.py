"""Reading YAML input files so that every error can name its line.

Spec files and bench files are written by people, so their errors must be reported the
way a person fixes them: file, line, field, what was expected. PyYAML's constructed
objects forget where they came from, so this module composes the node tree as well and
keeps a map from each value's path (``("requirements", 3, "lower")``) to its line.
Duplicate mapping keys, which YAML silently resolves to the last one, are an error here:
a spec with two ``upper:`` keys is a spec nobody can audit. So is an integer longer than
Python will read (4300 digits): PyYAML would raise a bare ``ValueError`` with a
traceback; here it is an error naming its line and field like any other.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import InputError
from harness.judging.input_file import read_input, utf8_text
from harness.judging.units import brief

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class FieldError(ValueError):
    """Raised by a model validator to blame one field of the object being validated.

    ``field_name`` is a key of that object, or a path below it (``("conditions",
    "battery")``) when the culprit is an entry of a mapping field.
    """

    def __init__(self, field_name: str | tuple[str | int, ...], expected: str) -> None:
        self.field_name = field_name
        super().__init__(expected)

    @property
    def path(self) -> tuple[str | int, ...]:
        return self.field_name if isinstance(self.field_name, tuple) else (self.field_name,)


@dataclass(frozen=True)
class YamlDocument:
    """The data of one YAML file plus the line (1-based) where each value starts."""

    source: Path
    data: Any
    text: str
    lines: dict[PathKey, int] = field(default_factory=dict)
    raw: bytes | None = None
    """The file's bytes as read (``text`` has its newlines made ``\n``): what a hash that
    must match the file's own (``sha256sum``) is computed over."""

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the value at ``path``, or of its nearest enclosing value."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)


def _walk(
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    source: Path,
    walked: dict[int, PathKey] | None = None,
) -> None:
    lines[path] = node.start_mark.line + 1
    walked = {} if walked is None else walked  # each node's id -> its (first) path
    if id(node) in walked:  # an alias: walking shared nodes again is exponential
        return
    walked[id(node)] = path
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                where = dotted((*path, key))
                raise InputError(
                    source,
                    where,
                    f"a key given once (first at line {seen[key]})",
                    line=line,
                    got="a duplicate key",
                )
            seen[key] = line
            _walk(value_node, (*path, key), lines, source, walked)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, source, walked)


def load_yaml(path: str | Path) -> YamlDocument:
    """Read and parse ``path``; syntax errors and duplicate keys become InputError."""
    source = Path(path)
    raw = read_input(source, "file")
    return parse_yaml(_decode(raw, source), source, raw=raw)


def _decode(raw: bytes, source: Path) -> str:
    """The text of ``raw`` as UTF-8 (``input_file.utf8_text``: a Windows-1252 file is an
    InputError naming its line), newlines made ``\n`` as ``Path.read_text`` would."""
    text = utf8_text(raw, source, "file", "UTF-8 text (save the file as UTF-8)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _BadScalar(Exception):
    """A scalar YAML's grammar matched but Python cannot build: ``expected`` says what."""

    def __init__(self, node: yaml.Node, expected: str, got: object = None) -> None:
        self.line = node.start_mark.line + 1
        self.node_id = id(node)
        self.got = got
        super().__init__(expected)


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader where PyYAML was built with it (about ten times faster: a spec
    loads in ~30 ms instead of ~330 ms, which every run and every worker pays), else the
    pure-Python one; both give the same data and the same line marks. Its integers are
    read by :func:`_construct_int`."""


_OTHER_BASE = re.compile(r"^[-+]?(0[0-7_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)$")
"""YAML 1.1 numbers a person reads in base ten but YAML does not: ``010`` (octal, 8) and
``1:30`` (base 60, 90; ``1:30.5`` is 90.5)."""


def _not_another_base(node: yaml.ScalarNode) -> None:
    """A plain ``010`` or ``1:30`` is an error rather than 8 or 90.

    YAML 1.1 reads a leading zero as octal and colons as base 60, so ``upper: 0100`` in a
    spec was a limit of 64, ``level: 010`` level 8, and ``1:30`` 90 in whatever unit the
    field has: wrong values accepted without a word. Quoted, they are text and parsed as
    written (``"0100"`` is 100); ``0x..`` and ``0b..`` say their base and are kept."""
    if _OTHER_BASE.match(node.value):
        raise _BadScalar(
            node,
            "a number in base ten without a leading zero or colons (YAML 1.1 reads 010 as "
            "octal 8 and 1:30 as 90): write it plainly, or quote it",
            node.value,
        )


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    _not_another_base(node)
    try:
        return int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))
    except ValueError:  # Python's limit on int(str) digits; YAML's own grammar matched
        expected = f"a number of at most {sys.get_int_max_str_digits()} digits"
        raise _BadScalar(node, expected) from None


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A date YAML's pattern matches but the calendar has not (``2026-13-01``,
    ``2027-02-30``, a calibration due date mistyped) made PyYAML raise a bare
    ``ValueError`` and the loader crash with a traceback; here it is an error naming its
    line and field."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise _BadScalar(node, f"a real calendar date, YYYY-MM-DD ({exc})", node.value) from None


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    _not_another_base(node)
    return float(yaml.constructor.SafeConstructor.construct_yaml_float(loader, node))


_SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def parse_yaml(text: str, source: str | Path, raw: bytes | None = None) -> YamlDocument:
    """Parse YAML ``text`` that came from ``source`` (used in error messages), read from
    the bytes ``raw`` where it was a file."""
    src = Path(source)
    loader = _SafeLoader(text)
    lines: dict[PathKey, int] = {}
    paths: dict[int, PathKey] = {}
    try:  # one parse: the node tree (for line numbers), then the data built from it
        node = loader.get_single_node()
        if node is not None:
            _walk(node, (), lines, src, paths)
        data = loader.construct_document(node) if node is not None else None
    except _BadScalar as exc:
        at = paths.get(exc.node_id)  # the scalar's own path: a flow mapping has several
        if at is None:
            at = max((p for p, n in lines.items() if n == exc.line), key=len, default=())
        raise InputError(src, dotted(at), str(exc), line=exc.line, got=exc.got) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "valid YAML"
        raise InputError(src, "yaml", f"valid YAML syntax ({problem})", line=line) from exc
    except yaml.YAMLError as exc:
        raise InputError(src, "yaml", f"valid YAML syntax ({exc})") from exc
    finally:
        loader.dispose()
    return YamlDocument(source=src, data=data, text=text, lines=lines, raw=raw)


def dotted(loc: Sequence[str | int]) -> str:
    """``("requirements", 3, "lower")`` → ``requirements[3].lower``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


_FRIENDLY = {
    "missing": "a value for this required field",
    "extra_forbidden": "no such field (a field the schema defines)",
}


def _lookup(data: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def validate(model: type[M], doc: YamlDocument) -> M:
    """Validate ``doc`` against a pydantic model; the first error becomes an InputError."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if isinstance(p, (str, int)))
        message = _FRIENDLY.get(first["type"], str(first["msg"]).removeprefix("Value error, "))
        got = first.get("input")
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            loc = (*loc, *cause.path)
            message = str(cause)
            got = _lookup(doc.data, loc)
        shown = _shown(got)
        if shown is not None:  # the value is said once, by InputError
            message = message.removesuffix(f", got {brief(got)}")
        raise InputError(
            doc.source, dotted(loc), message, line=doc.line_of(loc), got=shown
        ) from exc


class _Brief(str):
    """Text that InputError quotes as it is (it already is a cut-short ``repr``)."""

    def __repr__(self) -> str:
        return str(self)


def _shown(got: object) -> object:
    """The value to quote in an error: scalars only, and a long one cut short."""
    if not isinstance(got, (str, int, float, bool)):
        return None
    text = brief(got)
    try:
        return got if text == repr(got) else _Brief(text)
    except ValueError:  # an integer too long for repr
        return _Brief(text)


def require_unique(
    doc: YamlDocument, list_key: str, field_name: str, values: Sequence[object], expected: str
) -> None:
    """InputError at the first entry of ``doc[list_key]`` whose ``field_name`` repeats one
    before it (requirement ids, instrument names, switch channels must each be unique)."""
    seen: set[object] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise InputError(
                doc.source,
                f"{list_key}[{index}].{field_name}",
                expected,
                line=doc.line_of((list_key, index, field_name)),
                got=value,
            )
        seen.add(value)

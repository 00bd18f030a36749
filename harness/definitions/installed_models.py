"""Which instrument models and device drivers are installed: entry points, by name.

A laboratory adds a scope the harness does not ship, or a device with its own test
port, from a package of its own: no fork, no edit of a table in the harness. Any
installed distribution registers under two entry-point groups, the name being what a
bench file writes as ``model:``::

    [project.entry-points."microcurrent_hil.instruments"]
    "Acme SC-1204" = "acme_hil.scope:MODEL"        # an InstrumentModel (harness.bench.drivers)

    [project.entry-points."microcurrent_hil.devices"]
    "RMD-1" = "harness.bench.builtin_models:RMD_1"  # a DeviceModel

The harness registers its own models the same way (its ``pyproject.toml``), so there is
one way in and the shipped models have no privilege a third party's lack.

Only the models a bench file names are loaded, so a broken package that the bench does
not use stops nothing. What can go wrong with a package is an error of the bench file's
line that names the model, in words, never a traceback: a name no package registers
(the message lists the installed ones), a name two distributions register (both named:
which one a bench would get is not knowable, so neither is used), or an entry point
that does not load (its distribution, the entry point and the exception). These are
``ValueError``s so that a pydantic validator turns them into the ``InputError`` of that
line; the loaded object's type is checked by the bench layer, which defines it.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from importlib.metadata import EntryPoint, EntryPoints, distributions, entry_points
from typing import Protocol

INSTRUMENTS_GROUP = "microcurrent_hil.instruments"
DEVICES_GROUP = "microcurrent_hil.devices"

#: what each group holds, as the error messages say it
_KIND = {INSTRUMENTS_GROUP: "instrument model", DEVICES_GROUP: "device model"}


class RegistryError(ValueError):
    """A model name that is unknown, registered twice, or whose entry point is broken.

    The message is the whole explanation (what was expected, which distribution and
    entry point are at fault); as a ``ValueError`` it becomes the bench file's
    ``InputError`` for the line naming the model.
    """


@dataclass(frozen=True)
class Registration:
    """One entry point of a group: its name, what it points at, whose it is."""

    group: str
    name: str
    value: str
    entry_point: EntryPoint

    @property
    def distribution(self) -> str:
        """The distribution registering it, "name version", for the error messages.

        Read when a message names it, not when the group is listed: each one parses that
        distribution's whole metadata file, ~0.4 ms, and a run listed both groups twice
        before its first test (12 entry points each time: 10-18 ms).
        """
        return _distribution(self.entry_point)

    def describe(self) -> str:
        return (
            f"entry point '{self.name} = {self.value}' (group {self.group}) "
            f"of distribution {self.distribution}"
        )


def _distribution(point: EntryPoint) -> str:
    dist = point.dist
    if dist is None:
        return "(unknown distribution)"
    return f"{dist.name} {dist.version}"


#: the folders importlib.metadata finds distributions in, each with its modification time
_Installed = tuple[tuple[str, int], ...]


def _installed() -> _Installed:
    """The folders holding installed distributions, in importlib.metadata's search order.

    The entry points depend on sys.path only through these: each folder's distributions
    come together, in the order its listing gives (cached by importlib.metadata for as
    long as the folder's modification time stays), and a folder seen a second time only
    repeats names that the first one already gave. pytest puts the rootdir and the
    suites' folder on sys.path once a run has begun; a folder without distributions
    changes nothing, so the groups are not read again for it (one with a distribution,
    such as a checkout's ``*.egg-info``, may shadow an installed one, and does). Listing
    them costs ~0.3 ms, reading their entry points ~1.5 ms.
    """
    folders = dict.fromkeys(str(dist.locate_file("")) for dist in distributions())
    return tuple((folder, _modified_ns(folder)) for folder in folders)


def _modified_ns(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:  # a zip file's inside, or gone: its name alone then
        return -1


class _Groups(Protocol):
    """All entry points, by group: Python 3.11's SelectableGroups, 3.12's EntryPoints."""

    def select(self, *, group: str) -> EntryPoints: ...


@functools.lru_cache(maxsize=8)
def _entry_points(installed: _Installed) -> _Groups:
    """Every group's entry points, read in one pass over the distributions.

    ``entry_points(group=...)`` reads every distribution's entry points each time it is
    called; a run asks for two groups. The same selection as ``entry_points(group=g)``,
    in the same order.
    """
    del installed  # the cache key
    return entry_points()


@functools.lru_cache(maxsize=16)
def _scan(group: str, installed: _Installed) -> dict[str, tuple[Registration, ...]]:
    found: dict[str, list[Registration]] = {}
    for point in _entry_points(installed).select(group=group):
        found.setdefault(point.name, []).append(Registration(group, point.name, point.value, point))
    return {name: tuple(regs) for name, regs in found.items()}


@functools.lru_cache(maxsize=8)
def _installed_for(search_path: tuple[str, ...]) -> _Installed:
    del search_path  # the cache key: a changed sys.path may show other distributions
    return _installed()


def registrations(group: str) -> dict[str, tuple[Registration, ...]]:
    """Every name registered in ``group``, with each registration of it (two: a clash).

    Read once per set of installed distributions, found once per ``sys.path``: scanning
    them costs milliseconds, and a bench file is validated, and its models loaded, in
    several places of one run.
    """
    return _scan(group, _installed_for(tuple(sys.path)))


def names(group: str) -> list[str]:
    """The names registered in ``group``, sorted (clashing ones included)."""
    return sorted(registrations(group))


def load(group: str, name: str) -> object:
    """The object the one entry point named ``name`` in ``group`` points at.

    RegistryError when no distribution registers ``name`` (the installed names listed),
    when two do (both named), or when importing it fails (the exception in one line).
    """
    kind = _KIND.get(group, f"entry point of {group}")
    known = registrations(group)
    found = known.get(name)
    if not found:
        listed = ", ".join(sorted(known)) or "none: is microcurrent-hil installed?"
        raise RegistryError(f"an installed {kind}, one of: {listed}")
    if len(found) > 1:
        both = "; and ".join(r.describe() for r in found)
        raise RegistryError(
            f"one {kind} of that name, but it is registered {len(found)} times: {both}; "
            "uninstall one of these distributions or rename its entry point"
        )
    registration = found[0]
    try:
        return registration.entry_point.load()
    except Exception as error:  # whatever importing a third party's module raised
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise RegistryError(
            f"a {kind} that loads: {registration.describe()} failed with {reason}"
        ) from None


def instrument_role(name: str, roles: tuple[str, ...]) -> str:
    """The role the instrument model ``name`` declares (its ``role`` attribute).

    The model's full type is the bench layer's business; a bench file needs only its
    role, to check the ``role:`` written next to it. ``roles`` are the valid ones.
    """
    model = load(INSTRUMENTS_GROUP, name)
    role = getattr(model, "role", None)
    if role not in roles:
        registration = registrations(INSTRUMENTS_GROUP)[name][0]
        raise RegistryError(
            f"an instrument model with a role ({', '.join(roles)}): "
            f"{registration.describe()} gives {type(model).__name__} with role {role!r}"
        )
    return str(role)


__all__ = [
    "DEVICES_GROUP",
    "INSTRUMENTS_GROUP",
    "Registration",
    "RegistryError",
    "instrument_role",
    "load",
    "names",
    "registrations",
]

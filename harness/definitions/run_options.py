"""The options of a compliance run, declared once for ``pytest`` and for ``hil run``.

A run is the same run whether it was started as ``pytest test_suites --bench b.yaml`` or
as ``hil run --bench b.yaml``: the options are one table, ``RUN_OPTIONS``, which adds
itself to pytest's parser (``harness.plugin.options``) and to ``hil run``'s argparse parser
(``add_to_argparse``), and ``forward`` turns what ``hil run`` was given back into the
pytest arguments the plugin reads. A new option is one line here.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class RunOption:
    """One option of a compliance run: its flag, its help, and how it takes values."""

    flag: str
    help: str
    repeat: bool = False
    """May be given several times (a list of values)."""
    switch: bool = False
    """Takes no value (true when given)."""
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    def settings(self) -> dict[str, object]:
        """The keyword arguments both parsers take for this option."""
        if self.switch:
            return {"action": "store_true", "default": False, "help": self.help}
        kwargs: dict[str, object] = {"help": self.help}
        if self.repeat:
            kwargs.update(action="append", default=[])
        if self.metavar:
            kwargs["metavar"] = self.metavar
        return kwargs


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption("--bench", "bench file, or the name of one shipped with the harness "
              "(default: sim, the simulated RMD-1 bench)"),
    RunOption("--spec", "spec file (default: the one the bench file names)"),
    RunOption("--serial", "serial the unit must report (checked before any test runs)"),
    RunOption("--operator", "who performs the test, as printed on the report (required on "
              "a real bench, where hil run asks at a terminal; simulated: the login)"),
    RunOption("--station", "station name (default: the bench file's)"),
    RunOption("--run-id", "run id (default: UTC start time + random); a used one is refused"),
    RunOption("--reports-dir", "where reports/<run-id>/ is written (default: ./reports)"),
    RunOption("--store", "results store: a file path or SQLAlchemy URL "
              "(default: <reports-dir>/results.db)"),
    RunOption("--env", "an environmental condition to record, e.g. temperature=23.1 degC "
              "(repeatable)", repeat=True, metavar="KEY=VALUE"),
    RunOption("--sim-fault", "a fault of the simulated unit, e.g. gain=1.3 (repeatable; "
              "docs/domain.md lists them)", repeat=True, metavar="NAME[=VALUE]"),
    RunOption("--allow-expired-calibration", "run with instruments past their calibration "
              "due date; recorded in the run as an override", switch=True),
    RunOption("--sign-key", "Ed25519 private key (PEM) that signs the evidence package "
              "(default: the bench's laboratory file's signing_key, if any)"),
    RunOption("--bench-pool", "bench pool file or name: worker k of a line uses bench k"),
    RunOption("--serials", "unit serials of a line's workers: SN1,SN2 or @file"),
    RunOption("--operator-input", "YAML/JSON list of the operator's scripted answers "
              "({prompt, answer, times}) for a unit without a test port (CI, dry runs)"),
    RunOption("--sequential", "every test on a power-on of its own, one after another "
              "(default: timers that can share one power-on are timed together)",
              switch=True),
    RunOption("--req", "run only the tests declaring a requirement matching this glob, "
              "e.g. 'OUT-AMP*' (repeatable; -k matches requirement ids too)",
              repeat=True, metavar="PATTERN"),
)  # fmt: skip


def add_to_argparse(parser: argparse.ArgumentParser) -> None:
    """Give ``hil run`` the same options a pytest session of the plugin has."""
    for option in RUN_OPTIONS:
        parser.add_argument(option.flag, **option.settings())  # type: ignore[arg-type]


def forward(args: argparse.Namespace) -> list[str]:
    """The pytest arguments for the run options set in ``args``."""
    argv: list[str] = []
    for option in RUN_OPTIONS:
        value = getattr(args, option.dest, None)
        if option.switch:
            argv += [option.flag] if value else []
        elif option.repeat:
            argv += [f"{option.flag}={v}" for v in value or []]
        elif value:
            argv.append(f"{option.flag}={value}")
    return argv

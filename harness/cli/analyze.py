"""``hil analyze CAPTURE``: the waveform numbers of one scope capture.

For the bench engineer who saved a capture from the scope's front panel (or the harness
saved one) and wants the regulator's numbers without running a suite: pulse rate, widths,
peak currents, phase charges, d.c., average and r.m.s. current, and with ``--area-cm2``
the r.m.s. current density and average power density.

**The load.** Every current is v / R, so a wrong R silently scales every number. The
harness's own captures (``reports/<run>/captures/*.npz``, Parquet from `write_capture`)
record the load they were taken across, and that value is used: ``--load-ohms`` is not
needed, and a different one is refused (exit 2, naming both) because it is far more
likely a typo or the wrong file than a deliberate re-analysis; ``--force-load`` says it
is deliberate, and is warned about on standard error. A scope's CSV export records no
load, so there ``--load-ohms`` is required.

**Output.** A table with engineering units for a person at a terminal; JSON in SI units
(one object, the keys of `WaveformMetrics` plus ``source_format`` and
``load_ohms_source``, with any uncertainty or reason fields the analysis adds passed
through) when ``--format json`` is asked or the output is piped or written to a file,
because then a script is reading it. A metric that could not be measured is ``null`` in
JSON and ``not measurable: <reason>`` in the table. ``--out FILE`` writes there; ``-``
or no ``--out`` is standard output (never a file named ``-``).

A malformed capture or option prints one line naming the file, line and field, and
exits 2; a file that is not text says "not a CSV capture".
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from harness.errors import InputError

_TABLE_UNITS: dict[str, tuple[str, float]] = {
    "frequency_hz": ("Hz", 1.0),
    "polarity_period_s": ("s", 1.0),
    "pulse_width_pos_s": ("ms", 1e3),
    "pulse_width_neg_s": ("ms", 1e3),
    "rise_time_pos_s": ("us", 1e6),
    "fall_time_pos_s": ("us", 1e6),
    "rise_time_neg_s": ("us", 1e6),
    "fall_time_neg_s": ("us", 1e6),
    "interphase_gap_s": ("us", 1e6),
    "peak_current_pos_a": ("uA", 1e6),
    "peak_current_neg_a": ("uA", 1e6),
    "charge_per_phase_pos_c": ("uC", 1e6),
    "charge_per_phase_neg_c": ("uC", 1e6),
    "max_charge_per_phase_c": ("uC", 1e6),
    "net_charge_per_pulse_c": ("uC", 1e6),
    "mean_current_a": ("uA", 1e6),
    "average_abs_current_a": ("uA", 1e6),
    "rms_current_a": ("uA", 1e6),
    "rms_current_density_a_per_cm2": ("mA/cm2", 1e3),
    "power_density_w_per_cm2": ("W/cm2", 1.0),
    "zero_level_a": ("uA", 1e6),
    "zero_offset_a": ("uA", 1e6),
    "baseline_current_a": ("uA", 1e6),
    "noise_rms_a": ("uA", 1e6),
    "ramp_time_s": ("s", 1.0),
    "overshoot_pct": ("%", 1.0),
    "duration_s": ("s", 1.0),
    "averaging_window_s": ("s", 1.0),
    "load_ohms": ("ohm", 1.0),
    "electrode_area_cm2": ("cm2", 1.0),
}
_UNCERTAINTY_SUFFIXES = ("_uncertainty", "_u")
_REASON_SUFFIXES = ("_reason",)
_UNCERTAINTY_MAPS = ("uncertainties", "uncertainty")
_REASON_MAPS = ("reasons", "not_measurable")
_LOAD_TOLERANCE = 1e-9


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``analyze`` to the ``hil`` sub-commands; `run` is set as its ``func``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "analyze",
        help="waveform metrics of a scope capture (CSV, npz, Parquet)",
        description="Waveform metrics of one scope capture of the voltage across the load.",
    )
    parser.add_argument(
        "capture",
        help="capture file: .csv (plain, Keysight, Rigol, Tektronix, PicoScope), .npz, .parquet",
    )
    parser.add_argument(
        "--load-ohms",
        type=float,
        default=None,
        help="load resistance the voltage was taken across; required for a CSV export, "
        "read from the harness's own .npz/.parquet captures",
    )
    parser.add_argument(
        "--force-load",
        action="store_true",
        help="analyse at --load-ohms even where the capture records a different load",
    )
    parser.add_argument(
        "--area-cm2", type=float, default=None, help="electrode contact area for densities"
    )
    parser.add_argument(
        "--format",
        choices=["json", "table"],
        default=None,
        help="default: a table on a terminal, JSON when piped or written with --out",
    )
    parser.add_argument(
        "--out", default=None, help="write the result to this file ('-': standard output)"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.capture``; print JSON or a table; 2 on a malformed input."""
    from harness.analysis.capture_io import read_capture
    from harness.analysis.waveform import analyze_voltage

    try:
        given = args.load_ohms
        if given is not None and not (math.isfinite(given) and given > 0):
            raise InputError("--load-ohms", "load_ohms", "a positive resistance in ohms", got=given)
        if args.area_cm2 is not None and not (math.isfinite(args.area_cm2) and args.area_cm2 > 0):
            raise InputError("--area-cm2", "area_cm2", "a positive area in cm2", got=args.area_cm2)
        capture = read_capture(args.capture)
        load, source, warning = choose_load(
            args.capture, capture.source_format, capture.load_ohms, given, force=args.force_load
        )
    except InputError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        return 2
    if warning is not None:
        print(f"hil: warning: {warning}", file=sys.stderr)
    metrics = analyze_voltage(
        capture.t0, capture.dt, capture.volts, load_ohms=load, electrode_area_cm2=args.area_cm2
    )
    result = {
        "source_format": capture.source_format,
        "load_ohms_source": source,
        **metrics.to_dict(),
    }
    to_stdout = args.out in (None, "-")
    fmt = args.format or ("table" if to_stdout and sys.stdout.isatty() else "json")
    text = format_json(result) if fmt == "json" else format_table(result)
    if to_stdout:
        print(text)
        return 0
    try:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        message = f"{args.out}: --out: expected a writable file, got {reason!r}"
        print(f"hil: input error: {message}", file=sys.stderr)
        return 2
    return 0


def choose_load(
    capture: str,
    source_format: str,
    recorded: float | None,
    given: float | None,
    *,
    force: bool,
) -> tuple[float, str, str | None]:
    """The load to analyse at, where it came from (``load_ohms_source``), and a warning.

    The capture's own record wins; an option that contradicts it is refused unless
    `force`, because a mistyped resistor would scale every current without a trace.
    """
    if recorded is None:
        if given is None:
            why = (
                "this capture records no load: an open-circuit or auxiliary-channel record"
                if source_format in ("npz", "parquet")
                else f"a {source_format} export does not record it"
            )
            raise InputError(capture, "--load-ohms", f"the load resistance in ohms ({why})")
        return given, "--load-ohms", None
    if given is None or math.isclose(given, recorded, rel_tol=_LOAD_TOLERANCE):
        return recorded, "capture", None
    if not force:
        raise InputError(
            capture,
            "--load-ohms",
            f"{recorded:g} ohm, the load the capture records "
            f"(--force-load analyses at {given:g} ohm instead)",
            got=given,
        )
    warning = (
        f"{capture} records a {recorded:g} ohm load; analysing at --load-ohms {given:g} ohm "
        "as --force-load asks (every current scales by the ratio)"
    )
    return given, f"--load-ohms, forced over the capture's {recorded:g} ohm", warning


def format_json(result: dict[str, Any]) -> str:
    """One JSON object; numpy numbers as plain numbers, NaN and infinity as null."""
    return json.dumps(_plain(result), indent=2, allow_nan=False)


def _plain(value: Any) -> Any:
    """`value` with only JSON types: a NaN would make the whole document invalid JSON."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _plain(value.tolist())
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def format_table(result: dict[str, Any]) -> str:
    """Two aligned columns: name, and value with an engineering unit (± its uncertainty).

    A None metric reads "not measurable: <reason>", the reason the analysis gives or,
    failing that, what the command knows (no area given, a biphasic train); a reason
    beside a measured value is its caveat, in brackets. Uncertainty (``± U``, k = 2 as
    the analysis gives it) and reason fields annotate their metric's row instead of
    getting rows of their own.
    """
    annotations = _annotation_keys(result)
    rows = []
    for key, value in result.items():
        if key in annotations:
            continue
        unit, factor = _TABLE_UNITS.get(key, ("", 1.0))
        if value is None:
            text = (
                "not given"
                if key == "electrode_area_cm2"
                else f"not measurable: {_reason(key, result)}"
            )
        elif isinstance(value, float):
            text = f"{value * factor:.6g}{_uncertainty(key, result, factor)} {unit}".rstrip()
            note = _lookup(key, result, _REASON_SUFFIXES, _REASON_MAPS)
            if note is not None:  # a caveat on a measured value, e.g. the r.m.s. window
                text += f" ({note})"
        elif isinstance(value, dict | list):
            text = json.dumps(_plain(value), separators=(",", ":"))
        else:
            text = f"{value} {unit}".rstrip()
        rows.append((key, text))
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key.ljust(width)}  {text}" for key, text in rows)


def _annotation_keys(result: dict[str, Any]) -> set[str]:
    """Keys that annotate another key's row (``x_uncertainty``, ``reasons``, ...)."""
    keys = {key for key in (*_UNCERTAINTY_MAPS, *_REASON_MAPS) if isinstance(result.get(key), dict)}
    for key in result:
        for suffix in (*_UNCERTAINTY_SUFFIXES, *_REASON_SUFFIXES):
            if key.endswith(suffix) and key[: -len(suffix)] in result:
                keys.add(key)
    return keys


def _lookup(
    key: str, result: dict[str, Any], suffixes: tuple[str, ...], maps: tuple[str, ...]
) -> Any:
    """The annotation of `key`: a flat ``key<suffix>`` field or an entry of a map field."""
    for suffix in suffixes:
        if result.get(key + suffix) is not None:
            return result[key + suffix]
    for name in maps:
        table = result.get(name)
        if isinstance(table, dict) and table.get(key) is not None:
            return table[key]
    return None


def _uncertainty(key: str, result: dict[str, Any], factor: float) -> str:
    """`` ± u`` in the row's unit, from a number or a budget-like dict; "" when none."""
    u = _lookup(key, result, _UNCERTAINTY_SUFFIXES, _UNCERTAINTY_MAPS)
    if isinstance(u, dict):
        u = next((u[k] for k in ("expanded", "expanded_uncertainty", "u", "value") if k in u), u)
    if isinstance(u, int | float) and not isinstance(u, bool) and math.isfinite(u):
        return f" ± {abs(u) * factor:.2g}"
    if u is None:
        return ""
    return f" ± {json.dumps(_plain(u), separators=(',', ':'))}"


def _reason(key: str, result: dict[str, Any]) -> str:
    """Why `key` is None: the analysis's own reason first, else what this command knows."""
    given = _lookup(key, result, _REASON_SUFFIXES, _REASON_MAPS)
    if given is not None:
        return str(given)
    densities = ("rms_current_density_a_per_cm2", "power_density_w_per_cm2")
    if key in densities and result.get("electrode_area_cm2") is None:
        return "no --area-cm2 given"
    if key == "polarity_period_s" and result.get("biphasic"):
        return "biphasic pulses have no polarity reversal period"
    if key == "interphase_gap_s" and result.get("biphasic") is False:
        return "monophasic pulses have no interphase gap"
    for polarity, name in (("_pos_", "positive"), ("_neg_", "negative")):
        if polarity in key:
            return f"no complete {name} phase in the record"
    return {
        "frequency_hz": "no pulse period found in the record",
        "polarity_period_s": "no polarity reversal found in the record",
        "max_charge_per_phase_c": "no complete phase in the record",
        "net_charge_per_pulse_c": "no complete pulse in the record",
        "ramp_time_s": "no soft-start ramp found in the record",
        "overshoot_pct": "no overshoot found in the record",
        "electrode_area_cm2": "no --area-cm2 given",
    }.get(key, "not found in the record")

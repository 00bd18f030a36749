"""``hil analyze CAPTURE --load-ohms R``: the waveform numbers of one scope capture.

For the bench engineer who saved a capture from the scope's front panel (or the harness
saved one) and wants the regulator's numbers without running a suite: pulse rate, widths,
peak currents, phase charges, d.c., average and r.m.s. current, and with ``--area-cm2``
the r.m.s. current density and average power density. ``--format json`` prints one JSON
object in SI units (for scripts); ``table`` prints the same with engineering units.

A malformed capture prints one line naming the file, line and field, and exits 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from harness.errors import InputError

_TABLE_UNITS: dict[str, tuple[str, float]] = {
    "frequency_hz": ("Hz", 1.0),
    "polarity_period_s": ("s", 1.0),
    "pulse_width_pos_s": ("ms", 1e3),
    "pulse_width_neg_s": ("ms", 1e3),
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
    "noise_rms_a": ("uA", 1e6),
    "ramp_time_s": ("s", 1.0),
    "overshoot_pct": ("%", 1.0),
    "duration_s": ("s", 1.0),
    "averaging_window_s": ("s", 1.0),
    "load_ohms": ("ohm", 1.0),
    "electrode_area_cm2": ("cm2", 1.0),
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``analyze`` to the ``hil`` sub-commands; `run` is set as its ``func``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "analyze", help="waveform metrics of a scope capture (CSV, npz, Parquet)"
    )
    parser.add_argument(
        "capture", help="capture file: .csv (plain, Keysight, Rigol), .npz, .parquet"
    )
    parser.add_argument(
        "--load-ohms",
        type=float,
        required=True,
        help="load resistance the voltage was taken across",
    )
    parser.add_argument(
        "--area-cm2", type=float, default=None, help="electrode contact area for densities"
    )
    parser.add_argument("--format", choices=["json", "table"], default="json")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.capture``; print JSON or a table; 2 on a malformed input."""
    from harness.analysis.capture_io import read_capture
    from harness.analysis.waveform import analyze_voltage

    try:
        if not (math.isfinite(args.load_ohms) and args.load_ohms > 0):
            raise InputError(
                "--load-ohms", "load_ohms", "a positive resistance in ohms", got=args.load_ohms
            )
        if args.area_cm2 is not None and not (math.isfinite(args.area_cm2) and args.area_cm2 > 0):
            raise InputError("--area-cm2", "area_cm2", "a positive area in cm2", got=args.area_cm2)
        capture = read_capture(args.capture)
    except InputError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        return 2
    metrics = analyze_voltage(
        capture.t0,
        capture.dt,
        capture.volts,
        load_ohms=args.load_ohms,
        electrode_area_cm2=args.area_cm2,
    )
    result = {"source_format": capture.source_format, **metrics.to_dict()}
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(format_table(result))
    return 0


def format_table(result: dict[str, Any]) -> str:
    """Two aligned columns: name and value with an engineering unit."""
    rows = []
    for key, value in result.items():
        unit, factor = _TABLE_UNITS.get(key, ("", 1.0))
        if value is None:
            text = "-"
        elif isinstance(value, float):
            text = f"{value * factor:.6g} {unit}".rstrip()
        else:
            text = f"{value} {unit}".rstrip()
        rows.append((key, text))
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key.ljust(width)}  {text}" for key, text in rows)

"""Working the unit: over its test port, or by its buttons with every change measured.

A unit with a factory test port is told what to do and acknowledges it. A unit without
one (the RMD-2) is worked by its buttons, pressed by a relay or by the operator
(``Bench.buttons``), and a press proves nothing: the button may be dead, the operator
may have pressed the wrong one, the unit may ignore a press that is too short. So every
change of state made by a button is *confirmed by measurement* before the test goes on:

* **power on / off**: the battery supply's current rises to the unit's on-current (or
  falls to its off-current) within ``POWER_CONFIRM_S``;
* **treatment start**: output current appears across the load within
  ``OUTPUT_CONFIRM_S`` of contact;
* **level up**: the output's peak moves up (or, from the top level, wraps down) by more
  than ``LEVEL_CHANGE_FRACTION``.

A change not seen raises :class:`StepNotConfirmed`: the step failed, and the test that
needed it fails as "not shown to conform" for the requirements it declared. It is never
taken on the operator's word. On a unit with a port every function here does exactly
what the port did before (``bench.dut``), so RMD-1 runs are unchanged.

Without a port the level is not reported: after a confirmed power-on the unit is at its
lowest level (``POWER_ON_LEVEL``, the RMD-2's documented behaviour), and each confirmed
press moves it one level on. The scope's scale for these confirmations is the
microcurrent ceiling (``FULL_SCALE_A``), the same for any device: it only has to tell
"more" from "less" and "some" from "none", never to judge a limit.
"""

from __future__ import annotations

import logging

import numpy as np

from harness.bench.station import Bench
from harness.events.steps import summary_step
from harness.procedures.activity import unit_is_on
from harness.procedures.capture import capture_current
from harness.procedures.conditions import Conditions
from harness.procedures.waiting import poll_until

_log = logging.getLogger(__name__)

POWER_CONFIRM_S = 3.0
OUTPUT_CONFIRM_S = 2.0
CONFIRM_STEP_S = 0.1
LEVEL_SETTLE_S = 0.3
LEVEL_CHANGE_FRACTION = 0.1
SOFT_START_DONE_S = 2.0
"""Longer than any soft start the shipped devices have (RMD-2: 1.25 s to full)."""
POWER_ON_LEVEL = 1
PEAK_WINDOW_S = 0.4
"""Longer than a relocate cue's pause in the output (RMD-2: 0.2 s), so a peak read
during a cue still sees pulses."""
FULL_SCALE_A = 1e-3
"""Scope scale for confirmations: "microcurrent" ends at 1 mA."""
OUTPUT_SEEN_A = 30e-6
"""Output present: a peak above this (more than a leaky switch's d.c.)."""


class StepNotConfirmed(AssertionError):
    """A state change a button press should have made was not seen by the instruments."""


def _press(bench: Bench, button: str) -> None:
    assert bench.buttons is not None
    bench.buttons.press(button)


def _confirm_power(bench: Bench, on: bool) -> None:
    what = "the unit on (battery current)" if on else "the unit off (battery current)"
    seen = poll_until(
        bench.clock,
        lambda: unit_is_on(bench) == on,
        what=what,
        timeout_s=POWER_CONFIRM_S,
        step_s=CONFIRM_STEP_S,
    )
    if seen is None:
        state = "on" if on else "off"
        raise StepNotConfirmed(
            f"power {state}: the battery supply did not show the unit {state} within "
            f"{POWER_CONFIRM_S:g} s of pressing POWER"
        )


def power_off(bench: Bench) -> None:
    """Switch the unit off (its port, or POWER pressed and the off-current seen)."""
    if bench.has_port:
        bench.dut.power_off()
        return
    if unit_is_on(bench):
        _press(bench, "power")
        _confirm_power(bench, on=False)


def power_on(bench: Bench) -> None:
    """Switch the unit on (its port, or POWER pressed and the on-current seen)."""
    if bench.has_port:
        bench.dut.power_on()
        return
    if not unit_is_on(bench):
        _press(bench, "power")
        _confirm_power(bench, on=True)


def power_cycle(bench: Bench) -> None:
    """Off, then on: what clears a unit's session, latched state and level."""
    power_off(bench)
    power_on(bench)


def output_peak_a(bench: Bench, load_ohms: float) -> float:
    """The output's peak |i| (99th percentile) over ``PEAK_WINDOW_S``, from the scope."""
    capture = capture_current(
        bench, load_ohms, peak_a=FULL_SCALE_A, duration_s=PEAK_WINDOW_S, resolution_s=100e-6
    )
    return float(np.percentile(np.abs(capture.current_a), 99.0))


def confirm_output(bench: Bench, load_ohms: float) -> float:
    """Wait for output current after contact; StepNotConfirmed if none appears in time.

    Returns the bench time by which it had been seen (the end of the record that saw it).
    """
    threshold = OUTPUT_SEEN_A
    with summary_step("confirm: output current appears after contact") as outcome:
        seen = poll_until(
            bench.clock,
            lambda: output_peak_a(bench, load_ohms) > threshold,
            what="output current after contact",
            timeout_s=OUTPUT_CONFIRM_S,
            step_s=0.0,
        )
        if seen is None:
            outcome("not seen")
            raise StepNotConfirmed(
                f"treatment start: no output above {threshold * 1e6:.0f} uA within "
                f"{OUTPUT_CONFIRM_S:g} s of contact ({load_ohms:g} ohm)"
            )
        outcome(f"seen by {seen.at:.3f} s")
        return seen.at


def level_up(bench: Bench, load_ohms: float, level: int, *, wraps: bool = False) -> int:
    """Press LEVEL once during treatment and confirm the output moved up (or, with
    ``wraps``, fell back to level 1); the new level."""
    before = output_peak_a(bench, load_ohms)
    _press(bench, "level")
    bench.clock.sleep(LEVEL_SETTLE_S)
    after = output_peak_a(bench, load_ohms)
    moved = (
        after < (1.0 - LEVEL_CHANGE_FRACTION) * before
        if wraps
        else after > (1.0 + LEVEL_CHANGE_FRACTION) * before
    )
    if not moved:
        expected = "fall back to level 1" if wraps else f"rise to level {level + 1}"
        outcome_text = f"{before * 1e6:.1f} uA -> {after * 1e6:.1f} uA"
        _log.warning("level press not confirmed: %s", outcome_text)
        raise StepNotConfirmed(
            f"level press from level {level}: the output should {expected}; its peak was "
            f"{before * 1e6:.1f} uA before and {after * 1e6:.1f} uA after the press"
        )
    return 1 if wraps else level + 1


def set_level_by_buttons(bench: Bench, load_ohms: float, level: int) -> None:
    """From ``POWER_ON_LEVEL`` up to ``level`` with confirmed LEVEL presses (treating)."""
    if level < POWER_ON_LEVEL:
        raise ValueError(f"level {level} is below the power-on level {POWER_ON_LEVEL}")
    now = POWER_ON_LEVEL
    while now != level:
        now = level_up(bench, load_ohms, now)


def start_by_buttons(bench: Bench, conditions: Conditions, settle_s: float) -> float:
    """``start_treatment`` for a unit without a port: power cycled (confirmed), contact,
    output seen, the level reached by confirmed presses, then ``settle_s``.

    Returns the bench time of contact. The unit has one pulse rate: a requirement that
    names a frequency setting cannot be run this way (ValueError).
    """
    if conditions.frequency is not None:
        raise ValueError(
            f"frequency F{conditions.frequency}: a unit without a test port has no "
            "frequency setting here (its spec names no nominal frequency)"
        )
    power_cycle(bench)
    bench.select_load(conditions.load_ohms)
    contact = bench.clock.now()
    if conditions.load_ohms is None:
        bench.clock.sleep(settle_s)
        return contact
    confirm_output(bench, conditions.load_ohms)
    if conditions.level != POWER_ON_LEVEL:
        bench.clock.sleep(max(0.0, contact + SOFT_START_DONE_S - bench.clock.now()))
        set_level_by_buttons(bench, conditions.load_ohms, conditions.level)
        contact_to_settle = 0.0
    else:
        contact_to_settle = bench.clock.now() - contact
    bench.clock.sleep(max(0.0, settle_s - contact_to_settle))
    return contact

"""The soft start on contact (WAV-RAMP, WAV-OVS): the record and its rise-time budget.

The unit is switched on at the requirement's level with no load (no contact, so no
output), and the scope is armed on a rising edge of the load voltage; the load is then
connected (contact made) while it records. The soft start begins with the contact, so
the record holds the whole envelope from nothing to its plateau, the pre-trigger part
showing the empty slots before the first pulse.

The rise time is read off the envelope of the record (``harness.analysis.envelope``):
one height per pulse, each end of the 10 % -> 90 % interval interpolated between two
pulses. The envelope is known only at the pulses, so each end is placed within half a
pulse period (a unit whose envelope steps once per pulse has no better-defined crossing):
one rectangular term per end, plus the scope's timebase accuracy.
"""

from __future__ import annotations

from harness.bench.station import Bench
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.capture import LOAD_CHANNEL, CurrentCapture, capture_current
from harness.procedures.conditions import Conditions
from harness.procedures.treatment import start_treatment

TIMEBASE_FRACTION = 50e-6
CONTACT_RECORD_S = 2.5
"""Pre-trigger 0.3 s + a 1.25 s ramp + a plateau as long again for the final height."""
CONTACT_PRE_TRIGGER_S = 0.3
CONTACT_RESOLUTION_S = 5e-6
DEFAULT_LOAD_OHMS = 500.0
FALLBACK_FREQUENCY_HZ = 40.0


def capture_contact(bench: Bench, c: Conditions, peak_a: float) -> CurrentCapture:
    """Unit on at ``c``'s level with no load, then contact made while the scope records.

    The scope is set up in full here (channel, timebase, record, trigger), so nothing an
    earlier test left on it reaches this record.
    """
    bench.select_load(None)
    start_treatment(bench, c.but(load_ohms=None), settle_s=0.5)
    load = c.load_ohms or DEFAULT_LOAD_OHMS

    def make_contact() -> None:
        bench.select_load(load)

    return capture_current(
        bench,
        load,
        peak_a=peak_a,
        duration_s=CONTACT_RECORD_S,
        resolution_s=CONTACT_RESOLUTION_S,
        trigger=(LOAD_CHANNEL, 0.02 * peak_a * load, "rising"),
        pre_trigger_s=CONTACT_PRE_TRIGGER_S,
        action=make_contact,
    )


def ramp_budget(ramp_s: float | None, frequency_hz: float | None) -> UncertaintyBudget:
    """Budget of a 10 % -> 90 % rise time read off the envelope (see the module doc)."""
    period = 1.0 / (frequency_hz or FALLBACK_FREQUENCY_HZ)
    return (
        UncertaintyBudget()
        .add_rectangular("scope timebase ±50 ppm", (ramp_s or 0.0) * TIMEBASE_FRACTION)
        .add_rectangular("envelope sampled once per pulse, 10 % end", period / 2.0)
        .add_rectangular("envelope sampled once per pulse, 90 % end", period / 2.0)
    )

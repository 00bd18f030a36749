"""Real instrument drivers over PyVISA (and pyserial), one module per model.

Tests depend on the role interfaces in :mod:`harness.instruments.protocols`
(:class:`Ammeter`, :class:`Oscilloscope`, :class:`PowerSupply`, :class:`LoadSwitch`,
:class:`Clock`); a bench file picks the concrete model. :mod:`.visa` opens and speaks
SCPI, :mod:`.scpi_reply` parses replies, :mod:`.testing` scripts exchanges for
hardware-free driver tests.

What a role's arguments must be, whatever the model, is checked in one module per role
(:mod:`.scope_settings`, :mod:`.supply_ratings`, :mod:`.ammeter_settings`) against the
limits each model module keeps as data; :mod:`.waveform_preamble` reads the preamble
both scopes send. Every SCPI command stays in its model's module.
"""

from harness.instruments.protocols import (
    Ammeter,
    Clock,
    Identity,
    Instrument,
    LoadSwitch,
    Oscilloscope,
    PowerSupply,
    Waveform,
)

__all__ = [
    "Ammeter",
    "Clock",
    "Identity",
    "Instrument",
    "LoadSwitch",
    "Oscilloscope",
    "PowerSupply",
    "Waveform",
]

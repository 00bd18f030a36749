"""Thermocouples by the NIST ITS-90 reference functions: EMF from temperature, and back.

A thermocouple gives no temperature, only an EMF: the difference of its two wires'
Seebeck voltages between the measuring junction and the point where they meet the
meter's copper (the reference junction). A DMM reads that EMF on its 100 mV range,
adds the EMF the reference junction's temperature stands for (measured inside the meter
or entered as a fixed value), and turns the sum back into a temperature with the type's
reference function. The simulated 34465A does the same arithmetic with these functions.

The functions are NIST's (Monograph 175, ITS-90), E in mV of t in °C:
E = Σ c_i t^i on each subrange, plus a0·exp(a1·(t − a2)²) above 0 °C for type K. The
inverse is solved on the reference function itself (bisection, to far below the
meter's resolution) rather than with NIST's inverse polynomials, whose own fit error
(up to ±0.06 °C) would be a second, different curve; both answer within that fit error.
The spans are those the 34465A states for each type [E: -200 °C lower bound where NIST
tabulates to -270 °C, as the meter's data sheet gives].
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Subrange:
    """One piece of a reference function: [low, high] °C and c0, c1, ... (mV)."""

    low: float
    high: float
    coefficients: tuple[float, ...]


@dataclass(frozen=True)
class ThermocoupleType:
    """A type's reference function and the span the meter reads it over."""

    letter: str
    span_c: tuple[float, float]
    pieces: tuple[Subrange, ...]
    exponential: tuple[float, float, float] | None = None
    """Type K above 0 °C: a0, a1, a2 of a0·exp(a1·(t − a2)²)."""

    def emf_mv(self, celsius: float) -> float:
        """E(t) in mV, reference junction at 0 °C; ValueError outside the function."""
        piece = next((p for p in self.pieces if p.low <= celsius <= p.high), None)
        if piece is None:
            raise ValueError(f"type {self.letter} is defined from {self.pieces[0].low} °C to "
                             f"{self.pieces[-1].high} °C, not {celsius} °C")  # fmt: skip
        emf = 0.0
        for c in reversed(piece.coefficients):  # Horner
            emf = emf * celsius + c
        if self.exponential is not None and celsius > 0.0:
            a0, a1, a2 = self.exponential
            emf += a0 * math.exp(a1 * (celsius - a2) ** 2)
        return emf

    def celsius(self, emf_mv: float) -> float | None:
        """The temperature whose EMF is `emf_mv`; None outside the span (an overload)."""
        low, high = self.span_c
        if not self.emf_mv(low) <= emf_mv <= self.emf_mv(high):
            return None
        for _ in range(100):  # the functions rise monotonically over the span
            mid = (low + high) / 2.0
            if self.emf_mv(mid) < emf_mv:
                low = mid
            else:
                high = mid
            if high - low < 1e-9:
                break
        return (low + high) / 2.0


TYPES: dict[str, ThermocoupleType] = {
    "E": ThermocoupleType("E", (-200.0, 1000.0), (
        Subrange(-270.0, 0.0, (
            0.0, 0.586655087080e-01, 0.454109771240e-04, -0.779980486860e-06,
            -0.258001608430e-07, -0.594525830570e-09, -0.932140586670e-11,
            -0.102876055340e-12, -0.803701236210e-15, -0.439794973910e-17,
            -0.164147763550e-19, -0.396736195160e-22, -0.558273287210e-25,
            -0.346578420130e-28)),
        Subrange(0.0, 1000.0, (
            0.0, 0.586655087100e-01, 0.450322755820e-04, 0.289084072120e-07,
            -0.330568966520e-09, 0.650244032700e-12, -0.191974955040e-15,
            -0.125366004970e-17, 0.214892175690e-20, -0.143880417820e-23,
            0.359608994810e-27)),
    )),
    "J": ThermocoupleType("J", (-210.0, 1200.0), (
        Subrange(-210.0, 760.0, (
            0.0, 0.503811878150e-01, 0.304758369300e-04, -0.856810657200e-07,
            0.132281952950e-09, -0.170529583370e-12, 0.209480906970e-15,
            -0.125383953360e-18, 0.156317256970e-22)),
        Subrange(760.0, 1200.0, (
            0.296456256810e03, -0.149761277860e01, 0.317871039240e-02,
            -0.318476867010e-05, 0.157208190040e-08, -0.306913690560e-12)),
    )),
    "K": ThermocoupleType("K", (-200.0, 1372.0), (
        Subrange(-270.0, 0.0, (
            0.0, 0.394501280250e-01, 0.236223735980e-04, -0.328589067840e-06,
            -0.499048287770e-08, -0.675090591730e-10, -0.574103274280e-12,
            -0.310888728940e-14, -0.104516093650e-16, -0.198892668780e-19,
            -0.163226974860e-22)),
        Subrange(0.0, 1372.0, (
            -0.176004136860e-01, 0.389212049750e-01, 0.185587700320e-04,
            -0.994575928740e-07, 0.318409457190e-09, -0.560728448890e-12,
            0.560750590590e-15, -0.320207200030e-18, 0.971511471520e-22,
            -0.121047212750e-25)),
    ), exponential=(0.118597600000e00, -0.118343200000e-03, 0.126968600000e03)),
    "N": ThermocoupleType("N", (-200.0, 1300.0), (
        Subrange(-270.0, 0.0, (
            0.0, 0.261591059620e-01, 0.109574842280e-04, -0.938411115540e-07,
            -0.464120397590e-10, -0.263033577160e-11, -0.226534380030e-13,
            -0.760893007910e-16, -0.934196678350e-19)),
        Subrange(0.0, 1300.0, (
            0.0, 0.259293946010e-01, 0.157101418800e-04, 0.438256272370e-07,
            -0.252611697940e-09, 0.643118193390e-12, -0.100634715190e-14,
            0.997453389920e-18, -0.608632456070e-21, 0.208492293390e-24,
            -0.306821961510e-28)),
    )),
    "R": ThermocoupleType("R", (-50.0, 1768.1), (
        Subrange(-50.0, 1064.18, (
            0.0, 0.528961729765e-02, 0.139166589782e-04, -0.238855693017e-07,
            0.356916001063e-10, -0.462347666298e-13, 0.500777441034e-16,
            -0.373105886191e-19, 0.157716482367e-22, -0.281038625251e-26)),
        Subrange(1064.18, 1664.5, (
            0.295157925316e01, -0.252061251332e-02, 0.159564501865e-04,
            -0.764085947576e-08, 0.205305291024e-11, -0.293359668173e-15)),
        Subrange(1664.5, 1768.1, (
            0.152232118209e03, -0.268819888545e00, 0.171280280471e-03,
            -0.345895706453e-07, -0.934633971046e-14)),
    )),
    "T": ThermocoupleType("T", (-200.0, 400.0), (
        Subrange(-270.0, 0.0, (
            0.0, 0.387481063640e-01, 0.441944343470e-04, 0.118443231050e-06,
            0.200329735540e-07, 0.901380195590e-09, 0.226511565930e-10,
            0.360711542050e-12, 0.384939398830e-14, 0.282135219250e-16,
            0.142515947790e-18, 0.487686622860e-21, 0.107955392700e-23,
            0.139450270620e-26, 0.797951539270e-30)),
        Subrange(0.0, 400.0, (
            0.0, 0.387481063640e-01, 0.332922278800e-04, 0.206182434040e-06,
            -0.218822568460e-08, 0.109968809280e-10, -0.308157587720e-13,
            0.454791352900e-16, -0.275129016730e-19)),
    )),
}  # fmt: skip
"""The types the 34465A measures ({E|J|K|N|R|T}); its default is J."""
DEFAULT_TYPE = "J"


def reading_celsius(input_volts: float, type_letter: str, reference_c: float) -> float | None:
    """What a meter reads for `input_volts` on its terminals of a `type_letter` couple
    whose reference junction it takes to be at `reference_c`: the EMF measured plus the
    reference junction's, turned back into a temperature. None outside the span."""
    kind = TYPES[type_letter]
    low, high = kind.span_c
    if not low <= reference_c <= high:
        return None
    return kind.celsius(input_volts * 1e3 + kind.emf_mv(reference_c))


__all__ = ["DEFAULT_TYPE", "TYPES", "ThermocoupleType", "reading_celsius"]

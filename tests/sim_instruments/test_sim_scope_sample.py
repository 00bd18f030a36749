"""The scope's samples are the model plus its noise, quantised: the same codes, and the
same noise stream after them, as the plain formula draws and rounds them.

`scope_acquisition.sample` draws standard normals and scales them, skips subtracting a
zero offset and clips in one pass; the truth here draws `normal(0, sigma)` and rounds
and clips step by step, on a twin generator.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from fake_bench import FakeBench

from harness.sim.instruments.scope_acquisition import (
    NOISE_DIVISIONS,
    Vertical,
    channel_signal,
    sample,
)


def plain(
    bench: FakeBench, channels: dict[int, Vertical], t: npt.NDArray[np.float64], averages: int,
    noise: np.random.Generator,
) -> dict[int, npt.NDArray[np.uint8]]:  # fmt: skip
    codes = {}
    for channel, v in sorted(channels.items()):
        sigma = NOISE_DIVISIONS * v.scale / np.sqrt(averages)
        volts = noise.normal(0.0, sigma, t.size) + channel_signal(bench, channel)(t)
        x = np.rint((volts - v.offset) / v.yinc + 128.0)
        codes[channel] = np.minimum(np.maximum(x, 0.0), 255.0).astype(np.uint8)
    return codes


@pytest.mark.parametrize("averages", [1, 16])
def test_sample_draws_and_rounds_as_the_plain_formula(bench: FakeBench, averages: int) -> None:
    t = 0.03 + 1e-6 * np.arange(100_000, dtype=np.float64)
    channels = {
        1: Vertical(0.05, 0.0),  # 200 mV pulses on 50 mV/div: clipped at the top
        2: Vertical(1.0, 0.0),
        3: Vertical(0.002, -0.001),
        4: Vertical(0.5, 3.0),  # 3.8 V of battery with an offset
    }
    ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
    got = sample(bench, channels, t, averages, ours)
    want = plain(bench, channels, t, averages, theirs)
    assert got.keys() == want.keys()
    for channel in channels:
        assert np.array_equal(got[channel], want[channel]), channel
    assert np.any(got[1] == 255) and np.any((got[4] > 0) & (got[4] < 255))
    assert np.array_equal(ours.standard_normal(1000), theirs.standard_normal(1000))

"""The published accuracy (docs/analysis-accuracy.md) holds: every class of the corpus.

Each metric is within its target for every class, with no exception: the r.m.s. at
SNR 3 is corrected with the gaps' own noise power (`gaps`), and a record without a whole
pulse period (1.5 periods) declares its frequency, mean and r.m.s. not measurable. A
metric declared not measurable must carry a reason.
"""

from __future__ import annotations

import pytest

from harness.analysis.corpus import TARGETS, Case, cases, record, score

NOT_MEASURABLE = {
    ("short: 1.5 periods", "frequency"),
    ("short: 1.5 periods", "mean"),
    ("short: 1.5 periods", "rms"),
}

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.cls}-{i}" for i, c in enumerate(CASES)])
def test_every_metric_within_target(case: Case) -> None:
    for metric, error in score(case).items():
        if (case.cls, metric) in NOT_MEASURABLE:
            assert error is None
            continue
        assert error is not None, metric
        assert error <= TARGETS[metric], (metric, error)


def test_not_measurable_says_why() -> None:
    short = next(c for c in CASES if c.cls.startswith("short"))
    m, _ = record(short)
    assert m.frequency_hz is None and m.reasons["frequency_hz"]
    assert m.mean_current_a is None and "whole" in m.reasons["mean_current_a"]
    assert m.rms_current_a is None and "whole pulse period" in m.reasons["rms_current_a"]
    assert m.rms_current_density_a_per_cm2 is None and m.power_density_w_per_cm2 is None

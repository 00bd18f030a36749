"""The published accuracy (docs/analysis-accuracy.md) holds: every class of the corpus.

Each metric is within its target for every class, except the two the document marks:
the r.m.s. of a record without a whole cycle (1.5 periods; the metric says so in its
reason) and the r.m.s. at SNR 3, where the noise-power correction leaves ~4 %; those are
held to what was published. A metric declared not measurable must carry a reason.
"""

from __future__ import annotations

import pytest

from harness.analysis.corpus import TARGETS, Case, cases, record, score

PUBLISHED_EXCEPTIONS = {("short: 1.5 periods", "rms"): 15.0, ("SNR 3, 8-bit", "rms"): 5.0}
NOT_MEASURABLE = {("short: 1.5 periods", "frequency"), ("short: 1.5 periods", "mean")}

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.cls}-{i}" for i, c in enumerate(CASES)])
def test_every_metric_within_target(case: Case) -> None:
    for metric, error in score(case).items():
        if (case.cls, metric) in NOT_MEASURABLE:
            assert error is None
            continue
        assert error is not None, metric
        limit = PUBLISHED_EXCEPTIONS.get((case.cls, metric), TARGETS[metric])
        assert error <= limit, (metric, error)


def test_not_measurable_says_why() -> None:
    short = next(c for c in CASES if c.cls.startswith("short"))
    m, _ = record(short)
    assert m.frequency_hz is None and m.reasons["frequency_hz"]
    assert m.mean_current_a is None and "whole" in m.reasons["mean_current_a"]
    assert "record" in m.reasons["rms_current_a"]

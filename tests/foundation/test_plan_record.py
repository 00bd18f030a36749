"""``test_plan.json``'s entries are what ``dataclasses.asdict`` gave, built cheaper."""

from __future__ import annotations

from dataclasses import asdict

from harness.plugin import plan_record


def test_a_span_as_json_is_its_asdict_and_shares_no_list() -> None:
    spans = [
        plan_record.TestSpan("t.py::a", ["OUT-AMP", "OUT-MIN"], 1.5, 9.25, "passed", "t.py::host"),
        plan_record.TestSpan("t.py::b", []),
    ]
    for span in spans:
        entry = span.as_json()
        assert entry == asdict(span)
        assert list(entry) == list(asdict(span))  # the same keys in the same order
        assert entry["requirements"] is not span.requirements

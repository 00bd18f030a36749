"""``hil run`` pauses the garbage collector until its tests are collected; nothing it
forks meanwhile, and no xdist controller (which collects no tests), keeps it off."""

from __future__ import annotations

import gc
import multiprocessing
import sys

import pytest

from harness.cli.run import _may_use_xdist
from harness.reporting.plot_pool import _collector_on_and_frozen


@pytest.mark.parametrize(
    ("args", "xdist"),
    [([], False), (["-k", "OUT-AMP"], False), (["-n", "1"], True), (["-n1"], True),
     (["--dist", "each"], True), (["-p", "xdist"], True)],
)  # fmt: skip
def test_xdist_arguments_keep_the_collector_on(args: list[str], xdist: bool) -> None:
    assert _may_use_xdist(args) is xdist


def _child(queue: multiprocessing.Queue[bool]) -> None:
    _collector_on_and_frozen()
    queue.put(gc.isenabled())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_a_worker_forked_while_the_collector_is_off_turns_it_on() -> None:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[bool] = context.Queue()
    gc.disable()
    try:
        child = context.Process(target=_child, args=(queue,))
        child.start()
        enabled = queue.get(timeout=10)
        child.join(timeout=10)
    finally:
        gc.enable()
    assert enabled is True

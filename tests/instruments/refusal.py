"""Argument-check tests: the message a driver raises, with nothing sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from harness.errors import InstrumentError
from harness.instruments.testing import Exchange, expected_exchanges
from harness.instruments.visa import ScpiLink


def refusal(
    call: Callable[[ScpiLink], object], *, name: str, exchanges: list[Exchange] | None = None
) -> str:
    """``call`` on a scripted link must raise :class:`InstrumentError`; return its text.

    With no ``exchanges`` the script is empty, so a driver that sent even one command
    before refusing fails the test; any scripted exchange left unused fails it too.
    """
    with (
        expected_exchanges(exchanges or [], name=name) as link,
        pytest.raises(InstrumentError) as refused,
    ):
        call(link)
    return str(refused.value)


#: A case's name, one wrong call, and the message each of two models must answer it with.
Case = tuple[str, Callable[[Any], object], str, str]


def refused_by_each_model(
    models: Sequence[tuple[str, Callable[[ScpiLink], object]]], cases: Sequence[Case], *, name: str
) -> Callable[..., None]:
    """A test, parametrized ``"<case>-<model>"``, that each call is refused by each model.

    Assign it to a ``test_...`` name in a test module; pytest collects it from there.
    Each run builds the model's driver on an empty script named ``name``, makes the
    case's call and compares the whole message with the model's column of the case.
    """
    params = [
        pytest.param(driver, case[1], case[2 + index], id=f"{case[0]}-{model}")
        for case in cases
        for index, (model, driver) in enumerate(models)
    ]

    def test(
        driver: Callable[[ScpiLink], object], call: Callable[[Any], object], expected: str
    ) -> None:
        assert refusal(lambda link: call(driver(link)), name=name) == f"{name}: {expected}"

    parametrized: Callable[..., None] = pytest.mark.parametrize(
        ("driver", "call", "expected"), params
    )(test)
    return parametrized

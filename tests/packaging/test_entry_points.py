"""Instrument models and device drivers come from entry points, with errors in words.

Each case puts a distribution's ``dist-info`` on ``sys.path`` (no install), then loads a
bench file naming a model: the third party's model is found; a name nobody registers,
a name two distributions register, and an entry point that does not load are each an
``InputError`` of the bench file's line, naming the distribution and the entry point.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from entry_point_support import dist_info_from_pyproject, write_dist_info

from harness.bench.drivers import DeviceModel, InstrumentModel, device_model, instrument_model
from harness.data import RMD1_SPEC, SIM_BENCH, bench_path, packaged_benches
from harness.definitions.bench_file import load_bench
from harness.definitions.installed_models import (
    DEVICES_GROUP,
    INSTRUMENTS_GROUP,
    names,
    registrations,
)
from harness.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = Path(__file__).resolve().parent / "thirdparty_scope"
SCOPE = "Acme OEM DSOX1204G"


def sim_bench_with(tmp_path: Path, *, scope: str = "Keysight DSOX1204G", device: str = "RMD-1"
                   ) -> Path:  # fmt: skip
    """The shipped simulated bench with another scope model and device model."""
    text = SIM_BENCH.read_text(encoding="utf-8")
    assert "model: Keysight DSOX1204G\n" in text and "model: RMD-1\n" in text
    text = text.replace("model: Keysight DSOX1204G\n", f"model: {scope}\n")
    text = text.replace("model: RMD-1\n", f"model: {device}\n")
    text = text.replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    path = tmp_path / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_the_harness_registers_its_own_models_as_entry_points() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    instruments = project["entry-points"][INSTRUMENTS_GROUP]
    assert "Keysight DSOX1204G" in instruments and "Serial relay board" in instruments
    for name in instruments:
        assert isinstance(instrument_model(name), InstrumentModel), name
    for name in project["entry-points"][DEVICES_GROUP]:
        assert isinstance(device_model(name), DeviceModel), name
    for name in packaged_benches():
        load_bench(bench_path(name))  # every shipped bench names installed models


def test_a_third_party_model_is_found_through_its_entry_point(
    tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench_path = sim_bench_with(tmp_path, scope=SCOPE)
    with pytest.raises(InputError) as unknown:  # not installed yet
        load_bench(bench_path)
    assert unknown.value.line == _line_of(bench_path, SCOPE)
    assert unknown.value.field == "instruments[1].model"
    assert "an installed instrument model, one of: " in str(unknown.value)
    assert "Keysight DSOX1204G" in str(unknown.value)

    dist_info_from_pyproject(THIRD_PARTY, site)
    monkeypatch.syspath_prepend(str(THIRD_PARTY))
    bench = load_bench(bench_path)
    scope = bench.instrument("oscilloscope")
    assert scope is not None and scope.model == SCOPE
    model = instrument_model(SCOPE)
    assert model.role == "oscilloscope"
    assert model.open.__module__ == "acme_hil_scope"


def test_a_name_two_distributions_register_names_both(tmp_path: Path, site: Path) -> None:
    write_dist_info(
        site, "acme-clash", "2.0", {INSTRUMENTS_GROUP: {"Keysight DSOX1204G": "acme_x:MODEL"}}
    )
    bench_path = sim_bench_with(tmp_path)
    with pytest.raises(InputError) as clash:
        load_bench(bench_path)
    message = str(clash.value)
    assert clash.value.line == _line_of(bench_path, "Keysight DSOX1204G")
    assert "registered 2 times" in message
    assert "distribution acme-clash 2.0" in message
    assert "distribution microcurrent-hil 0.1.0" in message
    assert "'Keysight DSOX1204G = acme_x:MODEL'" in message
    assert "'Keysight DSOX1204G = harness.bench.builtin_models:KEYSIGHT_DSOX1204G'" in message


def test_an_entry_point_that_does_not_load_is_named_with_its_error(
    tmp_path: Path, site: Path
) -> None:
    write_dist_info(site, "acme-broken", "0.1", {INSTRUMENTS_GROUP: {SCOPE: "acme_gone:MODEL"}})
    with pytest.raises(InputError) as broken:
        load_bench(sim_bench_with(tmp_path, scope=SCOPE))
    message = str(broken.value)
    assert f"entry point '{SCOPE} = acme_gone:MODEL'" in message
    assert "distribution acme-broken 0.1" in message
    assert "ModuleNotFoundError: No module named 'acme_gone'" in message
    assert "Traceback" not in message


def test_an_entry_point_to_something_else_than_a_model_is_refused(
    tmp_path: Path, site: Path
) -> None:
    write_dist_info(site, "acme-wrong", "0.1", {INSTRUMENTS_GROUP: {SCOPE: "os:sep"}})
    with pytest.raises(InputError) as wrong:
        load_bench(sim_bench_with(tmp_path, scope=SCOPE))
    assert "gives str with role None" in str(wrong.value)
    assert "distribution acme-wrong 0.1" in str(wrong.value)


def test_a_broken_package_the_bench_does_not_use_stops_nothing(tmp_path: Path, site: Path) -> None:
    write_dist_info(site, "acme-broken", "0.1", {INSTRUMENTS_GROUP: {SCOPE: "acme_gone:MODEL"}})
    write_dist_info(site, "acme-dev", "0.1", {DEVICES_GROUP: {"ACME-9": "acme_gone:PORT"}})
    load_bench(sim_bench_with(tmp_path))


def test_an_unknown_device_driver_lists_the_installed_ones(tmp_path: Path) -> None:
    bench_path = sim_bench_with(tmp_path, device="RMD-9")
    with pytest.raises(InputError) as unknown:
        load_bench(bench_path)
    assert unknown.value.field == "device.model"
    assert "an installed device model, one of: " in str(unknown.value)
    assert "RMD-1" in str(unknown.value)


def test_the_models_follow_the_distributions_on_sys_path(
    tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder put on sys.path with no distribution changes nothing; one with a
    distribution, or an install into a folder already there, shows its models."""
    before = names(INSTRUMENTS_GROUP)
    assert SCOPE not in before
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.syspath_prepend(str(empty))
    assert names(INSTRUMENTS_GROUP) == before

    later = tmp_path / "later"
    write_dist_info(later, "acme-later", "0.2", {INSTRUMENTS_GROUP: {SCOPE: "acme_x:MODEL"}})
    monkeypatch.syspath_prepend(str(later))
    assert names(INSTRUMENTS_GROUP) == sorted([*before, SCOPE])
    assert registrations(INSTRUMENTS_GROUP)[SCOPE][0].distribution == "acme-later 0.2"

    write_dist_info(site, "acme-dev", "0.3", {DEVICES_GROUP: {"ACME-9": "acme_x:PORT"}})
    stamp = site.stat().st_mtime_ns  # as an install a moment later leaves it (the
    os.utime(site, ns=(stamp, stamp + 1_000_000_000))  # clock's tick may be coarse)
    monkeypatch.syspath_prepend(str(tmp_path / "elsewhere"))
    assert "ACME-9" in names(DEVICES_GROUP)


def test_a_checkout_s_distribution_shadows_the_installed_one(tmp_path: Path, site: Path) -> None:
    """The first distribution of a name on sys.path is the one read, as importlib.metadata
    does: another microcurrent-hil ahead of the installed one replaces its models."""
    write_dist_info(site, "microcurrent-hil", "9.9", {INSTRUMENTS_GROUP: {SCOPE: "acme_x:MODEL"}})
    assert names(INSTRUMENTS_GROUP) == [SCOPE]
    assert names(DEVICES_GROUP) == []
    assert registrations(INSTRUMENTS_GROUP)[SCOPE][0].describe() == (
        f"entry point '{SCOPE} = acme_x:MODEL' (group {INSTRUMENTS_GROUP}) "
        "of distribution microcurrent-hil 9.9"
    )

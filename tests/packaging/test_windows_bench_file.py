"""The resource strings docs/windows.md gives a Windows lab are accepted by a bench file."""

from __future__ import annotations

from pathlib import Path

from test_entry_points import sim_bench_with

from harness.definitions.bench_file import load_bench

DOCS = Path(__file__).resolve().parents[2] / "docs" / "windows.md"

RESOURCES = {
    "TCPIP0::dmm.sim::5025::SOCKET": "USB0::0x2A8D::0x0101::MY59001234::0::INSTR",
    "TCPIP0::scope.sim::5025::SOCKET": "TCPIP0::192.168.10.21::inst0::INSTR",
    "TCPIP0::psu.sim::5025::SOCKET": "ASRL3::INSTR",
}


def test_a_bench_file_with_windows_resources_and_com_ports_loads(tmp_path: Path) -> None:
    documented = DOCS.read_text(encoding="utf-8")
    path = sim_bench_with(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        'visa_library: "@hilsim"', 'visa_library: "@ivi"'
    )
    for old, new in RESOURCES.items():
        assert new in documented
        text = text.replace(old, new)
    text = text.replace("model: Keysight 34980A", "model: Serial relay board")
    text = text.replace("TCPIP0::switch.sim::5025::SOCKET", "COM4")
    text = text.replace("port: hilsim://SIM-1", "port: COM3")
    path.write_text(text, encoding="utf-8")
    bench = load_bench(path)
    assert bench.document.bench.visa_library == "@ivi"
    assert bench.document.device.port == "COM3"
    switch = bench.instrument("load_switch")
    assert switch is not None and switch.resource == "COM4"
    assert {i.resource for i in bench.document.instruments} >= set(RESOURCES.values())

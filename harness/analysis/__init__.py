"""Waveform analysis: from a scope capture of the load voltage to the regulator's numbers.

Read a capture (`capture_io.read_capture`), then `waveform.analyze_voltage` or
`waveform.analyze_current` give a `WaveformMetrics`. `synth` builds captures with known
truth for tests and benchmarks. See each module's docstring for the method.
"""

from harness.analysis.waveform import (
    WaveformMetrics,
    analyze_current,
    analyze_signal,
    analyze_voltage,
)

__all__ = ["WaveformMetrics", "analyze_current", "analyze_signal", "analyze_voltage"]

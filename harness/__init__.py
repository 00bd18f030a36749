"""microcurrent-hil: a hardware-in-the-loop compliance harness for microcurrent stimulators.

The package is layered (see docs/architecture.md): requirements and decision rules
(`spec`, `units`, `uncertainty`, `verdict`), the run record and its store (`record`,
`store`, `results`), the bench (`instruments`, `dut`, `sim`), and the pytest plugin and
command line that tie them together (`plugin`, `cli`).
"""

__version__ = "0.1.0"

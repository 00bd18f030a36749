"""The simulated bench: a physical model of one RMD-1 and the bench wired to it.

`bench.SimBench` is the model (output stage, load network, supplies, firmware) in virtual
time (`clock.VirtualClock`); `physics`, `firmware`, `faults` and `timeline` are its parts.
Simulated instruments (`instruments`, `scpi`) and the simulated test port
(`testport_firmware`) observe and drive it; in-process transports find it through
`registry`. See docs/design/contracts.md, "Simulated bench".
"""

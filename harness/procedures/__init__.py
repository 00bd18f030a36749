"""Measurement procedures: how a compliance suite gets a number out of the bench.

A suite says *what* to measure ("the peak current at level 5 into 500 Ω"); a procedure
knows *how* on any bench: which instrument, which range and record length, how to wait
on the bench clock rather than sleeping, and which uncertainty budget the number
carries. Procedures talk to roles (`Ammeter`, `Oscilloscope`…) through `Bench`, never to
a model, and take every limit-free setting (battery voltage, electrode area) from the
spec.
"""

"""PyVISA backend entry point: `pyvisa.ResourceManager("<bench_id>@hilsim")`.

PyVISA resolves the backend name `hilsim` by importing this module and instantiating its
`WRAPPER_CLASS`; the implementation lives in `harness.sim.visa_backend`.
"""

from harness.sim.visa_backend import WRAPPER_CLASS

__all__ = ["WRAPPER_CLASS"]

# pytester's in-process runs unload modules first imported inside them; import the lazily
# loaded parts of pandas/pyarrow here so that they are loaded once per process.
import pandas.core.arrays.arrow.extension_types  # noqa: F401
import pyarrow.parquet  # noqa: F401

# The simulated bench's registry must be one module for the whole process: a SimBench
# registers itself there and the hilsim:// serial handler looks it up. Imported first
# inside an in-process pytester run, it would be unloaded after that run and a later run
# would register into a new copy while the handler still reads the old one.
import harness.sim.registry
import harness.sim.transports  # noqa: F401

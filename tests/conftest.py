# pytester's in-process runs unload modules first imported inside them; import the lazily
# loaded parts of pandas/pyarrow here so that they are loaded once per process.
import pandas.core.arrays.arrow.extension_types  # noqa: F401
import pyarrow.parquet  # noqa: F401

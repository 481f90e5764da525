"""shortfall's results files in Python (docs/output.md, "Reading it with
the shortfall package").

    import shortfall
    ds = shortfall.open("out/toy-magnets.h5")     # xarray.Dataset, dims policy, ...
    df = shortfall.trials("out/toy-magnets.h5")   # pandas.DataFrame, a row per trial x mix

Pure Python on numpy, h5py, xarray and pandas (PyYAML, when present, for
the units of a batch's swept keys)."""
from ._h5 import FileFormatError
from .reader import FORMAT_VERSIONS, open, trials

__all__ = ["open", "trials", "FileFormatError", "FORMAT_VERSIONS"]

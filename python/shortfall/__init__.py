"""shortfall's results files in Python (docs/output.md, "Reading it with
the shortfall package").

    import shortfall
    ds = shortfall.open("out/toy-magnets.h5")     # xarray.Dataset, dims policy, ...
    df = shortfall.trials("out/toy-magnets.h5")   # pandas.DataFrame, a row per trial x mix
    shortfall.tail_drivers(df, "shortfall_cum_world")  # what drives the worst 5 %
    shortfall.sobol_indices("out/sobol.h5", "shortfall_cum_world")  # a Sobol batch

Pure Python on numpy, h5py, xarray and pandas (PyYAML, when present, for
the units of a batch's swept keys)."""
from ._h5 import FileFormatError
from .reader import FORMAT_VERSIONS, open, trials
from .sensitivity import DRIVER_VARIABLES, sobol_indices, tail_drivers

__all__ = ["open", "trials", "sobol_indices", "tail_drivers", "DRIVER_VARIABLES",
           "FileFormatError", "FORMAT_VERSIONS"]

"""Low-level reading of shortfall's HDF5 results files with h5py.

A policy group holds netCDF-4 style datasets: dimension scales (the
coordinates) and variables attached to them.  read_group() returns them as
plain numpy arrays with their dimension names and attributes, without
xarray, so that both shortfall.open() and shortfall.trials() can use it.
"""
import h5py
import numpy as np

# Attributes of the HDF5 dimension-scale machinery and of netCDF-4 that
# say nothing about the data.
_HIDDEN_ATTRS = {"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST",
                 "_Netcdf4Dimid", "_Netcdf4Coordinates", "_NCProperties",
                 "_FillValue"}


class FileFormatError(ValueError):
    """The file is not a shortfall results file this reader can read."""


def decode(value):
    """An HDF5 attribute value as Python: bytes as str, arrays of bytes as
    lists of str, numpy scalars as Python numbers."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SO":
            return [decode(v) for v in value.tolist()]
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def attrs_of(obj):
    """The attributes of a group or dataset, decoded, without the HDF5 and
    netCDF bookkeeping ones."""
    return {k: decode(obj.attrs[k]) for k in obj.attrs.keys()
            if k not in _HIDDEN_ATTRS}


def children(group):
    """The names of a group's members in creation order (the order
    shortfall wrote them), or by name if the group does not track it."""
    names = []
    try:
        group.id.links.iterate(lambda n: names.append(n.decode()),
                               idx_type=h5py.h5.INDEX_CRT_ORDER)
    except (ValueError, RuntimeError, KeyError):
        names = list(group.keys())
    return names


def values(dset):
    """A dataset's values; strings decoded to str."""
    if h5py.check_string_dtype(dset.dtype) is not None:
        out = dset.asstr()[()]
        return np.asarray(out, dtype=object)
    return dset[()]


def read_group(group, want=None):
    """Reads a policy group.

    Returns (coords, variables): coords maps a dimension name to (values,
    attrs);
    variables maps a variable name to (dims, values, attrs), in the order
    they were written.  want(name, dims) -> bool, when given, selects the
    variables to read (their dimensions are known before any data is read).
    A dataset axis with no dimension scale gets the name <var>_dim_<i>."""
    names = children(group)
    dsets = {}
    for n in names:
        obj = group.get(n)
        if isinstance(obj, h5py.Dataset):
            dsets[n] = obj
    scales = {}          # object address -> scale name
    for n, d in dsets.items():
        if d.attrs.get("CLASS") == b"DIMENSION_SCALE":
            scales[h5py.h5o.get_info(d.id).addr] = n
    coords, variables = {}, {}
    for n, d in dsets.items():
        if n in scales.values():
            coords[n] = (values(d), attrs_of(d))
            continue
        dims = []
        dl = d.attrs["DIMENSION_LIST"] if "DIMENSION_LIST" in d.attrs else None
        for i in range(d.ndim):
            name = None
            if dl is not None and i < len(dl) and len(dl[i]) > 0:
                obj = h5py.h5r.dereference(dl[i][0], group.id)
                name = scales.get(h5py.h5o.get_info(obj).addr)
            dims.append(name or f"{n}_dim_{i}")
        dims = tuple(dims)
        if want is not None and not want(n, dims):
            continue
        variables[n] = (dims, values(d), attrs_of(d))
    return coords, variables

#!/usr/bin/python3
"""Checks a results file the way a notebook would use it.

    check_output.py RESULTS.h5 INFO.txt

Opens every policy group with xarray through both the netCDF4 and the
h5netcdf engines, selects by node, region and quantile, and checks

- that every variable has units and long_name, and every axis a named
  dimension with a coordinate;
- the summary statistics against numpy computed independently from the
  per-trial arrays in the same file (mean, sd, se, exact quantiles by
  linear interpolation, CVaR95, probability of > 0, paired avoided);
- the fan-chart variables against the raw monthly accumulators;
- the mean cumulative shortfall per region against the table that the C
  side printed (`shortfall info`, saved in INFO.txt).

Prints "ok NAME" / "not ok NAME" lines for tests/cli.
"""
import math
import re
import sys

import h5py
import numpy as np
import xarray as xr

path, info_path = sys.argv[1], sys.argv[2]
failures = 0


def check(name, cond, detail=""):
    global failures
    if cond:
        print(f"ok {name}")
    else:
        failures += 1
        print(f"not ok {name} {detail}")


def close(a, b, rel=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rel, atol=rel, equal_nan=True)


f = h5py.File(path, "r")
scen = f.attrs["scenario_name"].decode()
policies = list(f[scen].keys())
check("root-provenance", f.attrs["software"] == b"shortfall"
      and f.attrs["format_version"] == 2
      and len(f.attrs["scenario_text"]) > 100
      and f.attrs["complete"] == 1)
n = int(f.attrs["trials_done"])

# The C side's table: "policy region mean ± se ..." rows, policy on the
# first row of each block; numbers in fixed notation with ',' between
# thousands, the se to two significant digits and the mean to its place.
table = {}
current = None


def place_of(se_text):
    """The decimal place of the last digit of a printed se (None for 0)."""
    digits = se_text.replace(",", "")
    if float(digits) == 0:
        return None
    if "." in digits:
        return -len(digits.split(".")[1])
    return len(digits) - 2 if len(digits) >= 2 else 0


for line in open(info_path, encoding="utf-8"):
    m = re.match(r"^(\S*)\s+(\S+)\s+([-0-9.,]+) ± ([0-9.,]+)\s", line)
    if not m or line.startswith("policy "):
        continue
    if m.group(1):
        current = m.group(1)
    table[(current, m.group(2))] = (float(m.group(3).replace(",", "")),
                                    float(m.group(4).replace(",", "")),
                                    place_of(m.group(4)), m.group(4))


def rounded_ok(shown, value, place):
    """shown is value rounded to 10^place (4 significant digits if None)."""
    if place is None:
        if value == 0:
            return shown == 0
        place = math.floor(math.log10(abs(value))) - 3
    return abs(shown - value) <= 0.5 * 10.0 ** place * (1 + 1e-9)

for engine in ("netcdf4", "h5netcdf"):
    for pol in policies:
        tag = f"{engine}-{pol}"
        ds = xr.open_dataset(path, group=f"{scen}/{pol}", engine=engine)
        # Every variable described; every axis a coordinate.
        undescribed = [v for v in ds.variables
                       if "long_name" not in ds[v].attrs]
        no_units = [v for v in ds.data_vars if "units" not in ds[v].attrs]
        check(f"{tag}-attributes", not undescribed and not no_units,
              f"{undescribed} {no_units}")
        check(f"{tag}-coordinates", all(d in ds.coords for d in ds.dims),
              str(list(ds.dims)))
        nodes = [str(x) for x in ds.node.values]
        regions = [str(x) for x in ds.region.values]
        check(f"{tag}-month-units", ds.month.attrs.get("units") == "months"
              and ds.month.values[0] == 0)

        # Summaries against numpy on the per-trial arrays.
        x = ds.shortfall_cum.values          # [trial, node]
        xr_ = ds.shortfall_cum_region.values  # [trial, region]
        xw = ds.shortfall_cum_world.values    # [trial]
        ok = True
        for arr, sfx, names, dim in ((x, "", nodes, "node"),
                                     (xr_, "_region", regions, "region")):
            for j, name in enumerate(names):
                col = arr[:, j]
                sel = {dim: name}
                mean = ds[f"shortfall_cum_mean{sfx}"].sel(sel).item()
                sd = ds[f"shortfall_cum_sd{sfx}"].sel(sel).item()
                se = ds[f"shortfall_cum_se{sfx}"].sel(sel).item()
                q95 = ds[f"shortfall_cum_quantile{sfx}"].sel(sel).sel(quantile=0.95).item()
                cvar = ds[f"shortfall_cum_cvar95{sfx}"].sel(sel).item()
                pany = ds[f"shortfall_cum_p_any{sfx}"].sel(sel).item()
                tail = np.sort(col)[-math.ceil(0.05 * len(col)):]
                ok &= close(mean, col.mean(), 1e-9)
                ok &= close(sd, col.std(ddof=1), 1e-9)
                ok &= close(se, col.std(ddof=1) / math.sqrt(len(col)), 1e-9)
                ok &= close(q95, np.quantile(col, 0.95), 1e-9)
                ok &= close(cvar, tail.mean(), 1e-9)
                ok &= close(pany, (col > 0).mean())
        ok &= close(ds.shortfall_cum_mean_world.item(), xw.mean(), 1e-9)
        ok &= len(xw) == n
        check(f"{tag}-summary-vs-numpy", ok)

        # Paired comparison against the baseline's per-trial values.
        if pol != policies[0]:
            base = xr.open_dataset(path, group=f"{scen}/{policies[0]}",
                                   engine=engine)
            d = base.shortfall_cum_region.values - xr_
            ok = close(ds.avoided_mean_region.values, d.mean(axis=0), 1e-9)
            ok &= close(ds.avoided_se_region.values,
                        d.std(axis=0, ddof=1) / math.sqrt(n), 1e-9)
            ok &= close(ds.avoided_p_better_region.values, (d > 0).mean(axis=0))
            check(f"{tag}-paired-vs-numpy", ok)
            base.close()
        else:
            # The baseline against itself: zero, with zero se (so that
            # the groups concatenate along a policy axis).
            check(f"{tag}-baseline-paired-is-zero",
                  all(float(abs(ds[v]).max()) == 0.0
                      for v in ("avoided_mean", "avoided_se", "avoided_p_better",
                                "avoided_p_worse", "avoided_quantile",
                                "avoided_mean_region", "avoided_mean_world")))

        # Fan chart against the raw accumulators.
        mean_frac = ds.frac_sum_month.values.astype(float) / 2**32 / n
        ok = close(ds.shortfall_frac_month_mean.values, mean_frac, 1e-12)
        ok &= close(ds.p_short_month.values,
                    ds.short_count_month.values / n)
        hist = ds.frac_hist_month.values          # [month, node, bin]
        cum = np.cumsum(hist, axis=-1)
        want = np.argmax(cum >= np.ceil(0.5 * n), axis=-1) / 1000.0
        ok &= close(ds.shortfall_frac_month_quantile.sel(quantile=0.5).values, want)
        ok &= bool((hist.sum(axis=-1) == n).all())
        check(f"{tag}-fan-chart", ok)

        # The table the C side printed.
        ok = True
        for r in regions:
            got = ds.shortfall_cum_mean_region.sel(region=r).item()
            got_se = ds.shortfall_cum_se_region.sel(region=r).item()
            if (pol, r) not in table:
                ok = False
                continue
            mean, se, place, se_text = table[(pol, r)]
            # Two significant digits of the se (or exactly 0), the mean to
            # the same place.
            d = se_text.replace(",", "")
            two = (len(d.replace(".", "").lstrip("0")) == 2 if "." in d
                   else len(d) >= 2 and d[0] != "0" and set(d[2:]) <= {"0"})
            ok &= (got_se == 0 and se == 0) or (two and rounded_ok(se, got_se, place))
            ok &= rounded_ok(mean, got, place)
        check(f"{tag}-matches-info-table", ok, str(table))
        ds.close()

print(f"{'passed' if failures == 0 else 'failed'}: {failures} failures")
sys.exit(1 if failures else 0)

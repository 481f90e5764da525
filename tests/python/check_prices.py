#!/usr/bin/python3
"""check_prices.py FILE.h5 SCENARIO.yaml — the price variables of a run
with per-trial rows (docs/output.md, "Prices") against the file's own rows
and the scenario's prices: names, dimensions, coordinates and units; the
statistics recomputed from the rows as the C code defines them (sum in
trial order, numpy's linear quantiles, CVaR95 the mean of the ceil(5 %)
largest); the fan chart against its fixed-point sums and histogram; the
monthly means against the per-trial means; NaN where a region has no
buyer.  Prints `ok NAME` / `not ok NAME` lines."""
import math
import sys

import h5py
import numpy as np
import yaml

path, scen = sys.argv[1:3]
sc = yaml.safe_load(open(scen))
f = h5py.File(path, "r")
g = f[sc["name"]]
failed = False


def check(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + name + ("" if cond else f"  # {detail}"))
    failed = failed or not cond


def dims(d):
    return [d.dims[i][0].name.rsplit("/", 1)[-1] for i in range(d.ndim)]


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


com = sc["commodities"]
ids = [c["id"] for c in com]
P = np.array([c.get("price", 1.0) for c in com])
M = np.array([c.get("price_cap", 10.0) for c in com])
cur = sc.get("currency", "USD")
units = [f"{cur} per {c['unit']}" for c in com]
for pol in g:
    p = g[pol]
    n = int(f.attrs["trials_done"])
    T = int(f.attrs["horizon_months"])
    check(f"{pol}-commodity-coordinate",
          [text(x) for x in p["commodity"][:]] == ids, p["commodity"][:])
    R = p["region"].shape[0]
    want = {"price_mean": ["trial", "commodity"],
            "price_peak": ["trial", "commodity"],
            "price_peak_region": ["trial", "commodity", "region"],
            "price_mean_mean": ["commodity"],
            "price_peak_quantile": ["quantile", "commodity"],
            "price_peak_region_cvar95": ["commodity", "region"],
            "price_peak_region_quantile": ["quantile", "commodity", "region"],
            "price_month_mean": ["month", "commodity"],
            "price_month_quantile": ["quantile", "month", "commodity"],
            "price_sum_month": ["month", "commodity"],
            "price_hist_month": ["month", "commodity", "price_bin"]}
    bad = [k for k, v in want.items() if k not in p or dims(p[k]) != v]
    check(f"{pol}-dimensions", not bad, bad)
    bad = [k for k in want if not k.startswith(("price_sum", "price_hist"))
           and (len(set(units)) == 1 and text(p[k].attrs["units"]) != units[0]
                or [text(u) for u in p[k].attrs["price_units"]] != units)]
    check(f"{pol}-units", not bad, bad)
    check(f"{pol}-long-names", all("long_name" in p[k].attrs for k in want))
    check(f"{pol}-no-p-any", "price_mean_p_any" not in p)

    rows = {k: p[k][:] for k in ("price_mean", "price_peak", "price_peak_region")}
    bad = []
    for k, x in rows.items():
        cols = x.reshape(n, -1)
        mean = p[k + "_mean"][:].reshape(-1)
        q = p[k + "_quantile"][:].reshape(5, -1)
        cv = p[k + "_cvar95"][:].reshape(-1)
        sd = p[k + "_sd"][:].reshape(-1)
        for j in range(cols.shape[1]):
            c = cols[:, j]
            if np.isnan(c).any():
                if not (np.isnan(mean[j]) and np.isnan(q[:, j]).all()
                        and np.isnan(cv[j]) and np.isnan(sd[j])):
                    bad.append(f"{k}[{j}] NaN column, statistics not NaN")
                continue
            s = 0.0
            for v in c:  # in trial order, as the C code adds
                s += float(v)
            if mean[j] != s / n:
                bad.append(f"{k}[{j}] mean {mean[j]!r} != {s / n!r}")
            wq = np.quantile(c, [0.05, 0.5, 0.9, 0.95, 0.99])
            if not np.allclose(q[:, j], wq, rtol=1e-14, atol=0):
                bad.append(f"{k}[{j}] quantiles {q[:, j]} != {wq}")
            tail = np.sort(c)[n - math.ceil(0.05 * n):]
            if not math.isclose(cv[j], tail.sum() / len(tail), rel_tol=1e-14):
                bad.append(f"{k}[{j}] cvar95")
            ss = 0.0
            for v in c:  # deviations from that mean, in trial order
                ss += (float(v) - s / n) ** 2
            if n > 1 and sd[j] != math.sqrt(ss / (n - 1)):
                bad.append(f"{k}[{j}] sd {sd[j]!r} != {math.sqrt(ss / (n - 1))!r}")
    check(f"{pol}-statistics-from-the-rows", not bad, "; ".join(bad[:4]))

    # Regions with no buyer: NaN in every trial, or in none.
    reg = rows["price_peak_region"]
    anynan, allnan = np.isnan(reg).any(axis=0), np.isnan(reg).all(axis=0)
    check(f"{pol}-region-nan-is-all-or-nothing", (anynan == allnan).all())

    pm = p["price_month_mean"][:]
    ps = p["price_sum_month"][:]
    ph = p["price_hist_month"][:]
    check(f"{pol}-fan-mean-from-the-fixed-point-sums",
          np.array_equal(pm, ps / 2.0**20 / n * P), "")
    check(f"{pol}-histogram-counts-every-trial", (ph.sum(axis=2) == n).all())
    # The quantile is the centre of the smallest bin reaching level * n.
    pq = p["price_month_quantile"][:]
    cum = np.cumsum(ph, axis=2)
    bad = 0
    for qi, lev in enumerate([0.05, 0.5, 0.9, 0.95, 0.99]):
        need = max(1, math.ceil(lev * n))
        b = np.argmax(cum >= need, axis=2)
        want_q = P * M ** (2.0 * b / 1000 - 1)
        bad += int((np.abs(pq[qi] / want_q - 1) > 1e-15).sum())
    check(f"{pol}-fan-quantiles-are-bin-centres", bad == 0, bad)
    # Mean over months of the monthly means = mean over trials of
    # price_mean, within the fixed point's rounding (2^-21 P a value).
    lhs = pm.mean(axis=0)
    rhs = rows["price_mean"].mean(axis=0)
    check(f"{pol}-fan-mean-agrees-with-the-rows",
          (np.abs(lhs - rhs) <= P * (2.0**-21 + 1e-13)).all(), lhs - rhs)
    # The peak is at least every month's index, so its mean is at least
    # the highest monthly mean.
    check(f"{pol}-peak-bounds-the-fan",
          (rows["price_peak"].mean(axis=0) >= pm.max(axis=0) - P * 2.0**-20).all())
    check(f"{pol}-prices-within-the-cap",
          ((rows["price_peak"] <= M * P * (1 + 1e-12)) &
           (rows["price_mean"] >= P / M * (1 - 1e-12))).all())
sys.exit(1 if failed else 0)

#!/usr/bin/python3
"""check_trade.py SF TMPDIR — known answers for the regions' exports,
supply and price index (docs/output.md, "Trade and regional prices"),
swept over severities, demand elasticities and start months.

The two-tier market (docs/model.md, "Known answers"): a CN mine of 2 x 12 N
a year, CN and US demand of 12 N each, a restriction CN -> all of severity
s from month `start`.  Before it the mine sells N to each region at P (its
2 N meet a need of 2 N) and CN exports N.  While it holds: CN exports the quota
(1 - s) N, supplies (2 - s) N, the US index is P min((1-s)^(-1/eps), M),
the CN index P (2 - s)/2; the US region is short s N a month.  Every trial
is the same (no noise), so the mean over trials equals each path, within
the fixed-point resolution of the means (2^-20 of the scale)."""
import subprocess
import sys

import h5py
import numpy as np

sf, tmp = sys.argv[1:3]
fails = 0


def check(name, ok, detail=""):
    global fails
    print(("ok " if ok else "not ok ") + name + ("" if ok else "  " + detail))
    fails += not ok


def run(tag, s, eps, start, N=100.0, P=1.0, M=10.0):
    text = f"""name: ka-trade
horizon_months: {start + 4}
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}, demand_elasticity: {eps}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {24 * N}}}
  - {{id: cn_user, kind: demand, country: CN, input: ore, demand: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: ctrl, kind: export_restriction, exporter: CN, commodities: all,
     targets: all, severity: {s}, schedule: {{start_month: {start}, duration_months: 4}}}}
"""
    path = f"{tmp}/{tag}.yaml"
    with open(path, "w") as f:
        f.write(text)
    out = f"{tmp}/{tag}.h5"
    subprocess.run([sf, "run", path, "-n", "7", "--paths", "7", "-o", out,
                    "--force", "--progress", "never"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g = h5py.File(out)["ka-trade/baseline"]
    reg = [x.decode() for x in g["region"][:]]
    cn, us = reg.index("CN"), reg.index("US")
    exp, sup = g["exports_path"][:, :, 0, :], g["supply_path"][:, :, 0, :]
    price = g["price_path_region"][:, :, 0, :]
    short, need = g["shortfall_path_region"][:], g["need_path_region"][:]
    # the calm market: the mine's 2 N meet a need of 2 N at P (beta = 1:
    # supply 2 N (p/P) = demand 2 N below P) — each region gets N
    want_exp = np.array([N if t < start else (1 - s) * N for t in range(start + 4)])
    want_sup = np.array([2 * N if t < start else (2 - s) * N for t in range(start + 4)])
    want_us = np.array([P if t < start else P * min((1 - s) ** (-1 / eps), M)
                        for t in range(start + 4)])
    want_cn = np.array([P if t < start else P * (2 - s) / 2 for t in range(start + 4)])
    want_short = np.array([0.0 if t < start else s * N for t in range(start + 4)])
    tol = 1e-7
    for name, got, want in [
            ("CN exports", exp[:, :, cn], want_exp),
            ("US exports (none: it has no producer)", exp[:, :, us], 0 * want_exp),
            ("CN supply", sup[:, :, cn], want_sup),
            ("US price index", price[:, :, us], want_us),
            ("CN price index", price[:, :, cn], want_cn),
            ("US shortfall", short[:, :, us], want_short),
            ("US need", need[:, :, us], N + 0 * want_exp),
            ("CN shortfall", short[:, :, cn], 0 * want_exp)]:
        err = np.max(np.abs(got - want[None, :]))
        check(f"{tag}: {name}", err <= tol * max(1.0, np.max(np.abs(want))),
              f"largest error {err:.3g}; got {got[0]}, want {want}")
    # the means over trials: the same, to the fixed-point resolution
    scale = 24 * N / 12
    em = g["exports_month_mean"][:, 0, :]
    pm = g["price_month_mean_region"][:, 0, :]
    check(f"{tag}: exports_month_mean", np.max(np.abs(em[:, cn] - want_exp)) <= scale * 2.0 ** -20,
          f"{em[:, cn]} vs {want_exp}")
    check(f"{tag}: price_month_mean_region", np.max(np.abs(pm[:, us] - want_us)) <= P * 2.0 ** -20 and
          np.max(np.abs(pm[:, cn] - want_cn)) <= P * 2.0 ** -20, f"{pm}")
    check(f"{tag}: units", g["exports_path"].attrs["units"] in (b"t", "t") and
          g["price_path_region"].dims[2][0].name.endswith("/commodity") and
          g["exports_path"].dims[3][0].name.endswith("/region"), "")


for tag, s, eps, start in [("s0.5", 0.5, 0.5, 0), ("s0.3-eps1-start2", 0.3, 1.0, 2),
                           ("s0.6-eps0.8-start5", 0.6, 0.8, 5), ("capped", 0.9, 0.5, 1)]:
    run(tag, s, eps, start)
sys.exit(1 if fails else 0)

#!/usr/bin/env bash
# numpy_crosscheck.sh — shortfall against an independent implementation of
# the model (bench/numpy_baseline.py, NumPy, different random streams and
# seed).  For every policy mix, region, the world and every shock:
#
#     |mean_c - mean_np| <= 4 * sqrt(se_c^2 + se_np^2)
#
# with both standard errors as the two programs report them (shortfall's
# from its results file).  Where both standard errors are 0 (a scheduled
# shock's months, a region that is never short) the means must be equal
# up to floating-point rounding (1e-9 relative).  Seeds are fixed, so the
# outcome is deterministic for a given build and NumPy version.
#
# Compared: shortfall per region and world, months active per shock, the
# total public cost (discounted), the world's need given up by lasting
# substitution, and the months closed of each producer with a unit cost.
#
# Scenarios: scenarios/toy-magnets.yaml; scenarios/ree-magnets.yaml when it
# exists; and a scenario written below that uses every feature of the
# model (explicit links, all shock kinds — surges too — and distributions,
# regimes, triggers, every intervention kind with every cost key, a price
# floor, producers that exit and reopen, lasting substitution, a discount
# rate).  The NumPy side takes most of the
# time (its market is solved in Python, commodity-month by commodity-month);
# the sanitizer pass of `make test` reuses its results.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The NumPy results of earlier passes (see crosscheck below).
cache=${NUMPY_CACHE:-build/numpy-cache}

. tests/cli/lib.bash

# crosscheck LABEL SCENARIO TRIALS_SHORTFALL TRIALS_NUMPY
crosscheck() {
  local label=$1 scen=$2 nc=$3 nnp=$4
  expect "crosscheck-$label-run" 0 'Results:' -- \
    "$sf" run "$scen" -n "$nc" --seed 101 --threads 2 -o "$tmp/$label.h5" \
    --force --progress never
  # The NumPy side is the same program on the same input in the normal
  # and the sanitizer pass of `make test`: its output is kept under the
  # hash of the scenario, the arguments and bench/numpy_baseline.py, and
  # the second pass reuses it (only shortfall's side is what ASan checks).
  local key cached
  key=$(cat "$scen" bench/numpy_baseline.py | sha256sum | cut -c1-32)-$nnp
  cached=$cache/$key.json
  if [ -s "$cached" ]; then
    cp "$cached" "$tmp/$label.json"
    echo "ok crosscheck-$label-numpy (reused $cached)"
  elif "$py" bench/numpy_baseline.py "$scen" -n "$nnp" --seed 202 --json \
      >"$tmp/$label.json" 2>"$tmp/$label.err"; then
    mkdir -p "$cache" && cp "$tmp/$label.json" "$cached.tmp" && mv "$cached.tmp" "$cached"
    echo "ok crosscheck-$label-numpy"
  else
    echo "not ok crosscheck-$label-numpy"
    sed 's/^/    /' "$tmp/$label.err" | tail -20
    return
  fi
  "$py" - "$label" "$tmp/$label.h5" "$tmp/$label.json" <<'PY'
import json, math, sys
import h5py

label, h5path, jpath = sys.argv[1:4]
np_res = json.load(open(jpath))
dec = lambda a: [x.decode() if isinstance(x, bytes) else str(x) for x in a]
with h5py.File(h5path, "r") as f:
    root = f[np_res["scenario"]]
    for pol, npp in np_res["policies"].items():
        g = root[pol]
        rows = []   # (what, mean_c, se_c, mean_np, se_np)
        for i, r in enumerate(dec(g["region"][:])):
            v = npp["shortfall_cum_region"][r]
            rows.append((f"shortfall {r}", g["shortfall_cum_mean_region"][i],
                         g["shortfall_cum_se_region"][i], v["mean"], v["se"]))
        v = npp["shortfall_cum_world"]
        rows.append(("shortfall world", g["shortfall_cum_mean_world"][()],
                     g["shortfall_cum_se_world"][()], v["mean"], v["se"]))
        for k, s in enumerate(dec(g["shock"][:])):
            v = npp["months_active"][s]
            rows.append((f"months active {s}", g["months_active_mean"][k],
                         g["months_active_se"][k], v["mean"], v["se"]))
        # the mix's total public cost (discounted), the need given up by
        # lasting substitution, and the months each producer with a unit
        # cost was closed (no such variables when none has one)
        k = dec(g["cost_kind"][:]).index("total")
        v = npp["public_cost"]["total"]
        rows.append(("public cost total", g["public_cost_mean"][k],
                     g["public_cost_se"][k], v["mean"], v["se"]))
        v = npp["substituted_cum_world"]
        rows.append(("substituted world", g["substituted_cum_mean_world"][()],
                     g["substituted_cum_se_world"][()], v["mean"], v["se"]))
        prods = dec(g["producer"][:]) if "producer" in g else []
        nan = {"mean": math.nan, "se": 0.0}
        for k, s in enumerate(prods):
            v = npp["closed_months"].get(s, nan)
            rows.append((f"closed months {s}", g["closed_months_mean"][k],
                         g["closed_months_se"][k], v["mean"], v["se"]))
        for s in sorted(set(npp["closed_months"]) - set(prods)):
            v = npp["closed_months"][s]
            rows.append((f"closed months {s}", math.nan, 0.0, v["mean"], v["se"]))
        bad = []
        for what, mc, sc, mn, sn in rows:
            mc, sc = float(mc), float(sc)
            # floating-point rounding (1e-9 relative) at least: a mean that
            # is the same in every trial has a standard error of 0 or of
            # its rounding (a fixed demand reduction's cost)
            tol = max(4 * math.sqrt(sc * sc + sn * sn),
                      1e-9 * max(1.0, abs(mc), abs(mn)))
            if not abs(mc - mn) <= tol:
                bad.append(f"    {what}: shortfall {mc:.6g} ± {sc:.3g}, "
                           f"numpy {mn:.6g} ± {sn:.3g}, |diff| "
                           f"{abs(mc - mn):.3g} > {tol:.3g}")
        name = f"crosscheck-{label}-{pol}"
        if bad:
            print(f"not ok {name} ({len(bad)} of {len(rows)} differ)")
            print("\n".join(bad))
        else:
            print(f"ok {name} ({len(rows)} means agree)")
PY
}

crosscheck toy scenarios/toy-magnets.yaml 20000 20000

if [ -f scenarios/ree-magnets.yaml ]; then
  crosscheck ree scenarios/ree-magnets.yaml 5000 2000
else
  echo "# skip ree-magnets: scenarios/ree-magnets.yaml does not exist yet"
fi

cat >"$tmp/features.yaml" <<'EOF'
name: features
description: every model feature, for the NumPy cross-check
horizon_months: 36
discount_rate: 0.05
blocs: {west: [US, EU]}
commodities:
  - {id: ore, unit: t}
  - {id: metal, unit: t, tariff_elasticity: 2, price: 5}
  - {id: part, unit: t, tariff_elasticity: 4,
     substitution: {elasticity: 0.4, adjust_months: 6, revert_months: 18}}
nodes:
  - {id: cn_mine, kind: mine, country: CN, output: ore, capacity: 800, output_stock_cap: 20}
  - {id: au_mine, kind: mine, country: AU, output: ore, capacity: 300, unit_cost: 9.5,
     exit_after_months: 2, restart_months: 4}
  - {id: cn_ref, kind: refiner, country: CN, input: ore, output: metal, capacity: 700, yield: 0.8}
  - {id: my_ref, kind: refiner, country: MY, input: ore, output: metal, capacity: 250,
     yield: 0.9, input_buffer_months: 2, initial_input_stock: 10, unit_cost: 4.5,
     exit_after_months: 3, restart_months: 6}
  - {id: cn_plant, kind: plant, country: CN, input: metal, output: part, capacity: 600,
     output_stock_cap: 30}
  - {id: eu_plant, kind: plant, country: EU, input: metal, output: part, capacity: 250,
     input_buffer_months: 0.5, unit_cost: 0.85, exit_after_months: 4}
  - {id: cn_demand, kind: demand, country: CN, input: part, demand: 400, volatility: 0.1}
  - {id: us_demand, kind: demand, country: US, input: part, demand: 250, growth: 0.04,
     volatility: 0.15}
  - {id: eu_demand, kind: demand, country: EU, input: part, demand: 150, growth: -0.02}
links:
  - {from: au_mine, to: my_ref}
  - {from: cn_mine, to: my_ref, weight: 100}
  - {from: eu_plant, to: eu_demand, weight: 3}
  - {from: cn_plant, to: eu_demand}
shocks:
  - {id: cn_ban, kind: export_restriction, exporter: CN, commodities: all, targets: all,
     except: [AU], hazard_per_year: 0.5,
     duration_months: {dist: gamma, shape: 3, scale: 2},
     severity: {dist: triangular, min: 0.3, mode: 0.8, max: 1}}
  - {id: ore_ctrl, kind: export_restriction, exporter: [CN, AU], commodities: [ore],
     targets: west, hazard_per_year: 0.3,
     duration_months: {dist: weibull, scale: 5, shape: 1.5},
     severity: {dist: uniform, min: 0.2, max: 0.9}}
  - {id: my_flood, kind: outage, nodes: [my_ref], hazard_per_year: 0.6,
     duration_months: {dist: exponential, mean: 3}, severity: {dist: beta, a: 2, b: 2}}
  - {id: cn_power, kind: outage, country: CN, node_kind: refiner,
     schedule: {start_month: 10, duration_months: 4},
     severity: {dist: lognormal, median: 0.3, sigma: 0.5}}
  - {id: west_tariff, kind: tariff, importer: west, exporter: all, commodities: [part, metal],
     hazard_per_year: 0.4, duration_months: 6, rate: {dist: uniform, min: 0.1, max: 0.5}}
  - {id: cn_glut, kind: surge, country: CN, node_kind: mine, hazard_per_year: 0.5,
     duration_months: {dist: lognormal, median: 4, sigma: 0.5},
     severity: {dist: uniform, min: 0.5, max: 1.5}}
  - {id: au_rush, kind: surge, nodes: [au_mine], severity: 0.5,
     schedule: {start_month: 20, duration_months: 6}}
  - {id: eu_tariff, kind: tariff, importer: EU, exporter: CN, commodities: all, rate: 0.2,
     schedule: {start_month: 0, duration_months: 20}}
regimes:
  states: [calm, tension, crisis]
  start: calm
  transitions: {calm: [0.9, 0.1, 0], tension: [0.2, 0.7, 0.1], crisis: [0, 0.3, 0.7]}
  multipliers: {tension: {cn_ban: 2, ore_ctrl: 1.5}, crisis: {cn_ban: 5, my_flood: 0}}
triggers:
  - {when: west_tariff, raises: cn_ban, factor: 2}
  - {when: us_duty, raises: ore_ctrl, factor: 3}
policies:
  - name: baseline
  - name: stockpile
    interventions:
      - {kind: stockpile, node: us_demand, initial_months: 3, capacity_months: 5,
         max_release_months: 0.5, refill_months: 0.25, holding_cost: 0.05}
      - {kind: stockpile, node: eu_demand, initial: 30}
  - name: offtake
    interventions:
      - {kind: offtake, buyer: eu_demand, supplier: eu_plant, share: 0.8, premium: 0.1}
      - {kind: offtake, buyer: my_ref, supplier: au_mine, share: 0.5}
      - {kind: price_floor, node: my_ref, floor: 5}
  - name: build
    interventions:
      - kind: new_capacity
        node: {id: us_ref, kind: refiner, country: US, input: ore, output: metal,
               capacity: 200, yield: 0.85}
        lead_time_months: {dist: uniform, min: 3, max: 15}
        ramp_months: 4
        completion_probability: 0.8
        capex: 40
        subsidy_per_unit: 0.5
      - kind: new_capacity
        node: {id: us_plant, kind: plant, country: US, input: metal, output: part,
               capacity: 150}
        lead_time_months: 6
        capex: 5
  - name: demand
    interventions:
      - {kind: recycling, node: us_demand, share: 0.2, ramp_months: 12, cost_per_unit: 2}
      - {kind: recycling, node: cn_demand, share: 0.1}
      - {kind: demand_reduction, node: eu_demand, share: 0.15, cost_per_unit: 1.5}
  - name: diplomacy
    interventions:
      - {kind: hazard_multiplier, shock: cn_ban, factor: 0.4}
      - {kind: tariff, id: us_duty, importer: US, exporter: CN, commodities: [part],
         rate: {dist: triangular, min: 0, mode: 0.1, max: 0.4},
         schedule: {start_month: 6, duration_months: 12}}
EOF
crosscheck features "$tmp/features.yaml" 10000 5000

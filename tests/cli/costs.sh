#!/usr/bin/env bash
# CLI tests of the economics of policy (docs/model.md, "What policies cost",
# "Price floors", "Producers that exit", "Lasting substitution"): the cost
# table of `info` for every mix; the cost, revenue, closed-months and
# substitution outputs bit for bit the same for any thread count, for
# shards merged, with statistics read back in bounded memory, and without
# per-trial rows; a file written before costs existed still summarised
# (n/a), not refused; bad cost keys refused with their key path.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
q="--progress never"
same() { "$py" tests/python/compare_results.py "$1" "$2" >"$tmp/cmp" 2>&1; grep -q ' 0 differences' "$tmp/cmp"; }

# A small scenario with every cost key, a floor, producers that exit, a
# surge and lasting substitution.
cat >"$tmp/econ.yaml" <<'EOF'
name: econ
horizon_months: 48
discount_rate: 0.05
commodities:
  - {id: ore, unit: t, price: 1000}
  - {id: metal, unit: t, price: 5000, substitution: {elasticity: 0.3, adjust_months: 6, revert_months: 36}}
nodes:
  - {id: cn_mine, kind: mine, country: CN, output: ore, capacity: 2400}
  - {id: au_mine, kind: mine, country: AU, output: ore, capacity: 600, unit_cost: 900, exit_after_months: 6, restart_months: 12}
  - {id: cn_ref, kind: refiner, country: CN, input: ore, output: metal, capacity: 2000}
  - {id: us_ref, kind: refiner, country: US, input: ore, output: metal, capacity: 500, unit_cost: 4800, exit_after_months: 6, restart_months: 12}
  - {id: us, kind: demand, country: US, input: metal, demand: 1200, volatility: 0.05}
  - {id: eu, kind: demand, country: EU, input: metal, demand: 1000, volatility: 0.05}
shocks:
  - {id: ban, kind: export_restriction, exporter: CN, commodities: [metal], targets: all, hazard_per_year: 0.4, duration_months: {dist: uniform, min: 2, max: 12}, severity: {dist: beta, a: 2, b: 2}}
  - {id: flood, kind: surge, country: CN, hazard_per_year: 0.3, duration_months: {dist: uniform, min: 6, max: 18}, severity: {dist: uniform, min: 0.1, max: 0.4}}
  - {id: duty, kind: tariff, importer: US, exporter: CN, commodities: all, rate: 0.25, schedule: {start_month: 0, duration_months: 48}}
policies:
  - name: baseline
  - name: stockpile
    interventions:
      - {kind: stockpile, node: us, initial_months: 3, max_release_months: 1, refill_months: 0.2, holding_cost: 0.03}
  - name: floor
    interventions:
      - {kind: price_floor, node: us_ref, floor: 6000}
      - {kind: offtake, buyer: us, supplier: us_ref, share: 0.5, premium: 0.05}
  - name: mix
    interventions:
      - kind: new_capacity
        node: {id: us_new, kind: refiner, country: US, input: ore, output: metal, capacity: 300}
        lead_time_months: {dist: triangular, min: 6, mode: 12, max: 24}
        capex: 20000
        subsidy_per_unit: 100
      - {kind: recycling, node: eu, share: 0.05, ramp_months: 12, cost_per_unit: 2000}
      - {kind: demand_reduction, node: us, share: 0.05, cost_per_unit: 1500}
EOF
"$sf" run "$tmp/econ.yaml" -n 3000 --threads 2 -o "$tmp/a.h5" $q >"$tmp/a.out" 2>&1
ok_if costs-table-every-mix "grep -q 'Public cost of each mix' $tmp/a.out && \
  for m in baseline stockpile floor mix; do grep -A8 'per unit avoided' $tmp/a.out | grep -q \"^\$m \" || exit 1; done" \
  || sed -n '/Public cost/,$p' "$tmp/a.out"
ok_if costs-something-closes "grep -q 'Producers closed' $tmp/a.out" || cat "$tmp/a.out"
ok_if costs-every-kind-paid "\"$py\" -c \"
import h5py, sys
g = h5py.File('$tmp/a.h5')['econ']
k = [x.decode() for x in g['baseline/cost_kind'][:]]
paid = lambda m, kind: g[m]['public_cost_mean'][k.index(kind)] > 0
ok = (paid('stockpile', 'stockpile') and paid('floor', 'price_floor') and paid('floor', 'offtake')
      and paid('mix', 'new_capacity') and paid('mix', 'recycling') and paid('mix', 'demand_reduction')
      and g['baseline/public_cost_mean'][k.index('total')] == 0
      and g['baseline/tariff_revenue_mean'][:].max() > 0
      and g['baseline/substituted_cum_world'][:].mean() > 0
      and g['baseline/cost_per_avoided'][()] != g['baseline/cost_per_avoided'][()] and 'cost_per_avoided' in g['floor'])
sys.exit(not ok)\""

"$sf" run "$tmp/econ.yaml" -n 3000 --threads 1 -o "$tmp/t1.h5" $q >/dev/null 2>&1
ok_if costs-threads-1-and-2-identical "same $tmp/t1.h5 $tmp/a.h5" || cat "$tmp/cmp"

"$sf" run "$tmp/econ.yaml" --trials 0:1300 -o "$tmp/s1.h5" $q >/dev/null 2>&1
"$sf" run "$tmp/econ.yaml" --trials 1300:3000 --threads 1 -o "$tmp/s2.h5" $q >/dev/null 2>&1
"$sf" merge "$tmp/m.h5" "$tmp/s2.h5" "$tmp/s1.h5" >/dev/null 2>&1
ok_if costs-shards-merged-identical "same $tmp/m.h5 $tmp/a.h5" || cat "$tmp/cmp"

"$sf" run "$tmp/econ.yaml" -n 3000 --stats-memory 1 -o "$tmp/small.h5" $q >/dev/null 2>&1
ok_if costs-bounded-memory-identical "same $tmp/small.h5 $tmp/a.h5" || cat "$tmp/cmp"

# --no-trials: the same statistics, and the same summary.
"$sf" run "$tmp/econ.yaml" -n 3000 --no-trials -o "$tmp/nt.h5" $q >/dev/null 2>&1
"$sf" info "$tmp/a.h5" | sed -n '/Public cost/,/^Mean months/p' >"$tmp/info-a"
"$sf" info "$tmp/nt.h5" | sed -n '/Public cost/,/^Mean months/p' >"$tmp/info-nt"
ok_if costs-no-trials-same-table "[ -s $tmp/info-a ] && cmp -s $tmp/info-a $tmp/info-nt" \
  || diff "$tmp/info-a" "$tmp/info-nt"

# A file written before the costs: info says n/a, never an error.
cp "$tmp/a.h5" "$tmp/old.h5"
"$py" - "$tmp/old.h5" <<'PY'
import h5py, sys
f = h5py.File(sys.argv[1], "r+")
for m in f["econ"]:
    g = f["econ"][m]
    for n in list(g):
        if n.startswith(("public_cost", "tariff_revenue", "cost_per_avoided",
                         "closed_months", "cost_kind", "producer")):
            del g[n]
PY
expect costs-old-file-info 0 'n/a' -- "$sf" info "$tmp/old.h5"

expect costs-bad-floor-on-demand 2 'policies\[1\]\.interventions\[0\]\.node: node .us. is a demand node' -- \
  "$sf" check <(sed 's/{kind: stockpile, node: us, initial_months: 3, max_release_months: 1, refill_months: 0.2, holding_cost: 0.03}/{kind: price_floor, node: us, floor: 10}/' "$tmp/econ.yaml")
expect costs-bad-unit-cost 2 'nodes\[1\]\.unit_cost: must be >= 0' -- \
  "$sf" check <(sed 's/unit_cost: 900/unit_cost: -1/' "$tmp/econ.yaml")
expect costs-bad-substitution-key 2 'commodities\[1\]\.substitution\.speed: unknown key' -- \
  "$sf" check <(sed 's/adjust_months: 6,/speed: 6,/' "$tmp/econ.yaml")

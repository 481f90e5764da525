#!/usr/bin/env bash
# The Python reader (python/shortfall: shortfall.open, shortfall.trials) on
# every kind of results file: a single run, shards merged, a --no-trials
# file, an interrupted run, a batch of one swept key, a grid of two, and
# a batch of eight kinds of swept keys (their names and units), and a
# batch of two scenario files.
# The checks are in tests/python/test_reader.py; every expected value comes
# from h5py on the same file or from the batch file's text.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
toy=scenarios/toy-magnets.yaml
q="--progress never --threads 1"

expect reader-run 0 'Results:' -- "$sf" run $toy -n 200 -o "$tmp/single.h5" $q
expect reader-no-trials 0 'Results:' -- "$sf" run $toy -n 200 --no-trials -o "$tmp/notrials.h5" $q
"$sf" run $toy --trials 0:100 -o "$tmp/s0.h5" $q >/dev/null 2>&1
"$sf" run $toy --trials 100:200 -o "$tmp/s1.h5" $q >/dev/null 2>&1
expect reader-merge 0 '' -- "$sf" merge "$tmp/merged.h5" "$tmp/s0.h5" "$tmp/s1.h5"
expect reader-batch 0 'Results:' -- "$sf" run examples/batches/toy-sweep.yaml -n 50 -o "$tmp/batch.h5" $q
here=$(pwd)
cat >"$tmp/grid.yaml" <<YAML
batch: toy-grid
scenarios: [$here/scenarios/toy-magnets.yaml]
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: [0.2, 0.8]
  - path: policies[stockpile].interventions[0].initial_months
    values: [3, 6, 12]
YAML
expect reader-batch-sobol 0 'Results:' -- "$sf" run examples/batches/toy-sobol.yaml -n 10 -o "$tmp/sobol.h5" $q
expect reader-batch-grid 0 'Results:' -- "$sf" run "$tmp/grid.yaml" -n 20 -o "$tmp/batch2.h5" $q
# Eight kinds of swept keys, for their names and units (against info's).
cat >"$tmp/keys.yaml" <<YAML
batch: toy-keys
scenarios: [$here/scenarios/toy-magnets.yaml]
sweeps:
  - {path: "nodes[us_demand].demand", values: [250, 300]}
  - {path: "nodes[cn_ref].yield", values: [0.9, 0.8]}
  - {path: "nodes[cn_mine].capacity", values: [1000, 900]}
  - {path: "nodes[1].capacity", values: [200, 300]}
  - {path: "shocks[cn_controls].duration_months.median", values: [6, 9]}
  - {path: "shocks[cn_controls].severity.a", values: [4, 3]}
  - {path: "policies[stockpile].interventions[0].max_release_months", values: [1, 2]}
  - {path: "nodes[us_demand].volatility", values: [0.1, 0.2]}
combine: zip
YAML
# Two scenario files in one batch: their variables and labels differ.
cat >"$tmp/multi.yaml" <<YAML
batch: two-scenarios
scenarios: [$here/scenarios/toy-magnets.yaml, $here/scenarios/ree-magnets.yaml]
trials: 20
YAML
expect reader-batch-two-scenarios 0 'Results:' -- "$sf" run "$tmp/multi.yaml" -o "$tmp/multi.h5" $q
expect reader-batch-keys 0 'Results:' -- "$sf" run "$tmp/keys.yaml" -n 10 -o "$tmp/keys.h5" $q
"$sf" info "$tmp/keys.h5" --format json >"$tmp/keys.json"

# An interrupted run (as in tests/cli/stop.sh): Ctrl-C at the first
# progress line of a 600-month toy run.
sed 's/^horizon_months: .*/horizon_months: 600/' $toy >"$tmp/long.yaml"
"$sf" run "$tmp/long.yaml" -n 2500 --threads 1 -o "$tmp/interrupted.h5" --progress always \
  >/dev/null 2>"$tmp/long.err" &
pid=$!
for _ in $(seq 1 1200); do grep -q 'trials/s' "$tmp/long.err" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
ok_if reader-interrupted-run "[ $rc -eq 130 ] && [ -f '$tmp/interrupted.h5' ]" || echo "    exit $rc"

"$py" tests/python/test_reader.py "$tmp" examples/batches/toy-sweep.yaml "$tmp/grid.yaml"

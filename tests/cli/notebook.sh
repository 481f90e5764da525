#!/usr/bin/env bash
# CLI test of the analysis notebook: tools/report runs notebooks/analysis.ipynb
# headless (Debian's python3 kernel) on a small ree-magnets run; every cell
# must succeed and every figure must be written.  Then every other kind of
# file shortfall writes: --no-trials, merged shards, a shard, batches
# (whole, --no-trials, a part, one variant), and files it cannot read,
# which get one line and a non-zero exit, never a Python traceback.
# First the frontier function on its own (tests/python/test_frontier.py).
set -u
sf=${SHORTFALL:-bin/shortfall}
here=$(pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/cli/lib.bash

# The cost-effectiveness frontier (notebooks/frontier.py) on hand-worked examples.
/usr/bin/python3 tests/python/test_frontier.py 2>&1 || echo "not ok frontier-script (exit $?)"

is_png() { [ -s "$1" ] && [ "$(head -c 4 "$1" | tail -c 3)" = PNG ]; }
# no_traceback NAME: the last command's output has no Python traceback.
no_traceback() { ok_if "$1-no-traceback" "! grep -q 'Traceback' '$tmp/out'"; }

expect notebook-run 0 'Results:' -- "$sf" run scenarios/ree-magnets.yaml -n 3000 -o "$tmp/r.h5" --progress never
expect notebook-execute 0 'report: .*r\.h5' -- tools/report "$tmp/r.h5" "$tmp/fig"
ok_if notebook-all-drawn "! grep -q 'not drawn' '$tmp/out'"

# One fan chart per region of ree-magnets, the three comparison figures, a
# price fan chart per commodity, price against shortfall and the cost frontier.
for f in fan_CN fan_EU fan_JP fan_ROW fan_US ccdf avoided conditional \
         price_concentrate price_oxide price_magnet price_shortfall cost_frontier tail_drivers; do
  ok_if "notebook-figure-$f" "is_png '$tmp/fig/$f.png'"
done
ok_if notebook-headline-csv "[ -s '$tmp/fig/headline.csv' ] && grep -q '^coalition,' '$tmp/fig/headline.csv'"
# The frontier's table: every mix, the baseline at (0, 0), a frontier flag.
ok_if notebook-frontier-csv "head -1 '$tmp/fig/cost_frontier.csv' | grep -q ',on frontier\$' && \
  grep -q '^baseline,0.0,0.0,0.0,0.0,' '$tmp/fig/cost_frontier.csv' && \
  [ \$(grep -c ',True\$' '$tmp/fig/cost_frontier.csv') -ge 1 ] && [ \$(wc -l <'$tmp/fig/cost_frontier.csv') -eq \$((1 + \$(/usr/bin/python3 -c \"import h5py; print(len(h5py.File('$tmp/r.h5')['ree-magnets']))\"))) ]"
# The drivers of the worst trials: the baseline's rows are tools/sensitivity's tail table.
ok_if notebook-tail-drivers-csv "grep -q '^baseline,months_active\\[' '$tmp/fig/tail_drivers.csv' && \
  diff <(grep '^baseline,' '$tmp/fig/tail_drivers.csv' | cut -d, -f2-) \
       <(tools/sensitivity '$tmp/r.h5' --output shortfall_cum_world --only tail --format csv | tail -n +2)"
# The executed notebook ran on Debian's python3, read this run's file, and has no error output.
ok_if notebook-kernel "grep -q 'python:  /usr/bin/python3' '$tmp/fig/analysis.ipynb'"
ok_if notebook-results-path "grep -q 'results: $tmp/r.h5' '$tmp/fig/analysis.ipynb'"
ok_if notebook-no-errors "! grep -q '\"output_type\": \"error\"' '$tmp/fig/analysis.ipynb'"
ok_if notebook-source-clean "! grep -q '\"output_type\"' notebooks/analysis.ipynb notebooks/sweep.ipynb"

# The other kinds of file run once, with the normal build: the report is
# Python, and the sanitizer pass has run it above.
case "${BUILD:-}" in *asan*) echo "# report kinds: skipped for the sanitizer build"; exit 0 ;; esac

toy=scenarios/toy-magnets.yaml
# --no-trials: everything but the figures that need per-trial rows, and one
# line saying so.
"$sf" run $toy -n 1500 --no-trials -o "$tmp/lean.h5" --progress never >/dev/null 2>&1
expect report-no-trials 0 '^report: not drawn: ccdf.png, conditional.png, price_shortfall.png, cost_frontier.png and tail_drivers.png .*--no-trials' -- \
  tools/report "$tmp/lean.h5" "$tmp/lean"
ok_if report-no-trials-drawn "is_png '$tmp/lean/fan_US.png' && is_png '$tmp/lean/avoided.png' && [ -s '$tmp/lean/headline.csv' ]"
ok_if report-no-trials-not-drawn "[ ! -e '$tmp/lean/ccdf.png' ] && [ ! -e '$tmp/lean/conditional.png' ] && [ ! -e '$tmp/lean/price_shortfall.png' ] && [ ! -e '$tmp/lean/cost_frontier.png' ] && [ ! -e '$tmp/lean/tail_drivers.png' ]"
ok_if report-no-trials-price-fan "is_png '$tmp/lean/price_magnet.png'"
ok_if report-no-trials-no-errors "! grep -q '\"output_type\": \"error\"' '$tmp/lean/analysis.ipynb'"
# Relative paths are the caller's, not the repository's.
expect report-relative-paths 0 'report: .*lean\.h5' -- bash -c "cd '$tmp' && '$here/tools/report' lean.h5 rel"
ok_if report-relative-paths-figures "is_png '$tmp/rel/fan_US.png'"

# Merged shards, and a shard on its own.
"$sf" run $toy --trials 0:1000 -o "$tmp/s0.h5" --progress never >/dev/null 2>&1
"$sf" run $toy --trials 1000:2500 -o "$tmp/s1.h5" --progress never >/dev/null 2>&1
"$sf" merge "$tmp/m.h5" "$tmp/s0.h5" "$tmp/s1.h5" >/dev/null 2>&1
expect report-merged 0 '\(a run\)' -- tools/report "$tmp/m.h5" "$tmp/merged"
ok_if report-merged-figures "is_png '$tmp/merged/ccdf.png' && is_png '$tmp/merged/conditional.png' && is_png '$tmp/merged/avoided.png'"
expect report-shard 0 'a shard: trials 1000:2500' -- tools/report "$tmp/s1.h5" "$tmp/shard"
ok_if report-shard-figures "is_png '$tmp/shard/ccdf.png' && is_png '$tmp/shard/cost_frontier.png'"

# A file written before the policy costs existed (the merged file without
# them): everything but the cost frontier, and one line saying why.
cp "$tmp/m.h5" "$tmp/old.h5"
/usr/bin/python3 - "$tmp/old.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for scenario in f.values():
        for mix in scenario.values():
            for k in [k for k in mix if k.startswith(("public_cost", "tariff_revenue", "cost_per_avoided"))]:
                del mix[k]
            if "cost_kind" in mix:
                del mix["cost_kind"]
PY
expect report-no-costs 0 '^report: not drawn: cost_frontier.png \(the file has no policy costs' -- \
  tools/report "$tmp/old.h5" "$tmp/old"
no_traceback report-no-costs
ok_if report-no-costs-figures "is_png '$tmp/old/ccdf.png' && [ ! -e '$tmp/old/cost_frontier.png' ]"
ok_if report-no-costs-no-errors "! grep -q '\"output_type\": \"error\"' '$tmp/old/analysis.ipynb'"

# Batches: a figure across the swept values, from the stored statistics.
batch=examples/batches/toy-sweep.yaml
"$sf" run $batch -n 600 -o "$tmp/b.h5" --progress never >/dev/null 2>&1
expect report-batch 0 '^report: not drawn: the per-variant figures' -- tools/report "$tmp/b.h5" "$tmp/batch"
no_traceback report-batch
ok_if report-batch-figure "is_png '$tmp/batch/sweep_0.png'"
# sweep.csv: the swept key as a column, its three values, a row per variant x mix x unit.
ok_if report-batch-csv "head -1 '$tmp/batch/sweep.csv' | grep -q 'shocks\[cn_controls\].hazard_per_year' && \
  [ \$(grep -c ',baseline,True,world,' '$tmp/batch/sweep.csv') -eq 3 ] && \
  grep -q '^toy-magnets-2,toy-magnets,0.8,stockpile,False,US,' '$tmp/batch/sweep.csv'"
ok_if report-batch-no-errors "! grep -q '\"output_type\": \"error\"' '$tmp/batch/sweep.ipynb'"
"$sf" run $batch -n 600 --no-trials -o "$tmp/bl.h5" --progress never >/dev/null 2>&1
expect report-batch-no-trials 0 'report: .*bl\.h5 \(a batch, 3 of 3 variants\)' -- tools/report "$tmp/bl.h5" "$tmp/batch-lean"
ok_if report-batch-no-trials-figure "is_png '$tmp/batch-lean/sweep_0.png'"
# A Sobol batch: the sensitivity chart, its CSV the baseline's rows of
# tools/sensitivity; the swept stockpile size cannot change the baseline
# (common random numbers), so its indices there are exactly 0.
"$sf" run examples/batches/toy-sobol.yaml -n 100 --no-trials -o "$tmp/sobol.h5" --progress never >/dev/null 2>&1
expect report-sobol 0 'report: .*sobol\.h5 \(a batch' -- tools/report "$tmp/sobol.h5" "$tmp/sobol"
no_traceback report-sobol
ok_if report-sobol-figure "is_png '$tmp/sobol/sensitivity.png' && is_png '$tmp/sobol/sweep_0.png'"
ok_if report-sobol-csv "diff <(grep '^baseline,' '$tmp/sobol/sensitivity.csv' | cut -d, -f2-) \
  <(tools/sensitivity '$tmp/sobol.h5' --output shortfall_cum_world --only sobol --format csv | tail -n +2) && \
  grep -q '^baseline,initial_months,months,.*,0.0,0.0,0.0,0.0,0.0,0.0\$' '$tmp/sobol/sensitivity.csv'"
ok_if report-sobol-no-errors "! grep -q '\"output_type\": \"error\"' '$tmp/sobol/sweep.ipynb'"
ok_if report-batch-no-sensitivity "[ ! -e '$tmp/batch/sensitivity.png' ] && grep -q 'sensitivity.png is not drawn: the batch' '$tmp/batch/sweep.ipynb'"
"$sf" run $batch --variant 1 --trials 0:300 -o "$tmp/part.h5" --progress never >/dev/null 2>&1
expect report-batch-part 0 'not drawn: sweep figures \(the variants in this file share every swept value\)' -- \
  tools/report "$tmp/part.h5" "$tmp/part"
ok_if report-batch-part-csv "[ -s '$tmp/part/sweep.csv' ] && [ ! -e '$tmp/part/sweep_0.png' ]"
expect report-batch-variant 0 'variant toy-magnets-2 of a batch' -- tools/report "$tmp/b.h5" "$tmp/variant" --variant toy-magnets-2
ok_if report-batch-variant-figures "is_png '$tmp/variant/fan_US.png' && is_png '$tmp/variant/ccdf.png' && is_png '$tmp/variant/conditional.png'"
ok_if report-batch-variant-title "grep -q 'toy-magnets-2' '$tmp/variant/analysis.ipynb'"

# What it cannot read: one line on stderr, a non-zero exit, no traceback.
echo 'not a results file' >"$tmp/junk.h5"
/usr/bin/python3 -c "import h5py; h5py.File('$tmp/other.h5', 'w').attrs['x'] = 1"
head -c 20000 "$tmp/m.h5" >"$tmp/truncated.h5"
refuse() {  # refuse NAME STATUS PATTERN -- COMMAND...: exactly one line of output
  expect "$@"
  ok_if "$1-one-line" "[ \$(wc -l <'$tmp/out') -eq 1 ]"
}
refuse notebook-missing-file 3 "run 'make run' first" -- tools/report "$tmp/none.h5" "$tmp/fig2"
refuse report-not-hdf5 2 '^report: .*junk\.h5: not an HDF5 file' -- tools/report "$tmp/junk.h5" "$tmp/x"
refuse report-not-shortfall 2 'other\.h5: not a shortfall results file' -- tools/report "$tmp/other.h5" "$tmp/x"
refuse report-truncated 2 'truncated\.h5: cannot be read as a results file' -- tools/report "$tmp/truncated.h5" "$tmp/x"
refuse report-directory 3 'is a directory' -- tools/report "$tmp" "$tmp/x"
refuse report-unwritable-outdir 3 'cannot write to' -- tools/report "$tmp/m.h5" "$tmp/junk.h5/figs"
refuse report-unknown-variant 2 "no variant 'nope'" -- tools/report "$tmp/b.h5" "$tmp/x" --variant nope
refuse report-variant-of-a-run 1 '--variant is for batch files' -- tools/report "$tmp/m.h5" "$tmp/x" --variant a
refuse report-usage 1 '^report: too many arguments; usage:' -- tools/report a b c
# A notebook that fails says which and why in one line, after the header.
expect report-notebook-fails 1 "^report: the notebook notebooks/sweep.ipynb failed: ValueError: SHORTFALL_UNIT='XX'" -- \
  env SHORTFALL_UNIT=XX tools/report "$tmp/b.h5" "$tmp/x"
no_traceback report-notebook-fails

#!/usr/bin/env bash
# CLI test of the analysis notebook: tools/report runs notebooks/analysis.ipynb
# headless (Debian's python3 kernel) on a small ree-magnets run; every cell
# must succeed and every figure must be written.
set -u
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/cli/lib.bash

expect notebook-run 0 'Results:' -- "$sf" run scenarios/ree-magnets.yaml -n 3000 -o "$tmp/r.h5" --progress never
expect notebook-execute 0 'report: .*r\.h5' -- tools/report "$tmp/r.h5" "$tmp/fig"

# One fan chart per region of ree-magnets, and the three comparison figures.
for f in fan_CN fan_EU fan_JP fan_ROW fan_US ccdf avoided conditional; do
  ok_if "notebook-figure-$f" "[ -s '$tmp/fig/$f.png' ] && [ \"\$(head -c 4 '$tmp/fig/$f.png' | tail -c 3)\" = PNG ]"
done
ok_if notebook-headline-csv "[ -s '$tmp/fig/headline.csv' ] && grep -q '^coalition,' '$tmp/fig/headline.csv'"
# The executed notebook ran on Debian's python3, read this run's file, and has no error output.
ok_if notebook-kernel "grep -q 'python:  /usr/bin/python3' '$tmp/fig/analysis.ipynb'"
ok_if notebook-results-path "grep -q 'results: $tmp/r.h5' '$tmp/fig/analysis.ipynb'"
ok_if notebook-no-errors "! grep -q '\"output_type\": \"error\"' '$tmp/fig/analysis.ipynb'"
ok_if notebook-source-clean "! grep -q '\"output_type\"' notebooks/analysis.ipynb"
# A missing results file: a clear message, before any kernel starts.
expect notebook-missing-file 3 "run 'make run' first" -- tools/report "$tmp/none.h5" "$tmp/fig2"

#!/usr/bin/env bash
# CLI tests of the command line as people type it: trial counts written
# 1e4 or 10_000, a misspelt --policy, what `run --help` says, the Slurm
# example scripts' usage.
set -u
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
toy=scenarios/toy-magnets.yaml
q="--progress never"

. tests/cli/lib.bash

# Exact whole numbers in any of these forms; nothing else.
expect n-exponent 0 '^toy-magnets: 10000 trials x 48 months' -- "$sf" run $toy -n 1e4 -o "$tmp/a.h5" $q
expect n-underscores 0 '^toy-magnets: 10000 trials x 48 months' -- "$sf" run $toy -n 10_000 -o "$tmp/b.h5" $q
expect n-decimal-exponent 0 '^toy-magnets: 1500 trials x 48 months' -- "$sf" run $toy -n 1.5e3 -o "$tmp/c.h5" $q
expect n-capital-exponent 0 '^toy-magnets: 200 trials x 48 months' -- "$sf" run $toy -n 2E+2 -o "$tmp/d.h5" $q
expect n-fraction-refused 1 "-n needs a whole number of trials .*got '2\.5' \(not whole\)" -- "$sf" run $toy -n 2.5 -o "$tmp/e.h5"
expect n-negative-exponent-refused 1 "got '1e-3' \(not whole\)" -- "$sf" run $toy -n 1e-3 -o "$tmp/e.h5"
expect n-loose-underscore-refused 1 "got '10__000' \(not a number\)" -- "$sf" run $toy -n 10__000 -o "$tmp/e.h5"
expect n-trailing-underscore-refused 1 "got '10_' \(not a number\)" -- "$sf" run $toy -n 10_ -o "$tmp/e.h5"
ok_if n-refused-no-file "[ ! -e $tmp/e.h5 ]"

# A misspelt mix: the nearest name is suggested; a name near none is not.
expect policy-did-you-mean 1 "has no policy mix 'stockpil'; it has: baseline stockpile build; did you mean 'stockpile'\?" -- "$sf" run $toy --policy stockpil -o "$tmp/f.h5"
"$sf" run $toy --policy zzzzzz -o "$tmp/f.h5" >"$tmp/far" 2>&1
ok_if policy-no-far-suggestion "grep -q \"no policy mix 'zzzzzz'\" $tmp/far && ! grep -q 'did you mean' $tmp/far" || cat "$tmp/far"

expect run-help-one-scenario 0 'One scenario \(or batch\) file per run' -- "$sf" run --help
expect run-help-signals 0 'stopping after the' -- "$sf" run --help

# The Slurm example scripts: a usage line and exit 1 without their
# arguments (they would otherwise fail on an unset variable, or submit).
expect slurm-submit-usage 1 '^usage: .*submit\.sh SCENARIO TRIALS SHARDS OUTDIR \[SEED\]' -- bash examples/slurm/submit.sh
expect slurm-submit-too-few 1 '^usage: .*submit\.sh' -- bash examples/slurm/submit.sh $toy 1000 4
expect slurm-submit-batch-usage 1 '^usage: .*submit-batch\.sh BATCH SHARDS OUTDIR \[TRIALS\] \[SEED\]' -- bash examples/slurm/submit-batch.sh
expect slurm-submit-batch-too-few 1 '^usage: .*submit-batch\.sh' -- bash examples/slurm/submit-batch.sh examples/batches/ree-sweep.yaml 2

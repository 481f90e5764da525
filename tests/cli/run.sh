#!/usr/bin/env bash
# CLI tests of `shortfall run`: the summary table, options and exit codes.
set -u
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
toy=scenarios/toy-magnets.yaml

. tests/cli/lib.bash

expect run-toy 0 '^toy-magnets: 2000 trials x 48 months, seed 7' -- "$sf" run -o "$tmp/r.h5" --force $toy -n 2000
# Every policy mix and the world row appear; non-baseline rows carry "avoided".
"$sf" run -o "$tmp/r.h5" --force $toy -n 2000 >"$tmp/a" 2>&1
for p in baseline stockpile build; do
  grep -qE "^$p " "$tmp/a" && echo "ok run-row-$p" || echo "not ok run-row-$p"
done
grep -A2 '^stockpile' "$tmp/a" | grep -qE '^ +US +[0-9.,]+ ± [0-9.,]+ .* -?[0-9.,]+ ± [0-9.,]+ +[01](\.[0-9]+)?$' \
  && echo "ok run-avoided-column" || echo "not ok run-avoided-column"
# Same seed, same table (but for the timing line); another seed differs.
"$sf" run -o "$tmp/r.h5" --force $toy -n 2000 --threads 1 | sed -n '/^policy/,/^$/p' >"$tmp/t1"
"$sf" run -o "$tmp/r.h5" --force $toy -n 2000 --threads 2 | sed -n '/^policy/,/^$/p' >"$tmp/t2"
"$sf" run -o "$tmp/r.h5" --force $toy -n 2000 --seed 8 | sed -n '/^policy/,/^$/p' >"$tmp/s8"
cmp -s "$tmp/t1" "$tmp/t2" && echo "ok run-threads-same-table" || echo "not ok run-threads-same-table"
cmp -s "$tmp/t1" "$tmp/s8" && echo "not ok run-seed-changes-table" || echo "ok run-seed-changes-table"
expect run-policy-only 0 '^build ' -- "$sf" run -o "$tmp/r.h5" --force $toy -n 1000 --policy build
"$sf" run -o "$tmp/r.h5" --force $toy -n 1000 --policy build | grep -q '^stockpile' && echo "not ok run-policy-filters" || echo "ok run-policy-filters"
expect run-unknown-policy 1 "has no policy mix 'nope'; it has: baseline stockpile build" -- "$sf" run -o "$tmp/r.h5" --force $toy --policy nope
expect run-zero-trials 1 '-n needs a whole number of trials from 1 to 10\^12' -- "$sf" run -o "$tmp/r.h5" --force $toy -n 0
expect run-bad-seed 1 '--seed needs a whole number' -- "$sf" run -o "$tmp/r.h5" --force $toy --seed -3
expect run-bad-threads 1 '--threads needs a number from 1 to 1024' -- "$sf" run -o "$tmp/r.h5" --force $toy --threads 0
expect run-unknown-option 1 "unknown option '--frob'" -- "$sf" run -o "$tmp/r.h5" --force $toy --frob
expect run-no-scenario 1 'usage: shortfall run' -- "$sf" run
expect run-help 0 'usage: shortfall run' -- "$sf" run --help
expect run-bad-scenario 2 'tests/bad/unknown-key.yaml:[0-9]+:[0-9]+: ' -- "$sf" run tests/bad/unknown-key.yaml
expect run-missing-file 3 'cannot read' -- "$sf" run "$tmp/none.yaml"
# Out of memory: --target-rse holds every trial's row, and 2e9 of them
# need more memory than the machine has; refused before the run, with a
# clear error, exit 3, no file.  (A plain run streams its rows, and its
# statistics take at most --stats-memory: it would start.)
expect run-out-of-memory 3 'allocating results for 2000000000 trials: out of memory' -- "$sf" run $toy -n 2000000000 --target-rse 0.0001 -o "$tmp/huge.h5" --progress never
ok_if run-out-of-memory-no-file "[ ! -e $tmp/huge.h5 ] && [ -z \"\$(ls -A $tmp | grep '^\\.huge')\" ]"
expect run-too-many-trials 2 'a run holds at most 2\^32 trials' -- "$sf" run $toy -n 5000000000 -o "$tmp/huge.h5"
# More paths than months (toy: 48): the path_trial coordinate must have
# room for every path (a buffer sized by months overflowed; ASan or
# valgrind see it, and the coordinate must read 0 .. 199).
expect run-paths-beyond-months 0 'Results:' -- "$sf" run $toy -n 300 --paths 200 -o "$tmp/paths.h5" --progress never
ok_if run-paths-beyond-months-coordinate "/usr/bin/python3 -c \"import h5py, sys; t = h5py.File('$tmp/paths.h5')['toy-magnets/baseline/path_trial'][:]; sys.exit(list(t) != list(range(200)))\""

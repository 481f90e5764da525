#!/usr/bin/env bash
# CLI tests of a clean stop on a long run: Ctrl-C takes effect within the
# block of trials in progress (not at the end of a wave of blocks, which
# on a long horizon is many seconds away), says so, leaves an incomplete
# file, and --resume finishes it to the file an uninterrupted run writes.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/cli/lib.bash

# The toy scenario over 600 months: about a millisecond a trial.  One
# thread runs waves of 2048 trials, so 2500 trials are two waves, and a
# build that looks at the stop flag only between waves (and shows
# progress only there) finishes the run after a Ctrl-C sent at its first
# progress line.
long=$tmp/long.yaml
sed 's/^horizon_months: .*/horizon_months: 600/' scenarios/toy-magnets.yaml >"$long"
n=2500
"$sf" run "$long" -n $n --threads 1 -o "$tmp/long.h5" --progress always >"$tmp/long.out" 2>"$tmp/long.err" &
pid=$!
for _ in $(seq 1 1200); do grep -q 'trials/s' "$tmp/long.err" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
ok_if long-interrupt-exit-130 "[ $rc -eq 130 ]" || { echo "    exit $rc"; sed 's/^/    /' "$tmp/long.err"; }
ok_if long-interrupt-says-stopping "grep -q '^shortfall run: stopping after the trials in progress…$' $tmp/long.err" || sed 's/^/    /' "$tmp/long.err"
ok_if long-interrupt-says-interrupted "grep -q 'interrupted after [0-9]* of $n trials' $tmp/long.err" || sed 's/^/    /' "$tmp/long.err"
done_n=$("$py" -c "import h5py; f=h5py.File('$tmp/long.h5'); print(int(f.attrs['trials_done']), int(f.attrs['complete']))" 2>&1)
ok_if long-interrupt-file-incomplete "[ \"\${done_n#* }\" = 0 ] && [ \"\${done_n% *}\" -gt 0 ] && [ \"\${done_n% *}\" -lt $n ]" || echo "    trials_done, complete: $done_n"
expect long-interrupt-info 0 "INCOMPLETE: [0-9]+ of $n trials" -- "$sf" info "$tmp/long.h5"
expect long-resume 0 'Results:' -- "$sf" run --resume "$tmp/long.h5" --threads 2 --progress never
"$sf" run "$long" -n $n --threads 2 -o "$tmp/whole.h5" --progress never >/dev/null 2>&1
"$py" tests/python/compare_results.py "$tmp/long.h5" "$tmp/whole.h5" >"$tmp/cmp" 2>&1
ok_if long-resume-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"

#!/usr/bin/env bash
# The program under valgrind's memcheck: a small run (every mix, the
# results file, the summary), info, a merge and a bad input must report no
# error.  Skipped for sanitizer builds, which valgrind cannot run.
set -u
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
case "${BUILD:-}" in *asan*) echo "# valgrind: skipped for the sanitizer build"; exit 0 ;; esac
vg="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet"
expect valgrind-run 0 'Results:' -- $vg "$sf" run scenarios/toy-magnets.yaml -n 300 --threads 2 -o "$tmp/v.h5" --progress never
expect valgrind-info 0 '^baseline' -- $vg "$sf" info "$tmp/v.h5"
expect valgrind-bad-input 2 'unknown key' -- $vg "$sf" check tests/bad/unknown-key.yaml
# merge streams rows through a window of 4096 trials: three shards of
# uneven size, the middle one across the first window's end.
"$sf" run scenarios/toy-magnets.yaml --trials 0:1000 -o "$tmp/s1.h5" --progress never >/dev/null 2>&1
"$sf" run scenarios/toy-magnets.yaml --trials 1000:5000 -o "$tmp/s2.h5" --progress never >/dev/null 2>&1
"$sf" run scenarios/toy-magnets.yaml --trials 5000:5300 -o "$tmp/s3.h5" --progress never >/dev/null 2>&1
expect valgrind-merge 0 'Merged 3 shards' -- $vg "$sf" merge "$tmp/m.h5" "$tmp/s1.h5" "$tmp/s2.h5" "$tmp/s3.h5"

#!/usr/bin/env bash
# CLI tests of `make validate` (tools/validate, docs/validation.md): the
# tool's pass rules and a known-answer episode (tests/python/
# check_validate.py); the real replays, small (20 trials each), so that
# every replay keeps loading, running and giving every statistic a
# value; and the page stating each statistic with the tolerance the
# episode module uses (the tolerances are fixed before the runs: the page
# and the modules must not drift apart).
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash

SHORTFALL="$sf" "$py" tests/python/check_validate.py "$tmp" 2>&1 | sed 's/^\(not \)\{0,1\}ok /&validate: /'

"$py" tools/validate --list >"$tmp/list" 2>"$tmp/list.err"
ok_if validate-list "[ -s $tmp/list ]" || cat "$tmp/list.err"
"$py" tools/validate --trials 20 --bin "$sf" --csv "$tmp/small.csv" --page none \
    --figures none >"$tmp/small.out" 2>&1
ok_if validate-small-replays-run "[ \$? -eq 0 ] && [ -s $tmp/small.csv ]" || tail -5 "$tmp/small.out"
ok_if validate-small-every-statistic "\"$py\" -c \"
import csv, sys
rows = list(csv.DictReader(open('$tmp/small.csv')))
want = [tuple(l.split('\t')[:2]) for l in open('$tmp/list').read().splitlines()]
got = [(r['episode'], r['statistic']) for r in rows]
bad = [r['statistic'] for r in rows if r['simulated'] in ('nan', '')]
print(bad, set(want) ^ set(got)); sys.exit(got != want or bool(bad))\" >$tmp/every.out 2>&1" || cat "$tmp/every.out"
# Every statistic is on the page, in a table row with its tolerance.
while IFS=$'\t' read -r ep stat obs tol; do
    ok_if "validate-page-states-$ep-$stat" \
        "grep -E '^\\|.*\`$stat\`.*\\|.*$tol' docs/validation.md >/dev/null"
done <"$tmp/list"

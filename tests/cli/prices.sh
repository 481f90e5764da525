#!/usr/bin/env bash
# CLI tests of the price outputs (docs/output.md, "Prices"): the variables,
# their coordinates and units, statistics that follow from the file's own
# rows (tests/python/check_prices.py); and the same bits for any thread
# count, for shards merged, for an interrupted run resumed, without the
# per-trial rows (--no-trials), and with statistics read back in bounded
# memory (--stats-memory) — NaN columns (a region that buys none of a
# commodity) included, compared bit for bit.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
toy=scenarios/toy-magnets.yaml
. tests/cli/lib.bash
q="--progress never"
same() { "$py" tests/python/compare_results.py "$1" "$2" >"$tmp/cmp" 2>&1; grep -q ' 0 differences' "$tmp/cmp"; }

"$sf" run $toy -n 3000 --threads 2 -o "$tmp/a.h5" $q >/dev/null 2>&1
"$py" tests/python/check_prices.py "$tmp/a.h5" $toy >"$tmp/chk" 2>&1
ok_if prices-content "! grep -q '^not ok' $tmp/chk && grep -q '^ok baseline-statistics-from-the-rows' $tmp/chk" || grep -v '^ok' "$tmp/chk"
# The toy's US buys no concentrate: a NaN column, whose statistics are NaN.
ok_if prices-region-without-buyer-is-nan "\"$py\" -c \"
import h5py, numpy as np, sys
p = h5py.File('$tmp/a.h5')['toy-magnets/baseline']
r = [x.decode() for x in p['region'][:]]
x = p['price_peak_region'][:, 0, r.index('US')]
sys.exit(not (np.isnan(x).all() and np.isnan(p['price_peak_region_mean'][0, r.index('US')])
              and not np.isnan(p['price_peak_region'][:, 0, r.index('CN')]).any()))\""

"$sf" run $toy -n 3000 --threads 1 -o "$tmp/t1.h5" $q >/dev/null 2>&1
ok_if prices-threads-1-and-2-identical "same $tmp/t1.h5 $tmp/a.h5" || cat "$tmp/cmp"

"$sf" run $toy --trials 0:1100 -o "$tmp/s1.h5" $q >/dev/null 2>&1
"$sf" run $toy --trials 1100:3000 --threads 1 -o "$tmp/s2.h5" $q >/dev/null 2>&1
"$sf" merge "$tmp/m.h5" "$tmp/s2.h5" "$tmp/s1.h5" >/dev/null 2>&1
ok_if prices-shards-merged-identical "same $tmp/m.h5 $tmp/a.h5" || cat "$tmp/cmp"

# --no-trials: every dataset it has (statistics, fan chart, accumulators)
# is the one the run with rows has.
"$sf" run $toy -n 3000 --no-trials -o "$tmp/nt.h5" $q >/dev/null 2>&1
ok_if prices-no-trials-statistics-identical "\"$py\" -c \"
import h5py, numpy as np, sys
a, b = h5py.File('$tmp/nt.h5'), h5py.File('$tmp/a.h5')
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
def differ(x, y):
    return x.tobytes() != y.tobytes() if x.dtype.kind == 'f' else not np.array_equal(x, y)
bad = [n for n in names if differ(a[n][()], b[n][()])]
assert any('price_peak_region_mean' in n for n in names)
print(bad[:5]); sys.exit(bool(bad))\" >$tmp/nt.out 2>&1" || cat "$tmp/nt.out"

# Statistics in 1 MB: 40,000 trials do not fit whole (2 threads hold 4
# columns), so every column is read back several times and its quantiles
# found by selection.
"$sf" run $toy -n 40000 -o "$tmp/big.h5" $q >/dev/null 2>&1
"$sf" run $toy -n 40000 --stats-memory 1 -o "$tmp/small.h5" $q >/dev/null 2>&1
ok_if prices-bounded-memory-identical "same $tmp/small.h5 $tmp/big.h5" || cat "$tmp/cmp"

# Interrupted and resumed (the resumed run summarises in memory, the
# whole run from columns read back).
long=$tmp/long.yaml
sed 's/^horizon_months: .*/horizon_months: 600/' $toy >"$long"
n=2500
"$sf" run "$long" -n $n --threads 1 -o "$tmp/long.h5" --progress always >/dev/null 2>"$tmp/long.err" &
pid=$!
for _ in $(seq 1 1200); do grep -q 'trials/s' "$tmp/long.err" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; wait $pid
expect prices-resume 0 'Results:' -- "$sf" run --resume "$tmp/long.h5" --threads 2 $q
"$sf" run "$long" -n $n --threads 2 -o "$tmp/whole.h5" $q >/dev/null 2>&1
ok_if prices-resumed-identical "same $tmp/long.h5 $tmp/whole.h5" || cat "$tmp/cmp"

# The summary: a price table, and the csv fields equal to the file's.
expect prices-info-table 0 'World price index per commodity' -- "$sf" info "$tmp/a.h5"
"$sf" info "$tmp/a.h5" --format csv >"$tmp/a.csv" 2>&1
ok_if prices-info-csv "\"$py\" -c \"
import csv, h5py, sys
p = h5py.File('$tmp/a.h5')['toy-magnets']
rows = list(csv.DictReader(open('$tmp/a.csv', newline='')))
bad = []
for r in rows:
    g = p[r['policy']]
    for c, cid in enumerate(x.decode() for x in g['commodity'][:]):
        if (float(r['price_mean_' + cid]) != g['price_mean_mean'][c]
                or float(r['price_mean_se_' + cid]) != g['price_mean_se'][c]
                or float(r['price_peak_p95_' + cid]) != g['price_peak_quantile'][3, c]):
            bad.append((r['policy'], r['region'], cid))
print(bad[:3]); sys.exit(bool(bad) or not rows)\" >$tmp/csv.out 2>&1" || cat "$tmp/csv.out"

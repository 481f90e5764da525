#!/usr/bin/env bash
# CLI tests of the quantile levels (run --quantiles, the scenario key
# quantiles) and of the file's CF metadata (a start month's time axis,
# Conventions, title, history, the provenance on every policy group).
#
# Known answers: the stored quantiles are numpy.quantile(method="linear")
# of the per-trial values stored beside them (GSL's rule is numpy's
# "linear"; the two compute the interpolation in different orders, so
# they may differ in the last bits: tolerance 1e-12 of the values'
# scale).  The levels must be the coordinate's, must follow the option
# over the key, must survive merge and --resume, and files whose levels
# differ must not merge.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
toy=scenarios/toy-magnets.yaml
here=$(pwd)
. tests/cli/lib.bash
q="--progress never"

# --- the levels -----------------------------------------------------------

expect quantiles-run 0 'Results:' -- "$sf" run $toy -n 1500 --quantiles 0.25,0.75 -o "$tmp/q.h5" $q
"$py" - "$tmp/q.h5" 0.25,0.75 >"$tmp/check" 2>&1 <<'PY'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
levels = [float(x) for x in sys.argv[2].split(",")]
scen = f[f.attrs["scenario_name"].decode()]
groups = [scen[n] for n in scen]
base = next(g for g in groups if g.attrs["is_baseline"] == 1)
bad, n = [], 0
def check(name, got, x, axis=0):
    global n
    want = np.quantile(x, levels, axis=axis, method="linear")
    scale = np.nanmax(np.abs(x)) if np.isfinite(x).any() else 1.0
    ok = np.allclose(got, want, rtol=0, atol=1e-12 * max(scale, 1e-300), equal_nan=True)
    n += 1
    if not ok:
        bad.append(f"{name}: {got!r} vs numpy {want!r}")
for g in groups:
    if list(g["quantile"][()]) != levels:
        bad.append(f"{g.name}/quantile: {list(g['quantile'][()])}")
    # Every X_quantile<suffix> whose X<suffix> is per trial.
    T = len(g["trial"])
    for name in g:
        base_name, _, suffix = name.partition("_quantile")
        src = base_name + suffix
        if _ and src in g and g[src].ndim >= 1 and g[src].shape[0] == T \
                and len(g[src].dims[0]) \
                and g[src].dims[0][0].name.endswith("/trial"):
            check(f"{g.name}/{name}", g[name][()], g[src][()].astype(float))
    if g.attrs["is_baseline"] != 1:
        d = base["shortfall_cum_world"][()] - g["shortfall_cum_world"][()]
        check(f"{g.name}/avoided_quantile_world", g["avoided_quantile_world"][()], d)
    # Every _quantile variable has the quantile axis first, of the levels'
    # length.
    for name, d in g.items():
        if name.endswith("_quantile") or "_quantile_" in name:
            if d.shape[0] != len(levels):
                bad.append(f"{g.name}/{name}: shape {d.shape}")
print("\n".join(bad[:10]))
print(f"{n} quantile variables checked against numpy, {len(bad)} bad")
sys.exit(1 if bad or n < 20 else 0)
PY
ok_if quantiles-known-answer "[ \$? -eq 0 ]" || cat "$tmp/check"

# The scenario's key, and the option over it.
sed 's/^horizon_months: 48/horizon_months: 48\nquantiles: [0, 0.1, 0.9, 1]/' $toy >"$tmp/keyed.yaml"
"$sf" run "$tmp/keyed.yaml" -n 300 -o "$tmp/k.h5" $q >/dev/null 2>&1
"$sf" run "$tmp/keyed.yaml" -n 300 --quantiles 0.5 -o "$tmp/ko.h5" $q >/dev/null 2>&1
levels() { "$py" -c "import h5py; f = h5py.File('$1'); g = f[f.attrs['scenario_name'].decode()]; print(','.join('%g' % x for x in g['baseline/quantile'][()]))" 2>&1; }
ok_if quantiles-scenario-key "[ \"\$(levels $tmp/k.h5)\" = 0,0.1,0.9,1 ]" || levels "$tmp/k.h5"
ok_if quantiles-option-overrides-key "[ \"\$(levels $tmp/ko.h5)\" = 0.5 ]" || levels "$tmp/ko.h5"
# 0 and 1 are the minimum and maximum.
"$py" - "$tmp/k.h5" >"$tmp/check" 2>&1 <<'PY'
import sys
import h5py
import numpy as np
g = h5py.File(sys.argv[1])["toy-magnets/baseline"]
x, qv = g["shortfall_cum_world"][()], g["shortfall_cum_quantile_world"][()]
sys.exit(not (qv[0] == x.min() and qv[-1] == x.max()))
PY
ok_if quantiles-0-and-1-are-min-and-max "[ \$? -eq 0 ]" || cat "$tmp/check"
# Without 0.95 the summary's P95 is n/a, and says so.
expect quantiles-info-no-p95 0 "P95: n/a, the run's quantile levels \(0.5\) do not include 0.95" -- "$sf" info "$tmp/ko.h5"
expect quantiles-info-p95 0 'P95 +CVaR95' -- "$sf" info "$tmp/q.h5"

# Bad option values: one line, exit 1.
for bad in "" "0.5,,0.7" "0.5,x" "0.9,0.1" "0.5,0.5" "1.5" "-0.1" "nan" \
    "$(seq 1 33 | awk '{printf "%s%.3f", (NR > 1 ? "," : ""), $1 / 34}')"; do
  "$sf" run $toy -n 10 --quantiles "$bad" -o "$tmp/bad.h5" >"$tmp/out" 2>&1; rc=$?
  ok_if "quantiles-option-refused '${bad:0:30}'" "[ $rc -eq 1 ] && [ \$(wc -l <$tmp/out) -eq 1 ] && grep -q -- '--quantiles' $tmp/out && [ ! -e $tmp/bad.h5 ]" || cat "$tmp/out"
done

# --- merge and --resume ---------------------------------------------------

"$sf" run $toy -n 2100 --quantiles 0.1,0.5 -o "$tmp/whole.h5" $q >/dev/null 2>&1
"$sf" run $toy --trials 0:1000 --quantiles 0.1,0.5 -o "$tmp/s1.h5" $q >/dev/null 2>&1
"$sf" run $toy --trials 1000:2100 --quantiles 0.1,0.5 -o "$tmp/s2.h5" $q >/dev/null 2>&1
expect quantiles-merge 0 'Merged 2 shards' -- "$sf" merge "$tmp/m.h5" "$tmp/s2.h5" "$tmp/s1.h5"
"$py" tests/python/compare_results.py "$tmp/m.h5" "$tmp/whole.h5" >"$tmp/cmp" 2>&1
ok_if quantiles-merge-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
"$sf" run $toy --trials 1000:2100 -o "$tmp/s2d.h5" $q >/dev/null 2>&1
"$sf" merge "$tmp/md.h5" "$tmp/s1.h5" "$tmp/s2d.h5" >"$tmp/out" 2>&1; rc=$?
ok_if quantiles-merge-refuses-other-levels "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/out) -eq 1 ] && grep -q 'do not belong to one run: their quantile levels' $tmp/out && [ ! -e $tmp/md.h5 ]" || { echo "    exit $rc"; cat "$tmp/out"; }
# The merged file's history: the shards' lines, then the merge's.
"$py" -c "
import h5py, sys
h = h5py.File('$tmp/m.h5').attrs['history'].decode().split('\n')
print(h)
sys.exit(not (len(h) == 3 and '--trials 1000:2100' in h[1] and h[2].endswith('shortfall merge $tmp/m.h5 (2 shards)')))" >"$tmp/h" 2>&1
ok_if history-merge-appends "[ \$? -eq 0 ]" || cat "$tmp/h"

# --resume keeps the file's levels: an interrupted run (as in stop.sh)
# resumed without the option ends as the uninterrupted run; a different
# --quantiles is refused.
long=$tmp/long.yaml
sed 's/^horizon_months: .*/horizon_months: 600/' $toy >"$long"
"$sf" run "$long" -n 2500 --threads 1 --quantiles 0.3,0.6 -o "$tmp/long.h5" --progress always >/dev/null 2>"$tmp/long.err" &
pid=$!
for _ in $(seq 1 1200); do grep -q 'trials/s' "$tmp/long.err" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
ok_if quantiles-interrupted "[ $rc -eq 130 ]" || cat "$tmp/long.err"
expect quantiles-resume-refuses-other 1 'keeps the quantile levels .* \(0.3,0.6\)' -- "$sf" run --resume "$tmp/long.h5" --quantiles 0.5 $q
expect quantiles-resume 0 'Results:' -- "$sf" run --resume "$tmp/long.h5" --quantiles 0.3,0.6 --threads 2 $q
"$sf" run "$long" -n 2500 --threads 2 --quantiles 0.3,0.6 -o "$tmp/longw.h5" $q >/dev/null 2>&1
"$py" tests/python/compare_results.py "$tmp/long.h5" "$tmp/longw.h5" >"$tmp/cmp" 2>&1
ok_if quantiles-resume-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
"$py" -c "
import h5py, sys
h = h5py.File('$tmp/long.h5').attrs['history'].decode().split('\n')
print(h)
sys.exit(not (len(h) == 2 and '--resume' in h[1]))" >"$tmp/h" 2>&1
ok_if history-resume-appends "[ \$? -eq 0 ]" || cat "$tmp/h"

# --- batches: one set of levels --------------------------------------------

sed 's/^name: toy-magnets/name: toy-a/; s/^horizon_months: 48/horizon_months: 12\nquantiles: [0.1, 0.9]/' $toy >"$tmp/a.yaml"
sed 's/^name: toy-magnets/name: toy-b/; s/^horizon_months: 48/horizon_months: 12/' $toy >"$tmp/b.yaml"
printf 'batch: two\nscenarios: [%s, %s]\ntrials: 200\n' "$tmp/a.yaml" "$tmp/b.yaml" >"$tmp/two.yaml"
expect quantiles-batch-keys-differ 2 'variants toy-a and toy-b have different quantile levels \(0.1,0.9 and 0.05,0.5,0.9,0.95,0.99' -- "$sf" run "$tmp/two.yaml" -o "$tmp/two.h5" $q
expect quantiles-batch-part-keys-differ 2 'different quantile levels' -- "$sf" run "$tmp/two.yaml" --variant 1 --shard 0/2 -o "$tmp/two-p.h5" $q
expect quantiles-batch-option 0 'Results: .* \(2 variants\)' -- "$sf" run "$tmp/two.yaml" --quantiles 0.2,0.8 -o "$tmp/two.h5" $q
"$py" -c "
import h5py, sys
f = h5py.File('$tmp/two.h5')
got = [list(f[v][p]['quantile'][()]) for v in ('toy-a', 'toy-b') for p in f[v]]
print(got)
sys.exit(not all(g == [0.2, 0.8] for g in got))" >"$tmp/h" 2>&1
ok_if quantiles-batch-every-variant "[ \$? -eq 0 ]" || cat "$tmp/h"

# --- calendar time and provenance -------------------------------------------

sed 's/^horizon_months: 48/horizon_months: 48\nstart: "2010-03"/' $toy >"$tmp/start.yaml"
"$sf" run "$tmp/start.yaml" -n 200 -o "$tmp/st.h5" $q >/dev/null 2>&1
"$sf" run $toy -n 200 -o "$tmp/nost.h5" $q >/dev/null 2>&1
"$py" - "$tmp/st.h5" "$tmp/nost.h5" "$here/python" >"$tmp/check" 2>&1 <<'PY'
import sys
import warnings
warnings.simplefilter("ignore")
import h5py
import numpy as np
import xarray as xr
sys.path.insert(0, sys.argv[3])
import shortfall
bad = []
st, nost = sys.argv[1], sys.argv[2]
m = h5py.File(st)["toy-magnets/baseline/month"].attrs
if m["units"] != b"months since 2010-03-01" or m["calendar"] != b"360_day":
    bad.append(f"month attributes {dict(m)}")
for eng in ("netcdf4", "h5netcdf"):
    ds = xr.open_dataset(st, group="toy-magnets/stockpile", engine=eng)
    t0, t13 = ds.month.values[0], ds.month.values[13]
    if (t0.year, t0.month, t0.day) != (2010, 3, 1) or (t13.year, t13.month) != (2011, 4):
        bad.append(f"{eng}: month 0 {t0!r}, month 13 {t13!r}")
    # A policy group alone carries the provenance.
    for key in ("Conventions", "title", "history", "seed", "scenario_name",
                "scenario_text", "created", "command_line", "git_commit",
                "version", "start", "description", "policy"):
        if key not in ds.attrs:
            bad.append(f"{eng}: no attribute {key} on the policy group")
    if ds.attrs.get("title") != "shortfall: toy-magnets, policy mix stockpile":
        bad.append(f"title {ds.attrs.get('title')!r}")
ds = shortfall.open(st)
if ds.month.values[0] != 0 or ds.date.values[0] != np.datetime64("2010-03-01") \
        or ds.date.values[-1] != np.datetime64("2014-02-01") or ds.date.dims != ("month",):
    bad.append(f"shortfall.open: month {ds.month.values[:2]}, date {ds.date.values[:2]}")
root = h5py.File(st).attrs
if root["Conventions"] != b"CF-1.8" or root["title"] != b"shortfall: toy-magnets":
    bad.append(f"root {root['Conventions']!r} {root['title']!r}")
h = root["history"].decode()
if "\n" in h or not h.endswith("shortfall run " + st.replace(".h5", ".yaml").replace("/st.yaml", "/start.yaml") + " -n 200 -o " + st + " --progress never") \
        or not h.startswith(root["created"].decode() + " shortfall " + root["version"].decode() + ": "):
    bad.append(f"history {h!r}")
# Without start: month as before, no date.
m = h5py.File(nost)["toy-magnets/baseline/month"].attrs
if m["units"] != b"months" or "calendar" in m:
    bad.append(f"no start: month attributes {dict(m)}")
ds = xr.open_dataset(nost, group="toy-magnets/baseline")
if ds.month.dtype.kind != "i" or "date" in shortfall.open(nost).coords:
    bad.append("no start: month decoded or a date coordinate")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
ok_if calendar-and-provenance "[ \$? -eq 0 ]" || cat "$tmp/check"

#!/usr/bin/env bash
# CLI tests of `shortfall info` on every kind of file shortfall writes — a
# single run, a --no-trials file, shards merged, a batch, a batch part, an
# interrupted run — in each of its formats (table, csv, json), checked
# against the file's datasets read with h5py (tests/python/check_summary.py);
# and `run --summary csv|json`, which writes the same next to the results.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
toy=scenarios/toy-magnets.yaml
q="--progress never"
units="hazard_per_year=1/year;capacity=t REO/year"

# One file of each kind.
"$sf" run $toy -n 3000 -o "$tmp/single.h5" $q >/dev/null
"$sf" run $toy -n 2000 --no-trials -o "$tmp/lean.h5" $q >/dev/null
"$sf" run $toy -n 3000 --shard 0/2 -o "$tmp/s0.h5" $q >/dev/null
"$sf" run $toy -n 3000 --shard 1/2 -o "$tmp/s1.h5" $q >/dev/null
"$sf" merge "$tmp/merged.h5" "$tmp/s0.h5" "$tmp/s1.h5" >/dev/null
cat >"$tmp/sweep.yaml" <<YAML
batch: toy-mine
scenarios: [$PWD/$toy]
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: [0.2, 0.8]
  - path: nodes[us_mine].capacity
    values: [200, 1500]
trials: 1200
YAML
"$sf" run "$tmp/sweep.yaml" -o "$tmp/batch.h5" $q >/dev/null
"$sf" run "$tmp/sweep.yaml" --variant 3 --trials 100:900 -o "$tmp/part.h5" $q >/dev/null
# Two scenarios in one batch: shortfalls in different units (a unit
# column), one swept key with a unit per scenario.  In toy-magnets-0 the
# stockpile avoids the same amount in every trial: a standard error of
# rounding noise, shown as 0.
cat >"$tmp/multi.yaml" <<YAML
batch: two
scenarios: [$PWD/$toy, $PWD/scenarios/gallium.yaml]
sweeps:
  - path: nodes[0].capacity
    values: [100, 2000]
trials: 300
YAML
"$sf" run "$tmp/multi.yaml" -o "$tmp/multi.h5" $q >/dev/null
# An interrupted run, deterministically: 600 trials of a file that claims 1000.
"$sf" run $toy -n 600 -o "$tmp/inc.h5" $q >/dev/null
"$py" tests/python/hostile.py setattr "$tmp/inc.h5" complete 0 trials 1000
# Big numbers: the default scenario's shortfalls run to tens of thousands.
"$sf" run scenarios/ree-magnets.yaml -n 300 -o "$tmp/ree.h5" $q >/dev/null

for kind in single lean merged batch part multi inc ree; do
  for fmt in table csv json; do
    out=$tmp/$kind.$fmt
    # The table is the default format (and --format table says so).
    if [ "$fmt" = table ]; then set --; else set -- --format $fmt; fi
    "$sf" info "$tmp/$kind.h5" "$@" >"$out" 2>"$tmp/err"; rc=$?
    ok_if "info-$kind-$fmt-exit-0" "[ $rc -eq 0 ]" || sed 's/^/    /' "$tmp/err"
    if [ "$fmt" = table ]; then sed -i '1d' "$out"; fi # the "FILE (shortfall V)" line
    u=$units; [ $kind = multi ] && u=""
    "$py" tests/python/check_summary.py "$tmp/$kind.h5" $fmt "$out" "info-$kind-$fmt" "$u"
  done
done
ok_if info-format-table-is-the-default "cmp -s <(\"$sf\" info --format table $tmp/single.h5) <(\"$sf\" info $tmp/single.h5)"
ok_if info-format-equals-sign "cmp -s <(\"$sf\" info --format=csv $tmp/single.h5) $tmp/single.csv"
expect info-incomplete-table 0 'INCOMPLETE: 600 of 1000 trials' -- "$sf" info "$tmp/inc.h5"
ok_if info-incomplete-json "grep -q '\"complete\": false' $tmp/inc.json"
expect info-part-trials 0 'toy-magnets-3: 800 trials \(100\.\.899 of 1200\)' -- "$sf" info "$tmp/part.h5"
expect info-batch-legend 0 'capacity = nodes\[us_mine\]\.capacity \(t REO/year\)' -- "$sf" info "$tmp/batch.h5"
expect info-units-by-variant 0 'capacity = nodes\[0\]\.capacity \(units by variant\)' -- "$sf" info "$tmp/multi.h5"
ok_if info-unit-in-each-cell "grep -qE '^toy-magnets-1 +2,000 t REO/year +baseline +CN +t ' $tmp/multi.table && grep -qE '^gallium-0 +100 t Ga low-purity/year +baseline +CN +t Ga high-purity ' $tmp/multi.table"
ok_if info-units-csv "grep -q '^toy-magnets-1,2000,t REO/year,toy-magnets,' $tmp/multi.csv && grep -q '^gallium-1,2000,t Ga low-purity/year,gallium,' $tmp/multi.csv"
expect info-noise-is-zero 0 '^ +US +t +[0-9.,]+ ± [0-9.]+ .* 125 ± 0 ' -- "$sf" info "$tmp/multi.h5"
expect info-thousands 0 ' [0-9]{1,3},[0-9]{3} ± ' -- "$sf" info "$tmp/ree.h5"
expect info-bad-format 1 "--format is table, csv or json, got 'xml'" -- "$sf" info "$tmp/single.h5" --format xml
expect info-format-missing 1 "--format is table, csv or json" -- "$sf" info "$tmp/single.h5" --format

# Quotes, commas, a backslash and UTF-8 in the scenario's name and unit:
# quoted in CSV, escaped in JSON.
sed -e 's/^name: toy-magnets/name: "toy \\"quoted\\", back\\\\slash ü"/' \
    -e 's/{id: magnet, unit: t,/{id: magnet, unit: "t, \\"net\\"",/' $toy >"$tmp/odd.yaml"
"$sf" run "$tmp/odd.yaml" -n 300 -o "$tmp/odd.h5" $q >/dev/null
for fmt in csv json; do
  "$sf" info "$tmp/odd.h5" --format $fmt >"$tmp/odd.$fmt"
  "$py" tests/python/check_summary.py "$tmp/odd.h5" $fmt "$tmp/odd.$fmt" "info-odd-names-$fmt"
done
ok_if info-odd-names-kept "grep -qF '\"toy \"\"quoted\"\", back\\slash ü\"' $tmp/odd.csv"

# run --summary: the same as info --format, next to the results file.
expect summary-csv 0 "Summary: $tmp/r\.summary\.csv" -- "$sf" run $toy -n 1500 -o "$tmp/r.h5" --summary csv $q
ok_if summary-csv-equals-info "cmp -s $tmp/r.summary.csv <(\"$sf\" info $tmp/r.h5 --format csv)"
"$py" tests/python/check_summary.py "$tmp/r.h5" csv "$tmp/r.summary.csv" summary-run-csv
expect summary-json 0 "Summary: $tmp/r2\.summary\.json" -- "$sf" run $toy -n 1500 -o "$tmp/r2.h5" --summary=json $q
"$py" tests/python/check_summary.py "$tmp/r2.h5" json "$tmp/r2.summary.json" summary-run-json
ok_if summary-json-equals-info "cmp -s $tmp/r2.summary.json <(\"$sf\" info $tmp/r2.h5 --format json)"
expect summary-batch 0 "Summary: $tmp/b\.summary\.json" -- "$sf" run "$tmp/sweep.yaml" -o "$tmp/b.h5" --summary json $q
"$py" tests/python/check_summary.py "$tmp/b.h5" json "$tmp/b.summary.json" summary-batch-json "$units"
expect summary-part 0 "Summary: $tmp/p\.summary\.csv" -- "$sf" run "$tmp/sweep.yaml" --variant 1 --trials 0:500 -o "$tmp/p.h5" --summary csv $q
"$py" tests/python/check_summary.py "$tmp/p.h5" csv "$tmp/p.summary.csv" summary-part-csv "$units"
# Without .h5, the suffix is added to the whole name.
"$sf" run $toy -n 200 -o "$tmp/plain" --summary csv $q >/dev/null
ok_if summary-name-without-h5 "[ -s $tmp/plain.summary.csv ]"
# An existing summary is not replaced without --force, and nothing runs.
touch "$tmp/t.summary.csv"
expect summary-exists 3 "$tmp/t\.summary\.csv already exists; use --force" -- "$sf" run $toy -n 200 -o "$tmp/t.h5" --summary csv $q
ok_if summary-exists-no-results "[ ! -e $tmp/t.h5 ] && [ ! -s $tmp/t.summary.csv ]"
expect summary-force 0 "Summary: $tmp/t\.summary\.csv" -- "$sf" run $toy -n 200 -o "$tmp/t.h5" --summary csv --force $q
ok_if summary-force-replaced "[ -s $tmp/t.summary.csv ]"
ok_if summary-no-temp-left "[ -z \"\$(ls -A $tmp | grep '^\\.')\" ]"
expect summary-bad 1 "--summary is csv or json, got 'table'" -- "$sf" run $toy -n 200 -o "$tmp/u.h5" --summary table
# --resume finishes the run and its summary (replaced, as the file is).
cp "$tmp/inc.h5" "$tmp/res.h5"
"$sf" info "$tmp/res.h5" --format json >"$tmp/res.summary.json"
expect summary-resume 0 "Summary: $tmp/res\.summary\.json" -- "$sf" run --resume "$tmp/res.h5" --summary json $q
ok_if summary-resume-complete "grep -q '\"complete\": true' $tmp/res.summary.json"
"$py" tests/python/check_summary.py "$tmp/res.h5" json "$tmp/res.summary.json" summary-resume-json
# A summary that cannot be written: exit 3, the results file stays.
# (its name is taken by a directory)
mkdir -p "$tmp/x.summary.csv/d"
expect summary-unwritable 3 "cannot write $tmp/x\.summary\.csv" -- "$sf" run $toy -n 200 -o "$tmp/x.h5" --summary csv --force $q
ok_if summary-unwritable-results-kept "[ -s $tmp/x.h5 ] && [ -z \"\$(ls -A $tmp | grep '^\\.')\" ]"

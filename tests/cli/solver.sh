#!/usr/bin/env bash
# solver.sh — the market solver's record (docs/output.md): root attributes
# of every results file, the same in `info` and the run's summary, and the
# convergence the model promises (residual <= 1e-9) on shipped scenarios.
# That the counts do not depend on threads, shards, ranks or a resume is
# checked wherever tests/python/compare_results.py compares such files
# (it compares the solver_* attributes).
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash

for s in toy-magnets ree-magnets gallium; do
  "$sf" run "scenarios/$s.yaml" -n 200 --threads 2 -o "$tmp/$s.h5" \
    --progress never >"$tmp/$s.run" 2>&1
  ok_if "solver-$s-run" "[ $? -eq 0 ]" || cat "$tmp/$s.run"
  expect "solver-$s-summary-line" 0 \
    '^Market solver: [0-9]+ commodity-months cleared, [0-9.]+ Newton iterations each on average, at most [0-9]+; largest relative excess demand left [0-9.]+( × 10\^-?[0-9]+)?$' \
    -- grep '^Market solver:' "$tmp/$s.run"
  # info prints the same line from the file.
  "$sf" info "$tmp/$s.h5" >"$tmp/$s.info" 2>&1
  ok_if "solver-$s-info-same-line" \
    "[ -n \"\$(grep '^Market solver:' $tmp/$s.run)\" ] && [ \"\$(grep '^Market solver:' $tmp/$s.run)\" = \"\$(grep '^Market solver:' $tmp/$s.info)\" ]" \
    || { grep '^Market solver' "$tmp/$s.run" "$tmp/$s.info"; }
  # The attributes: every commodity-month of every trial and mix counted;
  # at least one iteration somewhere; the residual within the model's
  # tolerance; JSON says the same.
  "$sf" info "$tmp/$s.h5" --format json >"$tmp/$s.json" 2>&1
  "$py" - "$tmp/$s.h5" "$tmp/$s.json" "scenarios/$s.yaml" <<'PY' >"$tmp/$s.chk" 2>&1
import json, sys
import h5py, yaml
h5, js, scen = sys.argv[1:4]
f = h5py.File(h5, "r")
a = f.attrs
sc = yaml.safe_load(open(scen))
mixes = len(sc.get("policies", [])) or 1
want = a["trials_done"] * mixes * a["horizon_months"] * len(sc["commodities"])
assert a["solver_solves"] == want, (a["solver_solves"], want)
assert 0 < a["solver_iterations"], a["solver_iterations"]
assert 1 <= a["solver_max_iterations"] <= 60, a["solver_max_iterations"]
assert 0 <= a["solver_max_residual"] <= 1e-9, a["solver_max_residual"]
run = json.load(open(js))["runs"][0]
for k in ("solver_solves", "solver_iterations", "solver_max_iterations",
          "solver_max_residual"):
    assert run[k] == a[k].item(), (k, run[k], a[k])
print("checked")
PY
  ok_if "solver-$s-attributes" "grep -q '^checked' $tmp/$s.chk" || cat "$tmp/$s.chk"
done

# Threads, shards and a resume give the same counts (and the same file).
"$sf" run scenarios/ree-magnets.yaml -n 300 --threads 1 -o "$tmp/t1.h5" --progress never >"$tmp/t1.run" 2>&1
"$sf" run scenarios/ree-magnets.yaml -n 300 --threads 2 -o "$tmp/t2.h5" --progress never >"$tmp/t2.run" 2>&1
# The run's per-commodity lines (reuse, Newton iterations per solve): one
# per commodity of ree-magnets, the same for 1 and 2 threads.
grep 'of months reused' "$tmp/t1.run" >"$tmp/t1.pc"
grep 'of months reused' "$tmp/t2.run" >"$tmp/t2.pc"
expect "solver-per-commodity-lines" 0 \
  '^  (concentrate|oxide|magnet): [0-9.]+ % of months reused, [0-9.]+ Newton iterations per solve$' \
  -- cat "$tmp/t1.pc"
ok_if "solver-per-commodity-three" "[ \$(wc -l <$tmp/t1.pc) -eq 3 ]" || cat "$tmp/t1.pc"
ok_if "solver-per-commodity-threads" "cmp -s $tmp/t1.pc $tmp/t2.pc" \
  || diff "$tmp/t1.pc" "$tmp/t2.pc"
"$sf" run scenarios/ree-magnets.yaml --trials 0:100 -o "$tmp/a.h5" --progress never >/dev/null 2>&1
"$sf" run scenarios/ree-magnets.yaml --trials 100:300 -o "$tmp/b.h5" --progress never >/dev/null 2>&1
"$sf" merge "$tmp/m.h5" "$tmp/a.h5" "$tmp/b.h5" >/dev/null 2>&1
for x in t2 m; do
  "$py" tests/python/compare_results.py "$tmp/t1.h5" "$tmp/$x.h5" >"$tmp/cmp-$x" 2>&1
  ok_if "solver-same-counts-t1-$x" "[ $? -eq 0 ]" || tail -5 "$tmp/cmp-$x"
done

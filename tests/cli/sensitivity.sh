#!/usr/bin/env bash
# tools/sensitivity and shortfall.sobol_indices / shortfall.tail_drivers
# (docs/sensitivity.md): the estimators on synthetic data
# (tests/python/test_sensitivity.py: Ishigami, a linear model, crafted
# frames), then on files shortfall wrote:
#   - the tail table of a toy run: cn_controls' months active rank first
#     for the baseline's world shortfall, the numbers recomputed with h5py;
#   - the tail table of a batch lists the swept hazard as a driver;
#   - a Saltelli design run as a zip batch (hazard, which matters, and a
#     stockpile's size, which cannot change the baseline) and marked as a
#     Sobol design with h5py: the hazard dominates, the stockpile's indices
#     are exactly 0 for the baseline and not for the stockpile mix;
#   - the same with the binary's own `combine: sobol`;
#   - errors: no Sobol design with --only sobol, a missing file, usage.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
toy=scenarios/toy-magnets.yaml
q="--progress never --threads 1"
here=$(pwd)
sens=tools/sensitivity

"$py" tests/python/test_sensitivity.py

# --- the tail table of a run -------------------------------------------
expect sens-run 0 'Results:' -- "$sf" run $toy -n 400 -o "$tmp/toy.h5" $q
expect sens-tail-text 0 '^months_active\[cn_controls\] +months' -- \
  "$sens" "$tmp/toy.h5" --output shortfall_cum_world
"$sens" "$tmp/toy.h5" --output shortfall_cum_world --only tail --format csv >"$tmp/tail.csv" 2>&1
# The tail recomputed from the file with h5py and numpy alone: the 20
# trials (ceil(0.05 x 400)) with the largest shortfall_cum_world.
"$py" - "$tmp/toy.h5" "$tmp/tail.csv" >"$tmp/check.out" 2>&1 <<'PY'
import csv, math, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["toy-magnets/baseline"]
y = g["shortfall_cum_world"][()]
shocks = [s.decode() for s in g["shock"][()]]
ma = g["months_active"][()][:, shocks.index("cn_controls")].astype(float)
tail = np.argsort(-y, kind="stable")[:math.ceil(0.05 * len(y))]
d = (ma[tail].mean() - ma.mean()) / ma.std(ddof=1)
rows = list(csv.DictReader(open(sys.argv[2])))
top = rows[0]
assert top["driver"] == "months_active[cn_controls]", rows
assert abs(float(top["mean_tail"]) - ma[tail].mean()) < 1e-9, (top, ma[tail].mean())
assert abs(float(top["mean_all"]) - ma.mean()) < 1e-9, (top, ma.mean())
assert abs(float(top["d"]) - d) < 1e-9, (top, d)
# A strong driver: well past 4 standard errors of a 20-trial mean
# (4 / sqrt(20) = 0.89 sd) from the overall mean.
assert d > 4 / math.sqrt(20), d
# Constant drivers (the tariff active every month) have d = 0 and come last.
const = [i for i, r in enumerate(rows) if float(r["sd_all"]) == 0]
assert const == list(range(len(rows) - len(const), len(rows))), rows
assert "months_active[us_tariff]" in [rows[i]["driver"] for i in const], rows
assert all(float(rows[i]["d"]) == 0 for i in const), rows
print(f"d = {d:.3f}")
PY
ok_if sens-tail-cn-controls-first "grep -q '^d = ' '$tmp/check.out'" || sed 's/^/    /' "$tmp/check.out"
expect sens-tail-region 0 '"column": "shortfall_cum_region\[US\]"' -- \
  "$sens" "$tmp/toy.h5" --output shortfall_cum_region --region US --format json
expect sens-tail-choose-label 2 'choose one of shortfall_cum_region\[CN\], shortfall_cum_region\[US\]' -- \
  "$sens" "$tmp/toy.h5" --output shortfall_cum_region
expect sens-no-sobol-design 2 'not a batch with a Sobol design' -- \
  "$sens" "$tmp/toy.h5" --output shortfall_cum_world --only sobol
expect sens-missing-file 3 'not found' -- "$sens" "$tmp/nothere.h5" --output shortfall_cum_world
expect sens-usage 1 'usage' -- "$sens" "$tmp/toy.h5"
expect sens-bad-tail 1 'out of range' -- "$sens" "$tmp/toy.h5" --output shortfall_cum_world --tail 1.5
"$sf" run $toy -n 50 --no-trials -o "$tmp/notrials.h5" $q >/dev/null 2>&1
expect sens-no-trials 2 'no-trials' -- "$sens" "$tmp/notrials.h5" --output shortfall_cum_world

# --- a batch: the swept hazard is a driver ---------------------------------
expect sens-batch-run 0 'Results:' -- "$sf" run examples/batches/toy-sweep.yaml -n 100 -o "$tmp/sweep.h5" $q
"$sens" "$tmp/sweep.h5" --output shortfall_cum_world --format csv >"$tmp/sweep.csv" 2>/dev/null
ok_if sens-batch-hazard-driver \
  "awk -F, '\$1 == \"hazard_per_year\" && \$2 == \"1/year\" && \$6 > 0 {f = 1} END {exit !f}' '$tmp/sweep.csv'" ||
  sed 's/^/    /' "$tmp/sweep.csv"

# --- a Saltelli design as a zip batch, marked as Sobol with h5py -----------
# N = 16 base samples of (hazard, initial_months), uniform; variants in
# the order A, B, AB_0, AB_1 for each base sample.
"$py" - "$tmp/design.yaml" "$tmp/design.txt" "$here/$toy" <<'PY'
import sys
import numpy as np
out, roles, toy = sys.argv[1:4]
rng = np.random.default_rng(23)
n, lo, hi = 16, np.array([0.05, 1.0]), np.array([1.0, 12.0])
A = lo + (hi - lo) * rng.random((n, 2))
B = lo + (hi - lo) * rng.random((n, 2))
pts, role = [], []
for j in range(n):
    for m, i in (("A", -1), ("B", -1), ("AB", 0), ("AB", 1)):
        x = (B if m == "B" else A)[j].copy()
        if m == "AB":
            x[i] = B[j, i]
        pts.append(x)
        role.append(f"{m} {j} {i}")
pts = np.array(pts)
with open(out, "w") as f:
    f.write(f"batch: toy-design\nscenarios: [{toy}]\ncombine: zip\nsweeps:\n")
    f.write("  - path: shocks[cn_controls].hazard_per_year\n")
    f.write(f"    values: [{', '.join(f'{v:.6f}' for v in pts[:, 0])}]\n")
    f.write("  - path: policies[stockpile].interventions[0].initial_months\n")
    f.write(f"    values: [{', '.join(f'{v:.6f}' for v in pts[:, 1])}]\n")
open(roles, "w").write("\n".join(role) + "\n")
PY
expect sens-design-run 0 'Results:' -- "$sf" run "$tmp/design.yaml" -n 40 -o "$tmp/design.h5" $q
"$py" - "$tmp/design.h5" "$tmp/design.txt" <<'PY'
import sys
import h5py, numpy as np
roles = [l.split() for l in open(sys.argv[2])]
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["design"] = "sobol"
    f.attrs["design_samples"] = 16
    f["design_matrix"] = np.array([r[0] for r in roles], dtype=h5py.string_dtype())
    f["design_base"] = np.array([int(r[1]) for r in roles], dtype=np.int32)
    f["design_column"] = np.array([int(r[2]) for r in roles], dtype=np.int32)
PY
check_sobol() {   # FILE NAME: the baseline's and the stockpile mix's indices
  local file=$1 name=$2
  "$sens" "$file" --output shortfall_cum_world --only sobol --format json --bootstrap 500 \
    >"$tmp/$name.base.json" 2>&1
  "$sens" "$file" --output shortfall_cum_region --region US --policy stockpile --only sobol \
    --format json --bootstrap 500 >"$tmp/$name.stock.json" 2>&1
  "$py" - "$tmp/$name.base.json" "$tmp/$name.stock.json" >"$tmp/$name.out" 2>&1 <<'PY'
import json, sys
base = {r["parameter"]: r for r in json.load(open(sys.argv[1]))["sobol"]["rows"]}
stock = {r["parameter"]: r for r in json.load(open(sys.argv[2]))["sobol"]["rows"]}
h, s = base["hazard_per_year"], base["initial_months"]
# The stockpile cannot change the baseline (common random numbers: the
# baseline is bitwise the same whatever its size): exactly 0.
for k in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
    assert s[k] == 0, (k, s)
# The baseline's mean shortfall is a function of the hazard alone: its
# indices are 1 up to the estimators' sampling error; the interval's
# lower ends well above 0.5 say it dominates.
assert h["S1_low"] > 0.5 and h["ST_low"] > 0.5, h
# For the stockpile mix the stockpile's size matters for the US.
assert stock["initial_months"]["ST"] > 0, stock
print(f"hazard S1 {h['S1']:.3f} [{h['S1_low']:.3f}, {h['S1_high']:.3f}] "
      f"ST {h['ST']:.3f}; stockpile ST for the stockpile mix {stock['initial_months']['ST']:.4f}")
PY
  if ok_if "sens-$name-known-answer" "grep -q '^hazard S1' '$tmp/$name.out'"; then
    sed 's/^/# /' "$tmp/$name.out"
  else
    sed 's/^/    /' "$tmp/$name.out" "$tmp/$name.base.json" | head -40
  fi
}
check_sobol "$tmp/design.h5" design
# The tool's numbers from f recomputed with h5py alone (each variant's
# baseline mean over its trials) and the roles the design was made with.
"$py" - "$tmp/design.h5" "$tmp/design.txt" "$tmp/design.base.json" >"$tmp/cross.out" 2>&1 <<'PY'
import json, sys
import h5py, numpy as np
sys.path.insert(0, "python")
from shortfall.sensitivity import sobol_bootstrap
roles = [l.split() for l in open(sys.argv[2])]
f = h5py.File(sys.argv[1], "r")
names = [v.decode() for v in f["variant"][()]]
y = [f[v]["baseline"]["shortfall_cum_world"][()].mean() for v in names]
fA = np.array([y[q] for q, r in enumerate(roles) if r[0] == "A"])
fB = np.array([y[q] for q, r in enumerate(roles) if r[0] == "B"])
fAB = np.array([[y[q] for q, r in enumerate(roles) if r[0] == "AB" and r[2] == str(i)]
                for i in range(2)])
want = sobol_bootstrap(fA, fB, fAB, bootstrap=500, seed=1)
got = json.load(open(sys.argv[3]))["sobol"]["rows"]
for i, row in enumerate(got):
    for k in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
        assert abs(row[k] - want[k][i]) <= 1e-12 * max(1, abs(want[k][i])), (k, row, want)
print("same")
PY
ok_if sens-design-from-h5py "grep -q '^same' '$tmp/cross.out'" || sed 's/^/    /' "$tmp/cross.out"
expect sens-design-text 0 '^hazard_per_year +1/year' -- \
  "$sens" "$tmp/design.h5" --output shortfall_cum_world --only sobol --bootstrap 100

# --- the binary's own combine: sobol, when it has it ---------------------
cat >"$tmp/sobol.yaml" <<YAML
batch: toy-sobol
scenarios: [$here/$toy]
combine: sobol
samples: 16
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: {range: [0.05, 1.0]}
  - path: policies[stockpile].interventions[0].initial_months
    values: {range: [1, 12]}
YAML
if "$sf" run "$tmp/sobol.yaml" -n 40 -o "$tmp/sobol.h5" $q >"$tmp/sobol.log" 2>&1 &&
   "$py" -c "import h5py, sys; sys.exit(h5py.File(sys.argv[1]).attrs.get('design') not in (b'sobol', 'sobol'))" \
     "$tmp/sobol.h5" 2>/dev/null; then
  check_sobol "$tmp/sobol.h5" sobol
else
  echo "not ok sens-sobol-known-answer: the combine: sobol batch did not run ($(head -1 "$tmp/sobol.log"))"
fi

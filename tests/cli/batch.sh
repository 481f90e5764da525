#!/usr/bin/env bash
# CLI tests of batches and sweeps: every variant runs on common random
# numbers into one file, with the swept values as coordinates; each
# variant records its scenario text; shortfall rises with the hazard; bad
# batch files get one clear error.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
here=$(pwd)
cat >"$tmp/sweep.yaml" <<YAML
batch: toy-hazard
scenarios: [$here/scenarios/toy-magnets.yaml]
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: [0.1, 0.4, 1.6]
  - path: policies[stockpile].interventions[0].initial_months
    values: [3, 12]
trials: 3000
YAML
expect batch-run 0 'Results: .* \(6 variants\)' -- "$sf" run "$tmp/sweep.yaml" -o "$tmp/s.h5" --progress never
"$py" - "$tmp/s.h5" >"$tmp/check" 2>&1 <<'PY'
import sys
import h5py
import xarray as xr
path = sys.argv[1]
f = h5py.File(path, "r")
def ok(name, cond):
    print(("ok " if cond else "not ok ") + name)
root = xr.open_dataset(path)
ok("batch-coordinates", list(root.sweep_0.values) == [0.1, 0.1, 0.4, 0.4, 1.6, 1.6]
   and list(root.sweep_1.values) == [3, 12, 3, 12, 3, 12]
   and root.sweep_0.attrs["long_name"].endswith("shocks[cn_controls].hazard_per_year"))
means, ses = [], []
for v in root.variant.values:
    b = xr.open_dataset(path, group=f"{v}/baseline", engine="h5netcdf")
    means.append(float(b.shortfall_cum_mean_world)); ses.append(float(b.shortfall_cum_se_world))
text = f["toy-magnets-2"].attrs["scenario_text"].decode()
ok("batch-variant-text", "hazard_per_year: 0.40000000000000002" in text
   and "initial_months: 3" in text)
# Common random numbers: the stockpile size does not change the baseline.
ok("batch-common-random-numbers", means[0] == means[1] and means[2] == means[3])
# More hazard, more shortfall, by more than 4 standard errors.
ok("batch-shortfall-rises-with-hazard",
   all(means[i + 2] - means[i] > 4 * (ses[i] ** 2 + ses[i + 2] ** 2) ** 0.5 for i in (0, 2)))
s3 = xr.open_dataset(path, group="toy-magnets-2/stockpile", engine="netcdf4")
s12 = xr.open_dataset(path, group="toy-magnets-3/stockpile", engine="netcdf4")
ok("batch-bigger-stockpile-avoids-more",
   float(s12.avoided_mean_world) > float(s3.avoided_mean_world))
PY
grep -E '^(not )?ok ' "$tmp/check" || { echo "not ok batch-python"; cat "$tmp/check"; }
expect batch-info 0 '^toy-magnets-5 +1\.6 +12 +baseline ' -- "$sf" info "$tmp/s.h5"
cat >"$tmp/bad-path.yaml" <<YAML
batch: bad
scenarios: [$here/scenarios/toy-magnets.yaml]
sweeps:
  - path: shocks[nope].hazard_per_year
    values: [1]
YAML
expect batch-bad-path 2 'bad-path.yaml:4:11: sweeps\[0\]\.path: .shocks\[nope\]\.hazard_per_year. in .*no list item with that index, id or name' -- "$sf" run "$tmp/bad-path.yaml" -o "$tmp/x.h5"
cat >"$tmp/bad-key.yaml" <<YAML
batch: bad
scenarios: [$here/scenarios/toy-magnets.yaml]
sweep: []
YAML
expect batch-unknown-key 2 "bad-key.yaml:3:1: sweep: unknown key 'sweep'; did you mean 'sweeps'\?" -- "$sf" run "$tmp/bad-key.yaml" -o "$tmp/x.h5"
cat >"$tmp/bad-value.yaml" <<YAML
batch: bad
scenarios: [$here/scenarios/toy-magnets.yaml]
sweeps:
  - {path: "shocks[cn_controls].hazard_per_year", values: [-1]}
YAML
expect batch-invalid-variant 2 'variant toy-magnets.*hazard_per_year: must be >= 0' -- "$sf" run "$tmp/bad-value.yaml" -o "$tmp/x.h5"
expect batch-check-invalid-variant 2 'variant toy-magnets.*hazard_per_year: must be >= 0' -- "$sf" check "$tmp/bad-value.yaml"
cat >"$tmp/zip.yaml" <<YAML
batch: zip
scenarios: [$here/scenarios/toy-magnets.yaml]
combine: zip
sweeps:
  - {path: "shocks[cn_controls].hazard_per_year", values: [0.1, 0.2]}
  - {path: "seed", values: [1, 2, 3]}
YAML
expect batch-zip-lengths 2 'zip needs sweeps of equal length \(2 and 3 values\)' -- "$sf" run "$tmp/zip.yaml" -o "$tmp/x.h5"
ok_if batch-no-file-on-error "[ ! -e $tmp/x.h5 ]"
# A batch name the results file cannot hold: one error at load time, not
# an HDF5 error after the trials.
sed 's/^batch: toy-hazard/batch: sweeps\/2030/' "$tmp/sweep.yaml" >"$tmp/bad-name.yaml"
expect batch-name-slash 2 "bad-name.yaml:1:8: batch: 'sweeps/2030' cannot be the batch's name: it contains '/'" -- "$sf" check "$tmp/bad-name.yaml"
expect batch-name-slash-run 2 "cannot be the batch's name" -- "$sf" run "$tmp/bad-name.yaml" -o "$tmp/bn.h5" --progress never
ok_if batch-name-slash-no-file "[ ! -e $tmp/bn.h5 ]"

# Sampling designs (combine: lhs, sobol): the design in the file.  lhs:
# one point per stratum of each sweep (of the logarithm for log: true),
# within bounds; the same design from a second run.  sobol: N(k+2)
# variants, AB_i equal to A but in column i, which is B's; the values of
# GSL's Sobol sequence (dimensions 1 and 2: known direction numbers).
cat >"$tmp/lhs.yaml" <<YAML
batch: toy-lhs
scenarios: [$here/scenarios/toy-magnets.yaml]
combine: lhs
samples: 7
seed: 3
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: {range: [0.01, 2], log: true}
  - path: policies[stockpile].interventions[0].initial_months
    values: {range: [1, 12]}
trials: 50
YAML
expect batch-lhs-run 0 'Results: .* \(7 variants\)' -- "$sf" run "$tmp/lhs.yaml" -o "$tmp/lhs.h5" --progress never
"$sf" run "$tmp/lhs.yaml" -o "$tmp/lhs2.h5" --progress never -n 20 >/dev/null 2>&1
cat >"$tmp/sobol.yaml" <<YAML
batch: toy-sobol
scenarios: [$here/scenarios/toy-magnets.yaml]
combine: sobol
samples: 5
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: {range: [0, 1]}
trials: 50
YAML
expect batch-sobol-check 0 'batch toy-sobol: 15 variants \(1 scenario file x 15 combinations of 1 sweep, sobol of 5 samples\)' -- "$sf" check "$tmp/sobol.yaml"
expect batch-sobol-run 0 'Results: .* \(15 variants\)' -- "$sf" run "$tmp/sobol.yaml" -o "$tmp/sobol1.h5" --progress never
cat >"$tmp/sobol3.yaml" <<YAML
batch: toy-sobol3
scenarios: [$here/scenarios/toy-magnets.yaml]
combine: sobol
samples: 6
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: {range: [0.05, 0.8], log: true}
  - path: policies[stockpile].interventions[0].initial_months
    values: {range: [1, 12]}
  - path: nodes[cn_mine].capacity
    values: {range: [10, 20]}
trials: 20
YAML
expect batch-sobol3-run 0 'Results: .* \(30 variants\)' -- "$sf" run "$tmp/sobol3.yaml" -o "$tmp/sobol3.h5" --progress never
"$py" - "$tmp" >"$tmp/check-designs" 2>&1 <<'PY'
import math, sys
import h5py
import numpy as np
tmp = sys.argv[1]
def ok(name, cond):
    print(("ok " if cond else "not ok ") + name)
f = h5py.File(f"{tmp}/lhs.h5", "r")
x0, x1 = f["sweep_0"][()], f["sweep_1"][()]
ok("batch-lhs-design-attrs", f.attrs["design"].decode() == "lhs" and f.attrs["design_samples"] == 7
   and "design_matrix" not in f)
ok("batch-lhs-in-bounds", (x0 >= 0.01).all() and (x0 <= 2).all() and (x1 >= 1).all() and (x1 <= 12).all())
u0 = (np.log(x0) - math.log(0.01)) / (math.log(2) - math.log(0.01))
u1 = (x1 - 1) / 11
ok("batch-lhs-one-per-stratum", sorted(np.floor(u0 * 7).astype(int)) == list(range(7))
   and sorted(np.floor(u1 * 7).astype(int)) == list(range(7)))
a = f["sweep_0"].attrs
ok("batch-sweep-attrs", a["units"].decode() == "1/year" and a["name"].decode() == "hazard_per_year"
   and a["path"].decode() == "shocks[cn_controls].hazard_per_year"
   and a["range_lo"] == 0.01 and a["range_hi"] == 2 and a["log"] == 1
   and f["sweep_1"].attrs["units"].decode() == "months" and f["sweep_1"].attrs["log"] == 0)
g = h5py.File(f"{tmp}/lhs2.h5", "r")
ok("batch-lhs-same-design-twice", (g["sweep_0"][()] == x0).all() and (g["sweep_1"][()] == x1).all())
# Sobol, one sweep on [0, 1]: A is dimension 1, B dimension 2 of the
# sequence, from the direction numbers (Gray-code order, from (0.5, 0.5)).
s = h5py.File(f"{tmp}/sobol1.h5", "r")
m = [1]
for i in range(2, 31):
    m.append((2 * m[-1]) ^ m[-1])
v1 = [1 << (30 - i) for i in range(1, 31)]
v2 = [m[i - 1] << (30 - i) for i in range(1, 31)]
want_a, want_b = [], []
for j in range(1, 6):
    gray, xa, xb = j ^ (j >> 1), 0, 0
    for i in range(30):
        if gray >> i & 1:
            xa ^= v1[i]; xb ^= v2[i]
    want_a.append(xa / 2**30); want_b.append(xb / 2**30)
y = s["sweep_0"][()]
mat = [x.decode() for x in s["design_matrix"][()]]
ok("batch-sobol-known-values", list(y[0::3]) == want_a and list(y[2::3]) == want_b
   and list(y[1::3]) == want_b)
ok("batch-sobol-roles", mat == ["A", "AB", "B"] * 5
   and list(s["design_base"][()]) == [j for j in range(5) for _ in range(3)]
   and list(s["design_column"][()]) == [-1, 0, -1] * 5
   and s.attrs["design"].decode() == "sobol" and s.attrs["design_samples"] == 5)
# Three sweeps: N(k+2) = 30 variants; AB_i is A but column i, which is B's.
t = h5py.File(f"{tmp}/sobol3.h5", "r")
X = np.stack([t[f"sweep_{k}"][()] for k in range(3)], axis=1)
mat = [x.decode() for x in t["design_matrix"][()]]
base, col = t["design_base"][()], t["design_column"][()]
good = len(X) == 30
for j in range(6):
    A = X[(base == j) & np.array([m == "A" for m in mat])]
    B = X[(base == j) & np.array([m == "B" for m in mat])]
    good = good and len(A) == 1 and len(B) == 1
    for i in range(3):
        AB = X[(base == j) & (col == i)]
        want = A[0].copy(); want[i] = B[0][i]
        good = good and len(AB) == 1 and (AB[0] == want).all()
ok("batch-sobol-ab-rows", good)
ok("batch-sobol-dims-attached", all(t[n].attrs["DIMENSION_LIST"] is not None
                                    for n in ("design_matrix", "design_base", "design_column")))
ok("batch-sobol-units", t["sweep_2"].attrs["units"].decode() == "t REO/year" and t["sweep_2"].attrs["name"].decode() == "capacity")
PY
grep -E '^(not )?ok ' "$tmp/check-designs" || { echo "not ok batch-designs-python"; cat "$tmp/check-designs"; }

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

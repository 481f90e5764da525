#!/usr/bin/env bash
# CLI tests of the shipped scenario library: every scenario passes
# `shortfall check`, runs a few hundred trials to a file, and shows the
# ordering a reader expects, read from the HDF5 file with h5py.
set -u
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
n=300

. tests/cli/lib.bash

for s in ree-magnets cobalt gallium replay-2010 replay-cobalt-2025 replay-ree-2025 replay-gallium-2023; do
  expect "scenario-check-$s" 0 'Supply balance at month 0' -- "$sf" check "scenarios/$s.yaml"
  expect "scenario-run-$s" 0 "^$s: $n trials" -- \
    "$sf" run "scenarios/$s.yaml" -n $n -o "$tmp/$s.h5" --force --progress never
done

# Supply balance at month 0: every commodity between 1.0 and 1.3.
for s in ree-magnets cobalt gallium replay-2010 replay-cobalt-2025 replay-ree-2025 replay-gallium-2023; do
  "$sf" check "scenarios/$s.yaml" 2>&1 | sed -n '/^Supply balance/,/^$/p' |
    awk 'NR > 2 && NF == 4 { if ($4 < 1.0 || $4 > 1.3) bad = 1; k++ }
         END { exit (bad || k == 0) }' \
    && echo "ok scenario-balance-$s" || echo "not ok scenario-balance-$s"
done

"$py" - "$tmp" <<'PY'
import sys
import h5py
import numpy as np

tmp = sys.argv[1]

def report(name, cond, detail=""):
    print(("ok " if cond else "not ok ") + name + ("" if cond else f"  ({detail})"))

def group(path, scen, mix):
    return h5py.File(path, "r")[f"{scen}/{mix}"]

def sel(g, var, coord, key):
    keys = [k.decode() if isinstance(k, bytes) else k for k in g[coord][:]]
    return float(g[var][keys.index(key)])

# replay-2010: the Japanese stockpile never makes Japan worse, and helps.
g = group(f"{tmp}/replay-2010.h5", "replay-2010", "stockpile")
pw = sel(g, "avoided_p_worse", "node", "jp_demand")
am = sel(g, "avoided_mean", "node", "jp_demand")
report("replay-stockpile-never-worse", pw == 0.0, f"p_worse {pw}")
report("replay-stockpile-avoids", am > 0.0, f"avoided {am}")
b = group(f"{tmp}/replay-2010.h5", "replay-2010", "baseline")
report("replay-baseline-short", float(b["shortfall_cum_mean_world"][()]) > 0.0)

# ree-magnets: the baseline runs short; the coalition avoids some of it.
f = f"{tmp}/ree-magnets.h5"
b = group(f, "ree-magnets", "baseline")
c = group(f, "ree-magnets", "coalition")
base = float(b["shortfall_cum_mean_world"][()])
av, se = float(c["avoided_mean_world"][()]), float(c["avoided_se_world"][()])
report("ree-baseline-short", base > 0.0, f"baseline {base}")
report("ree-coalition-avoids", av - 4 * se > 0.0, f"avoided {av} se {se}")

# Tariffs on partners raise the partners' restriction months (the trigger),
# in every scenario that has the mix.
for scen in ("ree-magnets", "cobalt", "gallium"):
    f = f"{tmp}/{scen}.h5"
    b = group(f, scen, "baseline")
    t = group(f, scen, "tariff_partners")
    mb = sel(b, "months_active_mean", "shock", "partner_controls")
    mt = sel(t, "months_active_mean", "shock", "partner_controls")
    report(f"{scen}-partner-tariff-raises-restrictions", mt > mb, f"{mt} vs {mb}")
    # The coalition's deals halve the partner hazard: never more months.
    cm = sel(group(f, scen, "coalition"), "months_active_mean", "shock", "partner_controls")
    report(f"{scen}-coalition-lowers-partner-restrictions", cm <= mb, f"{cm} vs {mb}")
PY

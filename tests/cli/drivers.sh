#!/usr/bin/env bash
# The drivers of every trial (docs/output.md, "Drivers"): known answers on
# a scenario whose draws are fixed — a scheduled restriction (onset 5,
# 1 episode, severity 0.6), a shock with hazard 0 and one scheduled past
# the horizon (onset = horizon, 0 episodes, severity 0), a policy tariff
# (rate 0.25 from month 2, absent from the other mixes), a regime chain
# that alternates (12 months in each state of 24), projects that never
# complete, complete at 10 months, and take 30 (> the horizon), a demand
# node without volatility (noise factor 1); properties of a random shock
# and a volatile node; the same bits for any thread count and shards
# merged; --no-trials leaves them out; and existing outputs do not depend
# on them (the same run's months_active is consistent with them).
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
q="--progress never"

cat >"$tmp/known.yaml" <<'YAML'
name: drivers-known
description: Known answers for the drivers of every trial (tests/cli/drivers.sh).
horizon_months: 24
seed: 3
trials: 100
commodities:
  - {id: magnet, unit: t}
nodes:
  - {id: cn_mine, kind: mine, country: CN, output: magnet, capacity: 900}
  - {id: cn_demand, kind: demand, country: CN, input: magnet, demand: 600}
  - {id: us_demand, kind: demand, country: US, input: magnet, demand: 250, volatility: 0.2}
shocks:
  - id: sched
    kind: export_restriction
    exporter: CN
    commodities: [magnet]
    targets: all
    severity: 0.6
    schedule: {start_month: 5, duration_months: 7}
  - id: never
    kind: outage
    nodes: [cn_mine]
    hazard_per_year: 0
    duration_months: 3
    severity: 0.5
  - id: late
    kind: outage
    nodes: [cn_mine]
    severity: 0.5
    schedule: {start_month: 30, duration_months: 2}
  - id: often
    kind: outage
    nodes: [cn_mine]
    hazard_per_year: 3
    duration_months: {dist: lognormal, median: 2, sigma: 0.5}
    severity: {dist: beta, a: 2, b: 5}
regimes:
  states: [odd, even]
  start: odd
  transitions: {odd: [0, 1], even: [1, 0]}
policies:
  - name: baseline
  - name: build
    interventions:
      - kind: new_capacity
        node: {id: us_never, kind: mine, country: US, output: magnet, capacity: 100}
        lead_time_months: 6
        completion_probability: 0
      - kind: new_capacity
        node: {id: us_sure, kind: mine, country: US, output: magnet, capacity: 100}
        lead_time_months: 10
      - kind: new_capacity
        node: {id: us_slow, kind: mine, country: US, output: magnet, capacity: 100}
        lead_time_months: 30
  - name: tariff
    interventions:
      - {kind: tariff, id: us_tariff, importer: US, exporter: CN,
         commodities: [magnet], rate: 0.25,
         schedule: {start_month: 2, duration_months: 100}}
YAML

expect drivers-run 0 'Results:' -- "$sf" run "$tmp/known.yaml" -n 2000 --threads 2 -o "$tmp/a.h5" $q
"$py" - "$tmp/a.h5" >"$tmp/chk" 2>&1 <<'PY'
import sys
import h5py
import numpy as np

f = h5py.File(sys.argv[1], "r")
H = int(f.attrs["horizon_months"])
run = f["drivers-known"]
bad = []


def check(name, cond):
    print(("ok " if cond else "not ok ") + name)
    if not cond:
        bad.append(name)


def labels(g, coord):
    return [x.decode() for x in g[coord][:]]


for mix in ("baseline", "build", "tariff"):
    g = run[mix]
    sh = labels(g, "shock")
    on, ep = g["shock_onset_month"][:], g["shock_episodes"][:]
    sev, act = g["shock_severity_mean"][:], g["months_active"][:]
    k = sh.index
    check(f"{mix}-types", on.dtype == np.int32 and ep.dtype == np.int32
          and sev.dtype == np.float64 and g["regime_months"].dtype == np.int32)
    check(f"{mix}-scheduled", (on[:, k("sched")] == 5).all()
          and (ep[:, k("sched")] == 1).all() and (sev[:, k("sched")] == 0.6).all())
    for s in ("never", "late"):
        check(f"{mix}-{s}-censored", (on[:, k(s)] == H).all()
              and (ep[:, k(s)] == 0).all() and (sev[:, k(s)] == 0).all())
    t = k("us_tariff")
    if mix == "tariff":
        check(f"{mix}-policy-tariff", (on[:, t] == 2).all()
              and (ep[:, t] == 1).all() and (sev[:, t] == 0.25).all())
    else:
        check(f"{mix}-policy-tariff-off", (on[:, t] == H).all()
              and (ep[:, t] == 0).all() and (sev[:, t] == 0).all())
    # A random shock: active iff it has an onset and an episode; its first
    # active month leaves room for its active months; each episode has at
    # least one month; its beta severity lies in (0, 1).
    o = k("often")
    a = act[:, o] > 0
    check(f"{mix}-random-shock-consistent",
          ((on[:, o] < H) == a).all() and ((ep[:, o] > 0) == a).all()
          and (on[:, o] + act[:, o] <= H).all() and (ep[:, o] <= act[:, o]).all()
          and ((sev[:, o] > 0) & (sev[:, o] < 1))[a].all()
          and (sev[:, o][~a] == 0).all() and 0.2 < a.mean() < 1)
    check(f"{mix}-regimes", labels(g, "regime_state") == ["odd", "even"]
          and (g["regime_months"][:] == 12).all())
    nd = labels(g, "node")
    x = g["demand_noise_mean"][:]
    check(f"{mix}-noise-fixed", (x[:, nd.index("cn_demand")] == 1.0).all())
    # The factor's mean is 1 (exp(s z - s^2/2)): the mean over trials lies
    # within 4 standard errors of it.
    v = x[:, nd.index("us_demand")]
    se = v.std(ddof=1) / np.sqrt(len(v))
    check(f"{mix}-noise-mean-one", abs(v.mean() - 1) < 4 * se and v.std() > 0)
    check(f"{mix}-projects", ("project" in g) == (mix == "build")
          and ("project_lead_months" in g) == (mix == "build"))

g = run["build"]
check("build-project-names", labels(g, "project") == ["us_never", "us_sure", "us_slow"])
check("build-lead-times", (g["project_lead_months"][:] == [6, 10, 30]).all())
check("build-completed", g["project_completed"].dtype == np.int32
      and (g["project_completed"][:] == [0, 1, 0]).all())
# The drawn history is the mix's: every mix here shares the baseline's.
b = run["baseline"]
check("mixes-share-draws", all(
    (run[m][v][:, :4] == b[v][:, :4]).all()
    for m in ("build", "tariff")
    for v in ("shock_onset_month", "shock_episodes", "shock_severity_mean")))
check("attributes", b["shock_onset_month"].attrs["units"] in (b"months", "months")
      and b["demand_noise_mean"].attrs["units"] in (b"1", "1"))
sys.exit(bool(bad))
PY
ok_if drivers-known-answers "! grep -q '^not ok' $tmp/chk && grep -q '^ok build-completed' $tmp/chk" || grep -v '^ok' "$tmp/chk"

same() { "$py" tests/python/compare_results.py "$1" "$2" >"$tmp/cmp" 2>&1; grep -q ' 0 differences' "$tmp/cmp"; }
"$sf" run "$tmp/known.yaml" -n 2000 --threads 1 -o "$tmp/t1.h5" $q >/dev/null 2>&1
ok_if drivers-threads-identical "same $tmp/t1.h5 $tmp/a.h5" || cat "$tmp/cmp"
"$sf" run "$tmp/known.yaml" --trials 0:700 -o "$tmp/s0.h5" $q >/dev/null 2>&1
"$sf" run "$tmp/known.yaml" --trials 700:2000 --threads 1 -o "$tmp/s1.h5" $q >/dev/null 2>&1
"$sf" merge "$tmp/m.h5" "$tmp/s1.h5" "$tmp/s0.h5" >/dev/null 2>&1
ok_if drivers-shards-identical "same $tmp/m.h5 $tmp/a.h5" || cat "$tmp/cmp"
ok_if drivers-compared "\"$py\" -c \"
import h5py, sys
g = h5py.File('$tmp/m.h5')['drivers-known/build']
sys.exit(not all(v in g for v in ('shock_onset_month', 'shock_episodes', 'shock_severity_mean',
    'regime_months', 'project_lead_months', 'project_completed', 'demand_noise_mean')))\""

"$sf" run "$tmp/known.yaml" -n 2000 --no-trials -o "$tmp/nt.h5" $q >/dev/null 2>&1
ok_if drivers-no-trials-omitted "\"$py\" -c \"
import h5py, sys
f = h5py.File('$tmp/nt.h5')
names = []
f.visit(names.append)
sys.exit(any(n.split('/')[-1] in ('shock_onset_month', 'shock_episodes', 'shock_severity_mean',
    'regime_months', 'regime_state', 'project', 'project_lead_months', 'project_completed',
    'demand_noise_mean') for n in names) or not names)\""

# A file written before the drivers were recorded (here: made so by
# deleting them) cannot be merged or resumed: a message that says why.
cp "$tmp/s0.h5" "$tmp/old.h5"
"$py" -c "
import h5py
with h5py.File('$tmp/old.h5', 'a') as f:
    for g in f['drivers-known'].values():
        for v in [k for k in g if k.startswith(('shock_onset', 'shock_epi', 'shock_sev', 'regime_months', 'project_', 'demand_noise'))]:
            del g[v]
"
expect drivers-old-file-merge 2 'written by an earlier shortfall, without the drivers' -- "$sf" merge "$tmp/m2.h5" "$tmp/old.h5" "$tmp/s1.h5"

#!/usr/bin/python3
"""numpy_known_answers.py — the known answers of docs/model.md ("Known
answers the tests check") against bench/numpy_baseline.py, for the values
the document gives and a sweep of others its closed forms cover.

    /usr/bin/python3 tests/python/numpy_known_answers.py [-v]

Each case writes a small scenario, runs the baseline with --trace (trial 0,
month by month) or --json, and compares with the closed form to 1e-6
(relative, or absolute below 1).  Every trace is also checked for
conservation: no supplier ships more than it had, no quota group's flow
exceeds its quota, nothing is negative.  Prints "ok NAME" / "not ok NAME"
lines; exit status 1 if any failed.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(ROOT, "bench", "numpy_baseline.py")
PY = "/usr/bin/python3"
TOL = 1e-6
VERBOSE = "-v" in sys.argv
failed = 0
tmp = tempfile.mkdtemp(prefix="numpy-ka-")


def run(name, text, *args):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as fh:
        fh.write(text)
    p = subprocess.run([PY, BASE, path, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"numpy_baseline.py {name}: exit {p.returncode}\n"
                           + p.stderr[-2000:])
    return json.loads(p.stdout)


def trace(name, text, *args):
    out = run(name, text, "--trace", *args)
    for pol, v in out["policies"].items():
        conservation(f"{name}-{pol}", v["months"])
    return out["policies"]


def near(got, want, tol=TOL):
    return got is not None and abs(got - want) <= tol * max(1.0, abs(want))


class Case:
    """Collects the comparisons of one test; prints one ok / not ok line."""

    def __init__(self, name):
        self.name, self.bad = name, []

    def eq(self, what, got, want, tol=TOL):
        if not near(got, want, tol):
            self.bad.append(f"{what}: got {got!r}, want {want!r}")

    def true(self, what, cond):
        if not cond:
            self.bad.append(what)

    def done(self):
        global failed
        if self.bad:
            failed += 1
            print(f"not ok {self.name}")
            for b in self.bad[:12]:
                print("    " + b)
        else:
            print(f"ok {self.name}")


def safe(name, fn, *a):
    """Runs one case; a crash of the baseline is a failure, not a stop."""
    try:
        fn(*a)
    except Exception as e:          # noqa: BLE001 — report and go on
        global failed
        failed += 1
        print(f"not ok {name} ({type(e).__name__})")
        print("    " + str(e).replace("\n", "\n    ")[:2000])


def conservation(name, months):
    c = Case(f"conservation-{name}")
    for m in months:
        t = m["month"]
        for cid, e in m["commodities"].items():
            for sid, s in e["suppliers"].items():
                c.true(f"month {t} {sid} sold {s['sold']} > available {s['available']}",
                       s["sold"] <= s["available"] * (1 + 1e-12) + 1e-12)
                c.true(f"month {t} {sid} sold {s['sold']} < 0", s["sold"] >= -1e-12)
            for lk in e["links"]:
                c.true(f"month {t} {lk['src']}->{lk['dst']} flow {lk['flow']} < 0",
                       lk["flow"] >= -1e-12)
            for q in e["quotas"]:
                if q["active"]:
                    c.true(f"month {t} {q['shock']} {cid} flow {q['flow']} > quota "
                           f"{q['quota']}", q["flow"] <= q["quota"] * (1 + 1e-12) + 1e-12)
        for did, d in m["demand"].items():
            for k in ("received", "priced_out", "rationed", "shortfall"):
                c.true(f"month {t} {did} {k} {d[k]} < 0", d[k] >= -1e-12)
            # a rationed part at most 1e-6 of the need is the solver's
            # tolerance, recorded with the priced-out part (docs/model.md)
            c.true(f"month {t} {did} rationed {d['rationed']!r} within 1e-6 of "
                   f"need {d['need']} not moved to priced out",
                   not 0 < d["rationed"] <= 1e-6 * d["need"])
            c.eq(f"month {t} {did} unmet = priced out + rationed",
                 d["priced_out"] + d["rationed"], d["unmet"])
    c.done()


# ---------------------------------------------------------------- scarcity

def scarcity(tag, s, eps, N=100.0, P=1.0, M=10.0, eps_key="node"):
    """One mine of 12 N a year, one demand node needing N, an outage of
    severity s in months 2-4."""
    el = (f", elasticity: {eps}" if eps_key == "node" else "")
    ce = (f", demand_elasticity: {eps}" if eps_key == "commodity" else "")
    text = f"""name: ka-scarcity
horizon_months: 6
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}{ce}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {12 * N}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}{el}}}
shocks:
  - {{id: out, kind: outage, nodes: [mine], severity: {s},
     schedule: {{start_month: 2, duration_months: 3}}}}
"""
    months = trace(f"scarcity-{tag}", text)["baseline"]["months"]
    c = Case(f"scarcity-{tag}")
    x = (1 - s) ** (-1 / eps)
    for m in months:
        t = m["month"]
        e, d = m["commodities"]["ore"], m["demand"]["user"]
        p = e["suppliers"]["mine"]["price"]
        if 2 <= t <= 4:
            if x <= M:
                c.eq(f"month {t} price", p, P * x)
                c.eq(f"month {t} received", d["received"], (1 - s) * N)
                c.eq(f"month {t} priced out", d["priced_out"], s * N)
                c.eq(f"month {t} rationed", d["rationed"], 0.0)
            else:
                c.eq(f"month {t} price", p, P * M)
                c.eq(f"month {t} ordered", e["buyers"]["user"]["ordered"],
                     N * M ** -eps)
                c.eq(f"month {t} received", d["received"], (1 - s) * N)
                c.eq(f"month {t} priced out", d["priced_out"], N * (1 - M ** -eps))
                c.eq(f"month {t} rationed", d["rationed"], N * M ** -eps - (1 - s) * N)
            c.eq(f"month {t} shortfall", d["shortfall"], s * N)
            c.eq(f"month {t} price index", e["price_index"], p)
        else:
            c.eq(f"month {t} price", p, P)
            c.eq(f"month {t} received", d["received"], N)
            c.eq(f"month {t} shortfall", d["shortfall"], 0.0)
    c.done()


# ---------------------------------------------------------------- surplus

def surplus(tag, k, beta=1.0, N=100.0, P=1.0, M=10.0):
    """A mine of k 12 N a year and no shock: price P k^(-1/beta) (not below
    P/M), N sold, the rest held back."""
    text = f"""name: ka-surplus
horizon_months: 3
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}, supply_elasticity: {beta}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {k * 12 * N}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
"""
    months = trace(f"surplus-{tag}", text)["baseline"]["months"]
    c = Case(f"surplus-{tag}")
    p_want = P * max(k ** (-1 / beta), 1 / M)
    for m in months:
        t = m["month"]
        s = m["commodities"]["ore"]["suppliers"]["mine"]
        c.eq(f"month {t} price", s["price"], p_want)
        c.eq(f"month {t} sold", s["sold"], N)
        c.eq(f"month {t} held back", s["unsold"], (k - 1) * N)
        c.eq(f"month {t} shortfall", m["demand"]["user"]["shortfall"], 0.0)
    c.done()


# ---------------------------------------------------------------- quotas

def two_tier(tag, s, eps=0.5, N=100.0, P=1.0, start=0, M=10.0):
    """A CN mine of 2 12 N a year, CN and US demand of 12 N each, a
    restriction CN -> all of severity s: US price (1-s)^(-1/eps), CN price
    (2-s)/2, the mine sells (2-s) N.  Past the cap ((1-s)^(-1/eps) > M)
    the US pays the cap, orders N M^(-eps), receives the quota and is
    rationed the rest; only what the quota fills counts as orders for the
    mine, so the CN price is still (2-s)/2."""
    text = f"""name: ka-two-tier
horizon_months: {start + 4}
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}, demand_elasticity: {eps}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {24 * N}}}
  - {{id: cn_user, kind: demand, country: CN, input: ore, demand: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: ctrl, kind: export_restriction, exporter: CN, commodities: all,
     targets: all, severity: {s}, schedule: {{start_month: {start}, duration_months: 4}}}}
"""
    months = trace(f"two-tier-{tag}", text)["baseline"]["months"]
    c = Case(f"two-tier-{tag}")
    capped = (1 - s) ** (-1 / eps) > M
    us_p = P * min((1 - s) ** (-1 / eps), M)
    cn_p = P * (2 - s) / 2
    for m in months:
        t = m["month"]
        e = m["commodities"]["ore"]
        us, cn = m["demand"]["us_user"], m["demand"]["cn_user"]
        if t < start:
            c.eq(f"month {t} price", e["suppliers"]["cn_mine"]["price"], P)
            c.eq(f"month {t} US received", us["received"], N)
            continue
        q = e["quotas"][0]
        c.eq(f"month {t} quota", q["quota"], (1 - s) * N)
        c.eq(f"month {t} US price paid", us["price_paid"], us_p)
        c.eq(f"month {t} US received", us["received"], (1 - s) * N)
        c.eq(f"month {t} US shortfall", us["shortfall"], s * N)
        if capped:
            c.eq(f"month {t} US ordered", e["buyers"]["us_user"]["ordered"],
                 N * M ** -eps)
            c.eq(f"month {t} US priced out", us["priced_out"], N * (1 - M ** -eps))
            c.eq(f"month {t} US rationed", us["rationed"], N * M ** -eps - (1 - s) * N)
        else:
            c.eq(f"month {t} US priced out", us["priced_out"], s * N)
            c.eq(f"month {t} US rationed", us["rationed"], 0.0)
        c.eq(f"month {t} CN price", e["suppliers"]["cn_mine"]["price"], cn_p)
        c.eq(f"month {t} CN price paid", cn["price_paid"], cn_p)
        c.eq(f"month {t} CN received", cn["received"], N)
        c.eq(f"month {t} mine sells", e["suppliers"]["cn_mine"]["sold"], (2 - s) * N)
        c.eq(f"month {t} premium", q["premium"], us_p - cn_p)
        # the index weights the two buyers' average prices by their plans
        c.eq(f"month {t} price index", e["price_index"], (us_p + cn_p) / 2)
    c.done()


def quota_history(tag, s1, s2, eps=0.5, N=100.0):
    """The two-tier market; restriction A (s1) in months 0-5, then B (s2)
    from month 6, whose quota is fixed from months -6..5: six reference
    months at N and six at (1-s1) N, so Q_B = (1-s2)(1-s1/2) N and the US
    price (Q_B/N)^(-1/eps)."""
    text = f"""name: ka-quota-history
horizon_months: 9
commodities:
  - {{id: ore, unit: t, demand_elasticity: {eps}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {24 * N}}}
  - {{id: cn_user, kind: demand, country: CN, input: ore, demand: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: first, kind: export_restriction, exporter: CN, commodities: all,
     targets: [US], severity: {s1}, schedule: {{start_month: 0, duration_months: 6}}}}
  - {{id: second, kind: export_restriction, exporter: CN, commodities: [ore],
     targets: all, severity: {s2}, schedule: {{start_month: 6, duration_months: 3}}}}
"""
    months = trace(f"quota-history-{tag}", text)["baseline"]["months"]
    c = Case(f"quota-history-{tag}")
    qb = (1 - s2) * (1 - s1 / 2) * N
    for m in months[6:]:
        t = m["month"]
        q = [q for q in m["commodities"]["ore"]["quotas"] if q["shock"] == "second"][0]
        c.eq(f"month {t} quota", q["quota"], qb)
        c.eq(f"month {t} US received", m["demand"]["us_user"]["received"], qb)
        c.eq(f"month {t} US price paid", m["demand"]["us_user"]["price_paid"],
             (qb / N) ** (-1 / eps))
    c.done()


# ---------------------------------------------------------------- tariffs

def tariff(tag, tau, sigma=3.0, N=100.0, P=1.0, w=(1.0, 1.0), key="substitution_elasticity"):
    """One US demand node, a JP and a CN mine of 12 N a year, a US tariff
    tau on CN: (p_JP/p_CN)^(sigma+1) = (w_JP/w_CN) (1+tau)^sigma,
    p_JP + p_CN = P; the US buys N p_JP/P from JP and N p_CN/P from CN and
    pays N (p_CN/P) p_CN tau of tariff a month."""
    text = f"""name: ka-tariff
horizon_months: 3
commodities:
  - {{id: ore, unit: t, price: {P}, {key}: {sigma}}}
nodes:
  - {{id: jp_mine, kind: mine, country: JP, output: ore, capacity: {12 * N}}}
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
links:
  - {{from: jp_mine, to: us_user, weight: {w[0]}}}
  - {{from: cn_mine, to: us_user, weight: {w[1]}}}
shocks:
  - {{id: duty, kind: tariff, importer: US, exporter: CN, commodities: all,
     rate: {tau}, schedule: {{start_month: 0, duration_months: 3}}}}
"""
    pol = trace(f"tariff-{tag}", text)
    months = pol["baseline"]["months"]
    c = Case(f"tariff-{tag}")
    r = ((w[0] / w[1]) * (1 + tau) ** sigma) ** (1 / (sigma + 1))
    pcn = 1 / (1 + r)
    pjp = 1 - pcn
    avg = P * (pjp * pjp + pcn * pcn * (1 + tau))
    c.true("closed form needs prices below the reference", avg < P)
    for m in months:
        t = m["month"]
        e, us = m["commodities"]["ore"], m["demand"]["us_user"]
        c.eq(f"month {t} p_CN", e["suppliers"]["cn_mine"]["price"], P * pcn)
        c.eq(f"month {t} p_JP", e["suppliers"]["jp_mine"]["price"], P * pjp)
        fl = {lk["src"]: lk["flow"] for lk in e["links"]}
        c.eq(f"month {t} from JP", fl["jp_mine"], N * pjp)
        c.eq(f"month {t} from CN", fl["cn_mine"], N * pcn)
        c.eq(f"month {t} tariff paid", us["tariff_paid"], N * pcn * P * pcn * tau)
        c.eq(f"month {t} average price paid", us["price_paid"], avg)
        c.eq(f"month {t} shortfall", us["shortfall"], 0.0)
    c.done()
    return pol


# ---------------------------------------------------------------- bans

def ban(tag, D, V, N=100.0, inv_months=0.0, max_rel=None, start=2):
    """One foreign mine, one demand node, a full ban of D months from month
    `start`; mix "stock" has a stockpile of V (and the node an inventory of
    inv_months months): shortfall exactly max(0, D N - I - V), in the last
    months of the ban (inventory released first)."""
    inv = f", inventory_months: {inv_months}" if inv_months else ""
    mr = f", max_release_months: {max_rel}" if max_rel is not None else ""
    text = f"""name: ka-ban
horizon_months: {start + D + 2}
commodities:
  - {{id: ore, unit: t}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}{inv}}}
shocks:
  - {{id: ban, kind: export_restriction, exporter: CN, commodities: all,
     targets: [US], schedule: {{start_month: {start}, duration_months: {D}}}}}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {{kind: stockpile, node: us_user, initial: {V}{mr}}}
"""
    pol = trace(f"ban-{tag}", text)
    c = Case(f"ban-{tag}")
    I = inv_months * N
    for name, stock in (("baseline", 0.0), ("stock", V)):
        months = pol[name]["months"]
        level_i, level_s, total = I, stock, 0.0
        for m in months:
            t = m["month"]
            d = m["demand"]["us_user"]
            if start <= t < start + D:
                li = min(N, level_i)
                ls = min(N - li, level_s, max_rel * N if max_rel is not None else math.inf)
                level_i, level_s = level_i - li, level_s - ls
                c.eq(f"{name} month {t} rationed", d["rationed"], N)
                c.eq(f"{name} month {t} released inventory", d["released_inventory"], li)
                c.eq(f"{name} month {t} released stockpile", d["released_stockpile"], ls)
                c.eq(f"{name} month {t} shortfall", d["shortfall"], N - li - ls)
                total += d["shortfall"]
            else:
                c.eq(f"{name} month {t} shortfall", d["shortfall"], 0.0)
                if t < start or not inv_months:
                    # (after a ban, refilling an inventory from a mine of
                    # exactly N raises the price)
                    c.eq(f"{name} month {t} price", m["commodities"]["ore"]
                         ["suppliers"]["cn_mine"]["price"], 1.0)
        if max_rel is None:
            c.eq(f"{name} total shortfall", total, max(0.0, D * N - I - stock))
    c.done()


def refill(tag, k=2.0, N=100.0):
    """Refills only after calm months: a stockpile starting empty (capacity
    3 N, refill N/2 a month) fills at N/2 a month from month 0 (month -1
    counts as calm) at price (N + N/2)/(k N) < 1; a full ban in months 8-9
    draws it down by N a month; month 10 follows a disrupted month and
    refills nothing; months 11 on refill N/2 again."""
    text = f"""name: ka-refill
horizon_months: 14
commodities:
  - {{id: ore, unit: t}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {k * 12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: ban, kind: export_restriction, exporter: CN, commodities: all,
     targets: [US], schedule: {{start_month: 8, duration_months: 2}}}}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {{kind: stockpile, node: us_user, initial: 0, capacity_months: 3,
         refill_months: 0.5}}
"""
    months = trace(f"refill-{tag}", text)["stock"]["months"]
    c = Case(f"refill-{tag}")
    level, calm_before = 0.0, True
    for m in months:
        t = m["month"]
        d = m["demand"]["us_user"]
        p = m["commodities"]["ore"]["suppliers"]["cn_mine"]["price"]
        if 8 <= t <= 9:
            rel = min(N, level)
            level -= rel
            c.eq(f"month {t} released", d["released_stockpile"], rel)
            calm_before = False
            continue
        r = min(N / 2, 3 * N - level) if calm_before else 0.0
        level += r
        c.eq(f"month {t} plan", d["plan"], N + r)
        c.eq(f"month {t} price", p, (N + r) / (k * N))
        c.eq(f"month {t} stockpile", d["stockpile"], level)
        calm_before = True
    c.done()


# ---------------------------------------------------------------- others

def no_shocks():
    """No shocks and enough capacity at every stage: zero shortfall,
    nothing priced out or rationed, in every mix."""
    text = """name: ka-calm
horizon_months: 24
commodities:
  - {id: ore, unit: t}
  - {id: metal, unit: t, price: 8}
nodes:
  - {id: mine_a, kind: mine, country: AU, output: ore, capacity: 8000}
  - {id: mine_b, kind: mine, country: CN, output: ore, capacity: 1000}
  - {id: ref_a, kind: refiner, country: CN, input: ore, output: metal, capacity: 2500, yield: 0.5}
  - {id: ref_b, kind: refiner, country: JP, input: ore, output: metal, capacity: 1000, yield: 0.8}
  - {id: user_a, kind: demand, country: US, input: metal, demand: 900, volatility: 0.1}
  - {id: user_b, kind: demand, country: EU, input: metal, demand: 600, growth: 0.03}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {kind: stockpile, node: user_a, initial_months: 1, capacity_months: 2, refill_months: 0.5}
      - {kind: recycling, node: user_b, share: 0.2, ramp_months: 6}
"""
    out = run("calm", text, "-n", "300", "--seed", "5", "--json")
    c = Case("no-shocks-zero-shortfall")
    for pol, v in out["policies"].items():
        for key in ("shortfall_cum_world", "priced_out_cum_world", "rationed_cum_world"):
            c.eq(f"{pol} {key}", v[key]["mean"], 0.0, tol=0.0)
    c.done()


def hazard(lam=1.2, d=3, T=24, n=20000):
    """One random restriction, monthly onset probability p = 1 - exp(-lam/12)
    and a fixed duration d: the expected months active from the Markov
    chain on the months left of an episode; the simulated mean within 4
    standard errors."""
    text = f"""name: ka-hazard
horizon_months: {T}
commodities:
  - {{id: ore, unit: t}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: 1200}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: 1200}}
shocks:
  - {{id: ctrl, kind: export_restriction, exporter: CN, commodities: all,
     targets: all, hazard_per_year: {lam}, duration_months: {d}, severity: 0.5}}
"""
    out = run("hazard", text, "-n", str(n), "--seed", "11", "--json")
    p = 1 - math.exp(-lam / 12)
    left = [1.0] + [0.0] * d          # probability of k months left (0: off)
    want = 0.0
    for _ in range(T):
        nxt = [0.0] * (d + 1)
        nxt[d - 1] += left[0] * p     # onset: active now, d-1 months left after
        nxt[0] += left[0] * (1 - p)
        for k in range(1, d + 1):
            nxt[k - 1] += left[k]
        want += left[0] * p + sum(left[1:])
        left = nxt
    v = out["policies"]["baseline"]["months_active"]["ctrl"]
    c = Case("hazard-months-active")
    c.true(f"mean {v['mean']:.4f} ± {v['se']:.4f}, expected {want:.4f}",
           abs(v["mean"] - want) <= 4 * v["se"])
    c.done()


def offtake_quota(tag, s, share, N=100.0):
    """The two-tier market with an offtake contract us_user <- cn_mine of
    `share` of the mine's supply (2 N): the contract ships min(2 N share,
    N, (1 - s) N) within the quota, first; the quota left for the market is
    (1 - s) N less that.  Answers under the baseline's reading of the
    document (its interpretations 1-3 and 16): the contract pays the
    mine's clearing price, no premium; the market then clears
    A' = 2 N - o against the rest of the plans, so while the quota still
    has room the US market price is (Q'/(N - o))^(-1/eps) and CN's price
    solves A' p = N + Q'; once the contract fills the quota the US link is
    closed, the rest of the US plan is rationed and CN's price is N/A'."""
    eps = 0.5
    text = f"""name: ka-offtake
horizon_months: 2
commodities:
  - {{id: ore, unit: t, demand_elasticity: {eps}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {24 * N}}}
  - {{id: cn_user, kind: demand, country: CN, input: ore, demand: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: ctrl, kind: export_restriction, exporter: CN, commodities: all,
     targets: all, severity: {s}, schedule: {{start_month: 0, duration_months: 2}}}}
policies:
  - name: baseline
  - name: contract
    interventions:
      - {{kind: offtake, buyer: us_user, supplier: cn_mine, share: {share}}}
"""
    months = trace(f"offtake-{tag}", text)["contract"]["months"]
    c = Case(f"offtake-quota-{tag}")
    Q = (1 - s) * N
    o = min(2 * N * share, N, Q)
    Ap, Qp = 2 * N - o, Q - o
    for m in months:
        t = m["month"]
        e, us = m["commodities"]["ore"], m["demand"]["us_user"]
        lk = {x["src"] + ">" + x["dst"]: x for x in e["links"]}["cn_mine>us_user"]
        c.eq(f"month {t} offtake", lk["offtake"], o)
        c.eq(f"month {t} US received", us["received"], o + Qp)
        if Qp > 1e-9:
            p_cn = (N + Qp) / Ap
            p_us = (Qp / (N - o)) ** (-1 / eps)
            c.eq(f"month {t} CN price", e["suppliers"]["cn_mine"]["price"], p_cn)
            c.eq(f"month {t} US price paid", us["price_paid"], (o * p_cn + Qp * p_us) / (o + Qp))
            c.eq(f"month {t} US priced out", us["priced_out"], N - o - Qp)
            c.eq(f"month {t} US rationed", us["rationed"], 0.0)
        else:
            p_cn = N / Ap
            c.eq(f"month {t} CN price", e["suppliers"]["cn_mine"]["price"], p_cn)
            c.eq(f"month {t} US price paid", us["price_paid"], p_cn)
            c.eq(f"month {t} US rationed", us["rationed"], N - o)
            c.eq(f"month {t} US priced out", us["priced_out"], 0.0)
    c.done()


def refill_gives_way(tag, s, eps, r=0.25, N=100.0):
    """Receipts cover the need first, so a node refilling a stock gives up
    its refill orders before its need.  A mine of 2 12 N a year; the node
    needs N and its stockpile (empty, capacity 2 N) refills r N a month at
    price (1+r)/2 in months 0-1 (and is not released below 100 P).  An outage of severity s (with
    2 (1-s) < 1) from month 2 leaves k = 2 (1-s) N: in month 2 (after a calm
    month) the node plans (1+r) N, pays ((1+r)/(2(1-s)))^(1/eps), receives
    k, all of it for the need: priced out N - k, rationed 0, the stockpile
    stays at 2 r N.  Month 3 follows a disrupted month: plan N, price
    (1/(2(1-s)))^(1/eps)."""
    text = f"""name: ka-refill-gives-way
horizon_months: 4
commodities:
  - {{id: ore, unit: t, demand_elasticity: {eps}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {24 * N}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: out, kind: outage, nodes: [mine], severity: {s},
     schedule: {{start_month: 2, duration_months: 2}}}}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {{kind: stockpile, node: user, initial: 0, capacity_months: 2,
         refill_months: {r}, release_price: 100}}
"""
    months = trace(f"refill-gives-way-{tag}", text)["stock"]["months"]
    c = Case(f"refill-gives-way-{tag}")
    k = 2 * (1 - s)
    c.true("the outage must leave less than the need", k < 1)
    for t in (0, 1):
        d = months[t]["demand"]["user"]
        c.eq(f"month {t} price", months[t]["commodities"]["ore"]["suppliers"]["mine"]
             ["price"], (1 + r) / 2)
        c.eq(f"month {t} stockpile", d["stockpile"], (t + 1) * r * N)
    for t, plan in ((2, (1 + r) * N), (3, N)):
        m = months[t]
        d = m["demand"]["user"]
        c.eq(f"month {t} plan", d["plan"], plan)
        c.eq(f"month {t} price", m["commodities"]["ore"]["suppliers"]["mine"]["price"],
             (plan / N / k) ** (1 / eps))
        c.eq(f"month {t} received", d["received"], k * N)
        c.eq(f"month {t} priced out", d["priced_out"], N - k * N)
        c.eq(f"month {t} rationed", d["rationed"], 0.0)
        c.eq(f"month {t} stockpile", d["stockpile"], 2 * r * N)
        c.eq(f"month {t} shortfall", d["shortfall"], N - k * N)
    c.done()


def no_market(N=100.0, P=2.0, M=10.0):
    """A supplier with nothing to sell in the market, or nobody who plans
    to buy from it, keeps last month's price, and an offtake contract on
    its whole output pays that price (docs/model.md, "Prices paid").
    cn_mine (24 N a year) ships its whole supply to `user` (plan N) under a
    contract of share 1 and sells the rest to `other` (plan N/2): in the
    reference month (supply 2 N) at P/2; in months 0-1 (an outage of 0.25)
    the market has N/2 for N/2 of orders, price P; in months 2-4 (an
    outage of 0.5) the contract takes all N and the price stays P, what the
    contract pays, while `other` is rationed; from month 5 P/2 again.
    jp_mine (24 N a year) sells to jp_user only, whose need recycling
    covers at t/3 of it: price P (1 - t/3)/2 for t < 3, then nobody plans
    to buy and the price stays P/6 (the floor would be P/M)."""
    text = f"""name: ka-no-market
horizon_months: 7
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {24 * N}}}
  - {{id: jp_mine, kind: mine, country: JP, output: ore, capacity: {24 * N}}}
  - {{id: user, kind: demand, country: CN, input: ore, demand: {12 * N}}}
  - {{id: other, kind: demand, country: CN, input: ore, demand: {6 * N}}}
  - {{id: jp_user, kind: demand, country: JP, input: ore, demand: {12 * N}}}
links:
  - {{from: cn_mine, to: user}}
  - {{from: cn_mine, to: other}}
  - {{from: jp_mine, to: jp_user}}
shocks:
  - {{id: dip, kind: outage, nodes: [cn_mine], severity: 0.25,
     schedule: {{start_month: 0, duration_months: 2}}}}
  - {{id: cut, kind: outage, nodes: [cn_mine], severity: 0.5,
     schedule: {{start_month: 2, duration_months: 3}}}}
policies:
  - name: baseline
  - name: contract
    interventions:
      - {{kind: offtake, buyer: user, supplier: cn_mine, share: 1}}
      - {{kind: recycling, node: jp_user, share: 1, ramp_months: 3}}
"""
    months = trace("no-market", text)["contract"]["months"]
    c = Case("no-market-keeps-price")
    for m in months:
        t = m["month"]
        e = m["commodities"]["ore"]
        us, ot = m["demand"]["user"], m["demand"]["other"]
        p = P if t <= 4 else P / 2
        c.eq(f"month {t} cn_mine price", e["suppliers"]["cn_mine"]["price"], p)
        c.eq(f"month {t} user received", us["received"], N)
        c.eq(f"month {t} user price paid", us["price_paid"], p)
        if 2 <= t <= 4:
            c.eq(f"month {t} other rationed", ot["rationed"], N / 2)
            c.eq(f"month {t} other price paid", ot["price_paid"], M * P)
        else:
            c.eq(f"month {t} other received", ot["received"], N / 2)
        c.eq(f"month {t} jp_mine price", e["suppliers"]["jp_mine"]["price"],
             P * (1 - min(t, 2) / 3) / 2)
        c.eq(f"month {t} jp_user received", m["demand"]["jp_user"]["received"],
             N * max(0.0, 1 - t / 3))
    c.done()


def no_plan(N=100.0, P=3.0):
    """A buyer that planned no purchases counts as at the reference price
    and is neither disrupted nor non-calm on that account.  us_user's need
    is all recycled; its stockpile (empty, capacity 3 N, refill N/2) refills
    at N/2 a month after calm months, at price P/2.  A ban in months 3-4:
    month 3's refill order is rationed (no need is), a price of M P with no
    receipts makes the month non-calm, so month 4 plans nothing; month 4
    is calm all the same, and refills go on from month 5 until the
    stockpile is full (month 8 plans nothing again)."""
    text = f"""name: ka-no-plan
horizon_months: 9
commodities:
  - {{id: ore, unit: t, price: {P}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: ban, kind: export_restriction, exporter: CN, commodities: all,
     targets: [US], schedule: {{start_month: 3, duration_months: 2}}}}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {{kind: recycling, node: us_user, share: 1}}
      - {{kind: stockpile, node: us_user, initial: 0, capacity_months: 3,
         refill_months: 0.5}}
"""
    months = trace("no-plan", text)["stock"]["months"]
    c = Case("no-plan-calm")
    level = 0.0
    plans = {0: N / 2, 1: N / 2, 2: N / 2, 3: N / 2, 4: 0.0, 5: N / 2, 6: N / 2,
             7: N / 2, 8: 0.0}
    for m in months:
        t = m["month"]
        d = m["demand"]["us_user"]
        c.eq(f"month {t} plan", d["plan"], plans[t])
        if t != 3:
            level += plans[t]
        c.eq(f"month {t} stockpile", d["stockpile"], level)
        c.eq(f"month {t} shortfall", d["shortfall"], 0.0)
        if plans[t] == 0:
            c.eq(f"month {t} price paid", d["price_paid"], P)
            c.eq(f"month {t} price before tariffs", d["price_pre_tariff"], P)
        elif t != 3:
            c.eq(f"month {t} price paid", d["price_paid"], P / 2)
    c.done()


ORDER_NODES = [
    "{id: au_mine, kind: mine, country: AU, output: ore, capacity: 900}",
    "{id: cn_mine, kind: mine, country: CN, output: ore, capacity: 1500, output_stock_cap: 30}",
    "{id: cn_ref, kind: refiner, country: CN, input: ore, output: metal, capacity: 1000, yield: 0.8}",
    "{id: jp_ref, kind: refiner, country: JP, input: ore, output: metal, capacity: 400, elasticity: 0.3}",
    "{id: us_ref, kind: refiner, country: US, input: ore, output: metal, capacity: 300, yield: 0.9, input_buffer_months: 2}",
    "{id: cn_user, kind: demand, country: CN, input: metal, demand: 700, growth: 0.05}",
    "{id: us_user, kind: demand, country: US, input: metal, demand: 450, inventory_months: 1}",
    "{id: eu_user, kind: demand, country: EU, input: metal, demand: 300, elasticity: 0.6}",
]
ORDER_LINKS = [
    "{from: au_mine, to: us_ref, weight: 3}",
    "{from: cn_mine, to: us_ref}",
    "{from: jp_ref, to: eu_user, weight: 2}",
    "{from: cn_ref, to: eu_user}",
    "{from: us_ref, to: eu_user, weight: 0.5}",
]
ORDER_SHOCKS = [
    "{id: ctrl, kind: export_restriction, exporter: CN, commodities: all, targets: all, severity: 0.6, schedule: {start_month: 4, duration_months: 5}}",
    "{id: us_ban, kind: export_restriction, exporter: CN, commodities: [metal], targets: [US], severity: 0.8, schedule: {start_month: 6, duration_months: 2}}",
    "{id: duty, kind: tariff, importer: [US, EU], exporter: CN, commodities: all, rate: 0.3, schedule: {start_month: 2, duration_months: 10}}",
    "{id: flood, kind: outage, nodes: [au_mine], severity: 0.7, schedule: {start_month: 5, duration_months: 3}}",
]


def order_text(rev):
    f = (lambda x: list(reversed(x))) if rev else list
    nl = "\n  - "
    return f"""name: ka-order
horizon_months: 14
commodities:
  - {{id: ore, unit: t}}
  - {{id: metal, unit: t, price: 6, substitution_elasticity: 2}}
nodes:
  - {nl.join(f(ORDER_NODES))}
links:
  - {nl.join(f(ORDER_LINKS))}
shocks:
  - {nl.join(f(ORDER_SHOCKS))}
policies:
  - name: baseline
  - name: mix
    interventions:
      - {{kind: stockpile, node: us_user, initial_months: 1, capacity_months: 2, refill_months: 0.5, release_price: 1.2}}
      - {{kind: offtake, buyer: eu_user, supplier: jp_ref, share: 0.4}}
      - {{kind: offtake, buyer: us_ref, supplier: au_mine, share: 0.3}}
"""


def flat(months):
    """Every number of a trace, keyed by path with node ids (not positions)."""
    out = {}
    for m in months:
        t = m["month"]
        for cid, e in m["commodities"].items():
            for grp in ("suppliers", "buyers"):
                for nid, d in e[grp].items():
                    for k, v in d.items():
                        out[(t, cid, grp, nid, k)] = v
            for lk in e["links"]:
                for k in ("offtake", "flow"):
                    out[(t, cid, lk["src"], lk["dst"], k)] = lk[k]
            for q in e["quotas"]:
                for k in ("quota", "flow", "premium"):
                    out[(t, cid, q["shock"], k)] = q[k]
            out[(t, cid, "index")] = e["price_index"]
        for nid, d in m["demand"].items():
            for k, v in d.items():
                out[(t, nid, k)] = v
    return out


def order():
    """The same scenario with its nodes, links and shocks listed in reverse
    order gives the same months (docs/model.md, "Solving for the prices"),
    to 1e-8."""
    a = trace("order-a", order_text(False))
    b = trace("order-b", order_text(True))
    c = Case("order-independence")
    for pol in a:
        fa, fb = flat(a[pol]["months"]), flat(b[pol]["months"])
        c.true(f"{pol}: the same quantities", fa.keys() == fb.keys())
        for k in fa.keys() & fb.keys():
            if fa[k] is None or fb[k] is None:
                c.true(f"{pol} {k}: {fa[k]} / {fb[k]}", fa[k] is fb[k])
            else:
                c.eq(f"{pol} {k}", fb[k], fa[k], tol=1e-8)
        c.true(f"{pol}: the scenario has quotas, prices and shortfall", any(
            k[-1] == "premium" and v > 0 for k, v in fa.items()) and any(
            k[-1] == "shortfall" and v > 0 for k, v in fa.items()))
    c.done()


# ------------------------------------------- exits, floors, surges, costs

def exits(tag, T=48, exit_after=None, restart=None, P=1.0, N=100.0, cost=0.8):
    """One mine of twice the need sells at P/2; with a unit cost of 0.8 P
    it closes after exit_after months (12) below it, stays closed
    restart months (24; at least 3, the months in a row above the cost
    that reopening needs) — the price it would sell at is the world
    index, the cap M P, while nothing is received — then reopens, and so on:
    shortfall N in every closed month (docs/model.md, "Known answers":
    months 12-35 over 48 months; 25 months for 5 / 10 over 40)."""
    keys = ""
    if exit_after is not None:
        keys += f", exit_after_months: {exit_after}"
    if restart is not None:
        keys += f", restart_months: {restart}"
    text = f"""name: ka-exit
horizon_months: {T}
commodities:
  - {{id: ore, unit: t, price: {P}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {24 * N},
     unit_cost: {cost * P}{keys}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
"""
    # open e months, closed r (at least 3: the months above the cost
    # that reopening needs), open e, ...
    e, r = exit_after or 12, max(3, 24 if restart is None else restart)
    closed, t = set(), 0
    while t < T:
        t += e
        closed.update(range(t, min(T, t + r)))
        t += r
    months = trace(f"exit-{tag}", text)["baseline"]["months"]
    c = Case(f"exit-{tag}")
    for m in months:
        t = m["month"]
        c.true(f"month {t} closed {m['producers']['mine']['closed']}, want {t in closed}",
               m["producers"]["mine"]["closed"] == (t in closed))
        c.eq(f"month {t} shortfall", m["demand"]["user"]["shortfall"],
             N if t in closed else 0.0)
        if t not in closed:
            c.eq(f"month {t} price", m["producers"]["mine"]["price"], P / 2)
    out = run(f"exit-{tag}", text, "-n", "2", "--json")["policies"]["baseline"]
    c.eq("closed_months", out["closed_months"]["mine"]["mean"], len(closed))
    c.eq("shortfall", out["shortfall_cum_world"]["mean"], N * len(closed))
    c.done()
    return len(closed)


def floor_one(tag, T=24, P=1.0, N=100.0, M=10.0, F=1.0):
    """The same mine with a floor F >= P: it offers all it has, stays open,
    the price falls to P/M and the state pays (F - P/M) N a month (at a
    zero discount rate: (F - P/M) N T; docs/model.md)."""
    text = f"""name: ka-floor
horizon_months: {T}
discount_rate: 0
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {24 * N},
     unit_cost: {0.8 * P}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
policies:
  - name: baseline
  - name: floor
    interventions:
      - {{kind: price_floor, node: mine, floor: {F * P}}}
"""
    months = trace(f"floor-{tag}", text)["floor"]["months"]
    c = Case(f"floor-{tag}")
    for m in months:
        t = m["month"]
        c.true(f"month {t} closed", not m["producers"]["mine"]["closed"])
        c.eq(f"month {t} price", m["producers"]["mine"]["price"], P / M)
        c.eq(f"month {t} floor payment", m["public_cost"]["price_floor"],
             (F * P - P / M) * N)
    out = run(f"floor-{tag}", text, "-n", "2", "--json")["policies"]["floor"]
    c.eq("price_floor cost", out["public_cost"]["price_floor"]["mean"],
         (F * P - P / M) * N * T)
    c.eq("total cost", out["public_cost"]["total"]["mean"], (F * P - P / M) * N * T)
    c.eq("shortfall", out["shortfall_cum_world"]["mean"], 0.0)
    c.done()


def floor_rival(tag, sigma=3.0, M=10.0, N=100.0, P=1.0, T=20, cost=0.4):
    """Two mines of the need each (equal weights), a floor of P on one:
    it offers all it has at any price, so its price falls to P/M; the
    rival's price p solves s(p) = p/P, s = p^-sigma / (p^-sigma +
    (P/M)^-sigma) its share of the orders (N s = what it offers, N p/P).
    With a unit cost of 0.4 P above p the rival closes in month 12
    (docs/model.md, "Price floors"); then the floored mine sells N."""
    text = f"""name: ka-floor-rival
horizon_months: {T}
discount_rate: 0
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M}, substitution_elasticity: {sigma}}}
nodes:
  - {{id: us_mine, kind: mine, country: US, output: ore, capacity: {12 * N}}}
  - {{id: rival, kind: mine, country: AU, output: ore, capacity: {12 * N},
     unit_cost: {cost * P}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
policies:
  - name: baseline
  - name: floor
    interventions:
      - {{kind: price_floor, node: us_mine, floor: {P}}}
"""
    lo, hi = 1 / M, 1.0               # s(p) - p falls in p
    for _ in range(200):
        x = (lo + hi) / 2
        s_ = x ** -sigma / (x ** -sigma + M ** sigma)
        lo, hi = (x, hi) if s_ > x else (lo, x)
    p = (lo + hi) / 2
    pol = trace(f"floor-rival-{tag}", text)
    c = Case(f"floor-rival-{tag}")
    c.true("the rival's price must be below its cost", p < cost)
    for m in pol["baseline"]["months"]:
        t = m["month"]
        c.eq(f"baseline month {t} price", m["producers"]["rival"]["price"], P / 2)
        c.true(f"baseline month {t} rival closed", not m["producers"]["rival"]["closed"])
    for m in pol["floor"]["months"]:
        t = m["month"]
        pr = m["producers"]
        c.eq(f"month {t} floored price", pr["us_mine"]["price"], P / M)
        c.true(f"month {t} rival closed: {pr['rival']['closed']}",
               pr["rival"]["closed"] == (t >= 12))
        sold = N * (1 - p) if t < 12 else N
        if t < 12:
            c.eq(f"month {t} rival price", pr["rival"]["price"], P * p)
            c.eq(f"month {t} rival sold", pr["rival"]["sold"], N * p)
        c.eq(f"month {t} floored mine sold", pr["us_mine"]["sold"], sold)
        c.eq(f"month {t} floor payment", m["public_cost"]["price_floor"],
             (P - P / M) * sold)
        c.eq(f"month {t} shortfall", m["demand"]["user"]["shortfall"], 0.0)
    c.done()


def surge(tag, s, N=100.0, P=1.0):
    """A surge of severity s on a mine of the need: capacity x (1 + s),
    price P/(1 + s) (s = 1 halves it, docs/model.md; model.md gives
    s >= 0 for surges, so s = 3 is a quarter)."""
    text = f"""name: ka-surge
horizon_months: 4
commodities:
  - {{id: ore, unit: t, price: {P}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {12 * N}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: flood, kind: surge, nodes: [mine], severity: {s},
     schedule: {{start_month: 1, duration_months: 2}}}}
"""
    months = trace(f"surge-{tag}", text)["baseline"]["months"]
    c = Case(f"surge-{tag}")
    for m in months:
        t = m["month"]
        on = 1 <= t <= 2
        pr = m["producers"]["mine"]
        c.eq(f"month {t} capacity factor", pr["capacity_factor"], 1 + s if on else 1.0)
        c.eq(f"month {t} price", pr["price"], P / (1 + s) if on else P)
        c.eq(f"month {t} sold", pr["sold"], N)
    c.done()


def substitution(tag, e, a, r, M=10.0, N=100.0, P=2.0, D=8, T=14):
    """Lasting substitution under a total outage of D months from month 0:
    nothing is received, the price paid is the cap, the target M^-e, and
    z_t = Tg + (1 - Tg)(1 - 1/a)^t (docs/model.md).  After the outage a
    mine of the need sells N z at the price z P (below P): the target is
    1 and z moves 1/r of the way back each month (a price of z P, or P/M
    if that is higher).  Need N z, substituted N (1 - z)."""
    text = f"""name: ka-substitution
horizon_months: {T}
commodities:
  - {{id: ore, unit: t, price: {P}, price_cap: {M},
     substitution: {{elasticity: {e}, adjust_months: {a}, revert_months: {r}}}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {12 * N}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: out, kind: outage, nodes: [mine], severity: 1,
     schedule: {{start_month: 0, duration_months: {D}}}}}
"""
    months = trace(f"substitution-{tag}", text)["baseline"]["months"]
    c = Case(f"substitution-{tag}")
    tg = M ** -e
    z, total = 1.0, 0.0
    for m in months:
        t = m["month"]
        if t >= 1:
            z = z + (tg - z) / a if t <= D else z + (1 - z) / r
        if t <= D:
            c.eq(f"month {t} closed form", z, tg + (1 - tg) * (1 - 1 / a) ** t)
        d = m["demand"]["user"]
        c.eq(f"month {t} z", d["z_substitution"], z)
        c.eq(f"month {t} need", d["need"], N * z)
        c.eq(f"month {t} substituted", d["substituted"], N * (1 - z))
        total += N * (1 - z)
        if t >= D:
            c.eq(f"month {t} price", m["producers"]["mine"]["price"], P * max(z, 1 / M))
    out = run(f"substitution-{tag}", text, "-n", "2", "--json")["policies"]["baseline"]
    c.eq("substituted_cum", out["substituted_cum_world"]["mean"], total)
    c.done()


def costs(tag, r, T=24, N=100.0, P=3.0):
    """docs/model.md, "What policies cost" (tests/test_costs.c): a
    stockpile of V never drawn nor refilled costs P V (1 - q^T) + h P V /
    12 (1 - q^T)/(1 - q), q = (1 + r)^(-1/12) (h P V T / 12 at r = 0);
    capex K over a fixed lead time L costs K/L (1 - q^L)/(1 - q), and a
    subsidy c per unit of a mine producing (t - L + 1)/ramp of its
    capacity; recycling a share s at cost c costs c s N per month,
    cutting demand by s likewise; an offtake of share k on a mine of 2 N
    a year ships 2 k N at the price (N - 2kN)/(2N - 2kN) P, and the premium
    is paid on that."""
    V, h, L, ramp, K_cap, capex, sub = 150.0, 0.05, 5, 2, 600.0, 30.0, 0.4
    s_rec, c_rec, s_red, c_red, k, prem = 0.2, 2.5, 0.1, 4.0, 0.25, 0.1
    text = f"""name: ka-costs
horizon_months: {T}
discount_rate: {r}
commodities:
  - {{id: ore, unit: t, price: {P}}}
nodes:
  - {{id: mine, kind: mine, country: AU, output: ore, capacity: {24 * N}}}
  - {{id: user, kind: demand, country: US, input: ore, demand: {12 * N}}}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {{kind: stockpile, node: user, initial: {V}, holding_cost: {h}}}
  - name: build
    interventions:
      - kind: new_capacity
        node: {{id: new_mine, kind: mine, country: US, output: ore, capacity: {K_cap}}}
        lead_time_months: {L}
        ramp_months: {ramp}
        capex: {capex}
        subsidy_per_unit: {sub}
  - name: recycle
    interventions:
      - {{kind: recycling, node: user, share: {s_rec}, cost_per_unit: {c_rec}}}
  - name: reduce
    interventions:
      - {{kind: demand_reduction, node: user, share: {s_red}, cost_per_unit: {c_red}}}
  - name: offtake
    interventions:
      - {{kind: offtake, buyer: user, supplier: mine, share: {k}, premium: {prem}}}
"""
    out = run(f"costs-{tag}", text, "-n", "2", "--json")["policies"]
    q = (1 + r) ** (-1 / 12)
    geo = lambda n: n if q == 1 else (1 - q ** n) / (1 - q)
    want = dict(
        stock=("stockpile", P * V * (1 - q ** T) + h * P * V / 12 * geo(T)),
        build=("new_capacity", capex * K_cap / L * geo(L) + sum(
            q ** t * sub * K_cap / 12 * min(1.0, max(0.0, (t - L + 1) / ramp))
            for t in range(T))),
        recycle=("recycling", c_rec * s_rec * N * geo(T)),
        reduce=("demand_reduction", c_red * s_red * N * geo(T)),
        offtake=("offtake", prem * P * (N - 2 * k * N) / (2 * N - 2 * k * N)
                 * 2 * k * N * geo(T)))
    c = Case(f"costs-{tag}")
    for pol, (kind, v) in want.items():
        c.eq(f"{pol} {kind}", out[pol]["public_cost"][kind]["mean"], v)
        c.eq(f"{pol} total", out[pol]["public_cost"]["total"]["mean"], v)
    c.eq("baseline total", out["baseline"]["public_cost"]["total"]["mean"], 0.0)
    c.done()


def cost_ban(tag, D=4, k=2, start=3, h=0.1, P=2.0, N=100.0, T=10):
    """A ban of D months with a stockpile of k N (k <= D, no refills) at a
    zero discount rate: the stockpile costs P k N plus holding h P / 12 on
    its end-of-month levels (k N before the ban, then k N - i N) and is
    empty at the end; it avoids k N of shortfall, so the cost per unit
    avoided is the cost / (k N), with standard error 0."""
    text = f"""name: ka-cost-ban
horizon_months: {T}
discount_rate: 0
commodities:
  - {{id: ore, unit: t, price: {P}}}
nodes:
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: ban, kind: export_restriction, exporter: CN, commodities: all,
     targets: [US], schedule: {{start_month: {start}, duration_months: {D}}}}}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {{kind: stockpile, node: us_user, initial: {k * N}, holding_cost: {h}}}
"""
    out = run(f"cost-ban-{tag}", text, "-n", "3", "--json")["policies"]["stock"]
    V = k * N
    cost = P * V + h * P / 12 * (start * V + N * k * (k - 1) / 2)
    c = Case(f"cost-ban-{tag}")
    c.eq("stockpile cost", out["public_cost"]["stockpile"]["mean"], cost)
    c.eq("cost per unit avoided", out["cost_per_avoided"]["mean"], cost / V)
    c.eq("its standard error", out["cost_per_avoided"]["se"], 0.0)
    c.done()


def cost_nothing_avoided():
    """A mix that avoids no shortfall (a stockpile in a calm market) has
    no cost per unit avoided: NaN (docs/model.md)."""
    text = """name: ka-cost-nan
horizon_months: 6
commodities:
  - {id: ore, unit: t}
nodes:
  - {id: mine, kind: mine, country: AU, output: ore, capacity: 2400}
  - {id: user, kind: demand, country: US, input: ore, demand: 1200}
policies:
  - name: baseline
  - name: stock
    interventions:
      - {kind: stockpile, node: user, initial: 50}
"""
    out = run("cost-nan", text, "-n", "3", "--json")["policies"]["stock"]
    c = Case("cost-per-avoided-nan")
    c.true(f"cost per unit avoided {out['cost_per_avoided']['mean']} is NaN",
           math.isnan(out["cost_per_avoided"]["mean"]))
    c.true("the stockpile costs something", out["public_cost"]["total"]["mean"] > 0)
    c.done()


def tariff_revenue(tau=0.25, r=0.04, T=6, N=100.0):
    """The tariff diversion market (one US node, a JP and a CN mine):
    the US state collects what US buyers pay, N p_CN^2 tau a month,
    discounted; nothing for JP or CN (no demand node there)."""
    text = f"""name: ka-revenue
horizon_months: {T}
discount_rate: {r}
commodities:
  - {{id: ore, unit: t}}
nodes:
  - {{id: jp_mine, kind: mine, country: JP, output: ore, capacity: {12 * N}}}
  - {{id: cn_mine, kind: mine, country: CN, output: ore, capacity: {12 * N}}}
  - {{id: us_user, kind: demand, country: US, input: ore, demand: {12 * N}}}
shocks:
  - {{id: duty, kind: tariff, importer: US, exporter: CN, commodities: all,
     rate: {tau}, schedule: {{start_month: 0, duration_months: {T}}}}}
"""
    out = run("revenue", text, "-n", "2", "--json")["policies"]["baseline"]
    rr = (1 + tau) ** (3 / 4)
    pcn = 1 / (1 + rr)
    q = (1 + r) ** (-1 / 12)
    c = Case("tariff-revenue")
    c.eq("US revenue", out["tariff_revenue"]["US"]["mean"],
         N * pcn * pcn * tau * (1 - q ** T) / (1 - q))
    c.true("regions", sorted(out["tariff_revenue"]) == ["US"])
    c.done()


def main():
    # Scarcity: the document's values, then a sweep.
    safe("scarcity-doc-eps0.5", scarcity, "doc-eps0.5", 0.5, 0.5)
    safe("scarcity-doc-eps0.2-cap", scarcity, "doc-eps0.2-cap", 0.5, 0.2)
    safe("scarcity-s0.3-eps1-P250", scarcity, "s0.3-eps1-P250", 0.3, 1.0, 7.5, 250.0)
    safe("scarcity-s0.6-eps0.8-M5", scarcity, "s0.6-eps0.8-M5", 0.6, 0.8, 40.0, 1.0, 5.0)
    safe("scarcity-s0.9-eps0.5-cap", scarcity, "s0.9-eps0.5-cap", 0.9, 0.5, 100.0, 3.0, 4.0)
    safe("scarcity-commodity-eps", scarcity, "commodity-eps", 0.5, 0.5, 100.0, 1.0, 10.0,
         "commodity")
    # Surplus.
    safe("surplus-k2", surplus, "k2", 2.0)
    safe("surplus-k4-P30", surplus, "k4-P30", 4.0, 1.0, 12.0, 30.0)
    safe("surplus-k3-beta2", surplus, "k3-beta2", 3.0, 2.0)
    safe("surplus-k4-beta0.5-floor", surplus, "k4-beta0.5-floor", 4.0, 0.5)
    # Two-tier prices under a quota.
    safe("two-tier-doc", two_tier, "doc", 0.5)
    safe("two-tier-s0.3-eps1", two_tier, "s0.3-eps1", 0.3, 1.0, 40.0, 5.0)
    safe("two-tier-s0.6-eps0.8-start5", two_tier, "s0.6-eps0.8-start5", 0.6, 0.8, 100.0,
         1.0, 5)
    # past the cap: the US pays M P, the CN price stays (2-s)/2 (s = 0.8,
    # eps = 0.5: 0.600, where counting every US order gave 0.658)
    safe("two-tier-cap-s0.8-eps0.5", two_tier, "cap-s0.8-eps0.5", 0.8, 0.5)
    safe("two-tier-cap-s0.7-eps0.4-M5", two_tier, "cap-s0.7-eps0.4-M5", 0.7, 0.4, 60.0,
         3.0, 2, 5.0)
    safe("two-tier-cap-s0.95-eps1-M4", two_tier, "cap-s0.95-eps1-M4", 0.95, 1.0, 100.0,
         1.0, 0, 4.0)
    safe("quota-history", quota_history, "s0.4-0.5", 0.4, 0.5)
    safe("quota-history-eps1", quota_history, "s0.2-0.7-eps1", 0.2, 0.7, 1.0)
    # Tariff diversion.
    safe("tariff-doc", tariff, "doc", 0.25)
    safe("tariff-v1-key", tariff, "v1-key", 0.25, 3.0, 100.0, 1.0, (1.0, 1.0),
         "tariff_elasticity")
    safe("tariff-tau0.6-sigma1.5", tariff, "tau0.6-sigma1.5", 0.6, 1.5, 3.0, 40.0)
    safe("tariff-tau0.1-sigma6", tariff, "tau0.1-sigma6", 0.1, 6.0)
    safe("tariff-weights", tariff, "weights", 0.3, 2.0, 50.0, 1.0, (2.0, 1.0))
    # Bans with stocks.
    safe("ban-no-stock", ban, "no-stock", 3, 0.0)
    safe("ban-V250", ban, "V250", 3, 250.0)
    safe("ban-V-covers", ban, "V-covers", 4, 1000.0, 60.0)
    safe("ban-inventory", ban, "inventory", 5, 120.0, 100.0, 1.5)
    safe("ban-max-release", ban, "max-release", 4, 300.0, 100.0, 0.0, 0.4)
    safe("refill", refill, "k2")
    safe("refill-k3", refill, "k3", 3.0, 20.0)
    safe("refill-gives-way", refill_gives_way, "s0.6-eps0.5", 0.6, 0.5)
    safe("refill-gives-way-eps1", refill_gives_way, "s0.75-eps1", 0.75, 1.0, 0.4)
    # Offtake within a quota (pins the baseline's reading of the document).
    safe("offtake-quota-room", offtake_quota, "room", 0.5, 0.1)
    safe("offtake-quota-fills", offtake_quota, "fills", 0.6, 0.3)
    # Prices where there is no market, buyers with no plan.
    safe("no-market", no_market)
    safe("no-plan", no_plan)
    safe("order", order)
    safe("no-shocks", no_shocks)
    safe("hazard", hazard)
    # Producers that exit, price floors, surges, lasting substitution and
    # the costs of policy (docs/model.md).
    safe("exit-doc", exits, "doc")
    safe("exit-5-10", exits, "5-10", 40, 5, 10)
    safe("exit-P7-3-0", exits, "P7-3-0", 20, 3, 0, 7.0, 50.0)
    safe("floor-doc", floor_one, "doc")
    safe("floor-P4-M5-F1.5", floor_one, "P4-M5-F1.5", 12, 4.0, 30.0, 5.0, 1.5)
    safe("floor-rival-doc", floor_rival, "doc")
    safe("floor-rival-sigma2", floor_rival, "sigma2", 2.0, 8.0, 50.0, 3.0, 16, 0.3)
    safe("surge-doc", surge, "doc", 1.0)
    safe("surge-s0.4-P3", surge, "s0.4-P3", 0.4, 70.0, 3.0)
    safe("surge-s3", surge, "s3", 3.0)
    safe("substitution-e0.5", substitution, "e0.5", 0.5, 6, 12)
    safe("substitution-e1.2-a2-r3", substitution, "e1.2-a2-r3", 1.2, 2, 3, 5.0, 40.0)
    safe("costs-r0", costs, "r0", 0.0)
    safe("costs-r0.05", costs, "r0.05", 0.05)
    safe("cost-ban", cost_ban, "k2")
    safe("cost-ban-k4", cost_ban, "k4", 5, 4, 2, 0.02, 7.0, 60.0, 12)
    safe("cost-nan", cost_nothing_avoided)
    safe("tariff-revenue", tariff_revenue)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""numpy_baseline.py — the shortfall model written the way an analyst would
write it in NumPy: an independent implementation of docs/model.md,
vectorised over trials, for benchmarking and for cross-checking shortfall.

    numpy_baseline.py SCENARIO.yaml -n N --seed S [--policy NAME]... [--json]

Every array has the trials as its first axis.  The month loop (and the
commodity and market-round loops inside it) is Python; everything inside a
month is vectorised over trials, and over links and nodes (sums over a
buyer's or a supplier's links with np.add.reduceat).  Trials run in chunks
of --chunk (small blocks stay in cache).  All policy mixes run together on
common random numbers: the state arrays hold P x N rows (policy-major), and
every random draw is made once per trial and repeated for each mix.  Draws come from
numpy.random.default_rng(seed), so the random streams differ from
shortfall's (Philox keyed by trial); only the distributions agree, and the
means must agree within Monte Carlo error.

Prints, per policy mix, the mean cumulative shortfall and its standard
error per region and for the world, and the mean months active per shock;
with --json, the same as one JSON object.  Only Debian's python3 with
python3-numpy and python3-yaml is needed.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import yaml

ROUNDS = 16      # market rounds per commodity and month
TOL = 1e-12      # relative size below which a request or shortfall is zero
KINDS = ("mine", "refiner", "plant", "demand")


# ---------------------------------------------------------------- loading

class Dist:
    """One of the eight distributions of docs/scenarios.md."""

    def __init__(self, spec):
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            self.kind, self.p = "fixed", {"value": float(spec)}
        else:
            spec = dict(spec)
            self.kind = spec.pop("dist")
            self.p = {k: float(v) for k, v in spec.items()}

    def sample(self, rng, n):
        p = self.p
        k = self.kind
        if k == "fixed":
            return np.full(n, p["value"])
        if k == "uniform":
            return rng.uniform(p["min"], p["max"], n)
        if k == "exponential":
            return rng.exponential(p["mean"], n)
        if k == "lognormal":
            return rng.lognormal(math.log(p["median"]), p["sigma"], n)
        if k == "gamma":
            return rng.gamma(p["shape"], p["scale"], n)
        if k == "beta":
            return rng.beta(p["a"], p["b"], n)
        if k == "weibull":
            return p["scale"] * rng.weibull(p["shape"], n)
        if k == "triangular":
            return rng.triangular(p["min"], p["mode"], p["max"], n)
        raise ValueError(f"unknown distribution {k!r}")


class GroupSum:
    """Sums the columns of x [rows, links] by group (buyer or supplier) into
    [rows, n_groups].  np.add.reduceat over columns sorted by group: about
    three times faster than a product with a 0/1 incidence matrix on
    Debian's reference BLAS."""

    def __init__(self, group, n_groups):
        self.perm = np.argsort(group, kind="stable")
        if np.array_equal(self.perm, np.arange(len(group))):
            self.perm = None
        g = group if self.perm is None else group[self.perm]
        self.starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        self.present = g[self.starts]
        self.full = len(self.present) == n_groups
        self.n = n_groups

    def __call__(self, x):
        if self.perm is not None:
            x = x[:, self.perm]
        y = np.add.reduceat(x, self.starts, axis=1)
        if self.full:
            return y
        out = np.zeros((x.shape[0], self.n))
        out[:, self.present] = y
        return out


def c_round(x):
    """C's round(): halves away from zero (numpy rounds halves to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


class Scenario:
    """A scenario file compiled into flat arrays (nodes, links, shocks)."""

    def __init__(self, path):
        with open(path) as fh:
            y = yaml.safe_load(fh)
        self.name = y["name"]
        self.T = int(y.get("horizon_months", 60))
        self.seed = int(y.get("seed", 1))
        self.trials = int(y.get("trials", 10000))
        self.blocs = {b: list(m) for b, m in (y.get("blocs") or {}).items()}

        coms = y["commodities"]
        self.com_ids = [c["id"] for c in coms]
        self.com = {c: i for i, c in enumerate(self.com_ids)}
        self.eta = np.array([float(c.get("tariff_elasticity", 3)) for c in coms])
        self.price = np.array([float(c.get("price", 1)) for c in coms])

        # Nodes: the scenario's, then those that policies build (once each).
        raw_nodes = [(dict(n), -1) for n in y["nodes"]]
        pols = y.get("policies") or [{"name": "baseline"}]
        seen = {n["id"] for n, _ in raw_nodes}
        for p, pol in enumerate(pols):
            for iv in pol.get("interventions") or []:
                if iv["kind"] == "new_capacity" and iv["node"]["id"] not in seen:
                    seen.add(iv["node"]["id"])
                    raw_nodes.append((dict(iv["node"]), p))
        self._nodes(raw_nodes)
        self._order()
        self._links(y.get("links") or [])

        # Countries and regions: regions are countries with demand, sorted.
        countries = set(self.country)
        for m in self.blocs.values():
            countries.update(m)
        self.countries = sorted(countries)
        self.demand = np.flatnonzero(self.kind == 3)
        self.regions = sorted({self.country[j] for j in self.demand})
        self.demand_region = np.array(
            [self.regions.index(self.country[j]) for j in self.demand])

        # Shocks, then the policies' tariffs (once each, by id).
        shocks = [(dict(s), -1) for s in y.get("shocks") or []]
        ids = {s["id"] for s, _ in shocks}
        for p, pol in enumerate(pols):
            for iv in pol.get("interventions") or []:
                if iv["kind"] == "tariff" and iv["id"] not in ids:
                    ids.add(iv["id"])
                    s = {k: v for k, v in iv.items() if k != "kind"}
                    s["kind"] = "tariff"
                    shocks.append((s, p))
        self._shocks(shocks)
        self._regimes(y.get("regimes"))
        self.triggers = [(self.shock[t["when"]], self.shock[t["raises"]],
                          float(t["factor"])) for t in y.get("triggers") or []]
        self._policies(pols)

    # -- nodes
    def _nodes(self, raw):
        n = len(raw)
        self.node_ids = [d["id"] for d, _ in raw]
        self.node = {i: k for k, i in enumerate(self.node_ids)}
        self.kind = np.array([KINDS.index(d["kind"]) for d, _ in raw])
        self.country = [d["country"] for d, _ in raw]
        self.input = np.array([self.com[d["input"]] if "input" in d else -1
                               for d, _ in raw])
        self.output = np.array([self.com[d["output"]] if "output" in d else -1
                                for d, _ in raw])
        self.capacity = np.array([float(d.get("capacity", 0)) for d, _ in raw])
        self.cap_month = self.capacity / 12
        self.yld = np.array([float(d.get("yield", 1)) for d, _ in raw])
        self.buffer = np.array([float(d.get("input_buffer_months", 1))
                                if d["kind"] in ("refiner", "plant") else 0.0
                                for d, _ in raw])
        init = []
        for (d, p), b, c, yl in zip(raw, self.buffer, self.capacity, self.yld):
            if d["kind"] not in ("refiner", "plant") or p >= 0:
                init.append(0.0)        # new capacity starts empty
            else:
                init.append(float(d.get("initial_input_stock", b * c / 12 / yl)))
        self.init_stock = np.array(init)
        self.stock_cap = np.array([float(d.get("output_stock_cap", 0))
                                   for d, _ in raw])
        self.demand_month = np.array([float(d.get("demand", 0)) / 12
                                      for d, _ in raw])
        self.growth = np.array([float(d.get("growth", 0)) for d, _ in raw])
        self.volatility = np.array([float(d.get("volatility", 0))
                                    for d, _ in raw])
        self.built_by = np.array([p for _, p in raw])
        self.n_nodes = n

    # -- clearing order: Kahn, first listed first
    def _order(self):
        nc = len(self.com_ids)
        conv = (self.input >= 0) & (self.output >= 0)
        indeg = np.bincount(self.output[conv], minlength=nc)
        done, order = np.zeros(nc, bool), []
        for _ in range(nc):
            c = next(c for c in range(nc) if not done[c] and indeg[c] == 0)
            done[c] = True
            order.append(c)
            for i in np.flatnonzero(conv & (self.input == c)):
                indeg[self.output[i]] -= 1
        self.order = order

    # -- links: explicit for a buyer named in any link, else every producer
    def _links(self, links):
        explicit = {self.node[lk["to"]] for lk in links}
        frm, to, w = [], [], []
        for j in range(self.n_nodes):
            if self.input[j] < 0:
                continue
            if j in explicit:
                for lk in links:
                    if self.node[lk["to"]] == j:
                        i = self.node[lk["from"]]
                        frm.append(i)
                        to.append(j)
                        w.append(float(lk.get("weight", self.capacity[i])))
            else:
                for i in np.flatnonzero(self.output == self.input[j]):
                    frm.append(int(i))
                    to.append(j)
                    w.append(self.capacity[i])
        self.link_from, self.link_to = np.array(frm, int), np.array(to, int)
        self.link_w = np.array(w, float)
        self.link_com = self.output[self.link_from]
        self.link_eta = self.eta[self.link_com]
        self.link_foreign = np.array([self.country[a] != self.country[b]
                                      for a, b in zip(frm, to)], bool)

    def cset(self, v, allow_all=True):
        """A country set: None for 'all', else a set of country codes."""
        if v == "all":
            return None
        out = set()
        for x in ([v] if isinstance(v, str) else v):
            out.update(self.blocs.get(x, [x]))
        return out

    # -- shocks
    def _shocks(self, shocks):
        self.shock_ids = [s["id"] for s, _ in shocks]
        self.shock = {s: k for k, s in enumerate(self.shock_ids)}
        self.shocks = []
        inn = lambda c, s: s is None or c in s
        for s, p in shocks:
            d = {"kind": s["kind"], "policy": p}
            if "schedule" in s:
                d["scheduled"] = True
                d["start"] = int(s["schedule"]["start_month"])
                d["dur"] = int(s["schedule"]["duration_months"])
                d["hazard"] = 0.0
            else:
                d["scheduled"] = False
                d["hazard"] = float(s["hazard_per_year"])
                d["duration"] = Dist(s["duration_months"])
            lv = s.get("rate") if s["kind"] == "tariff" else s.get("severity", 1)
            d["level"] = Dist(lv)
            coms = s.get("commodities", "all")
            cs = None if coms == "all" else {self.com[c] for c in coms}
            links, nodes = [], []
            if s["kind"] == "export_restriction":
                ex, tg = self.cset(s["exporter"]), self.cset(s["targets"])
                exc = self.cset(s.get("except", []))
                for l in range(len(self.link_from)):
                    cf = self.country[self.link_from[l]]
                    ct = self.country[self.link_to[l]]
                    if (self.link_foreign[l] and (cs is None or self.link_com[l] in cs)
                            and inn(cf, ex) and inn(ct, tg) and ct not in exc):
                        links.append(l)
            elif s["kind"] == "tariff":
                im, ex = self.cset(s["importer"]), self.cset(s["exporter"])
                for l in range(len(self.link_from)):
                    cf = self.country[self.link_from[l]]
                    ct = self.country[self.link_to[l]]
                    if (self.link_foreign[l] and (cs is None or self.link_com[l] in cs)
                            and inn(ct, im) and inn(cf, ex)):
                        links.append(l)
            elif s["kind"] == "outage":
                if "nodes" in s:
                    nodes = [self.node[x] for x in s["nodes"]]
                else:
                    cc = self.cset(s["country"])
                    nk = s.get("node_kind")
                    nodes = [i for i in range(self.n_nodes)
                             if self.kind[i] != 3 and inn(self.country[i], cc)
                             and (nk is None or KINDS[self.kind[i]] == nk)]
            d["links"], d["nodes"] = np.array(links, int), np.array(nodes, int)
            self.shocks.append(d)
        self.K = len(self.shocks)

    def _regimes(self, rg):
        K = self.K
        if not rg:
            self.reg = None
            return
        st = list(rg["states"])
        S = len(st)
        P = np.array([[float(x) for x in rg["transitions"][s]] for s in st])
        mult = np.ones((S, K))
        for s, m in (rg.get("multipliers") or {}).items():
            for sh, f in m.items():
                mult[st.index(s), self.shock[sh]] = float(f)
        # the last state with positive probability takes the remainder
        last = np.array([np.flatnonzero(r > 0)[-1] for r in P])
        self.reg = dict(start=st.index(rg["start"]), P=P, cum=np.cumsum(P, 1),
                        last=last, mult=mult)

    def _policies(self, pols):
        n, K = self.n_nodes, self.K
        self.pol_names = [p["name"] for p in pols]
        self.pols = []
        for p, pol in enumerate(pols):
            d = dict(
                shock_on=np.array([s["policy"] < 0 for s in self.shocks]),
                hmult=np.ones(K), built=self.built_by < 0,
                project={}, stock={}, offtake=[],
                recycle=np.zeros(n), ramp=np.zeros(n), reduce=np.zeros(n))
            for iv in pol.get("interventions") or []:
                k = iv["kind"]
                if k == "stockpile":
                    j = self.node[iv["node"]]
                    month = self.demand_month[j]
                    init = (float(iv["initial"]) if "initial" in iv
                            else float(iv["initial_months"]) * month)
                    cap = (float(iv["capacity"]) if "capacity" in iv else
                           float(iv["capacity_months"]) * month
                           if "capacity_months" in iv else init)
                    rel = (float(iv["max_release_months"]) * month
                           if "max_release_months" in iv else np.inf)
                    ref = float(iv.get("refill_months", 0)) * month
                    d["stock"][j] = (init, cap, rel, ref)
                elif k == "offtake":
                    b, s = self.node[iv["buyer"]], self.node[iv["supplier"]]
                    l = np.flatnonzero((self.link_from == s) & (self.link_to == b))
                    d["offtake"].append((int(l[0]), float(iv["share"])))
                elif k == "new_capacity":
                    i = self.node[iv["node"]["id"]]
                    d["built"] = d["built"].copy()
                    d["built"][i] = True
                    d["project"][i] = (Dist(iv["lead_time_months"]),
                                       float(iv.get("ramp_months", 0)),
                                       float(iv.get("completion_probability", 1)))
                elif k == "recycling":
                    j = self.node[iv["node"]]
                    d["recycle"][j] = float(iv["share"])
                    d["ramp"][j] = float(iv.get("ramp_months", 0))
                elif k == "demand_reduction":
                    d["reduce"][self.node[iv["node"]]] = float(iv["share"])
                elif k == "tariff":
                    d["shock_on"][self.shock[iv["id"]]] = True
                elif k == "hazard_multiplier":
                    d["hmult"][self.shock[iv["shock"]]] *= float(iv["factor"])
            self.pols.append(d)


# ------------------------------------------------------------- simulation

def simulate(sc, pols, N, rng):
    """Runs N trials under the policy mixes `pols` (indices) on common random
    numbers.  Returns the per-trial cumulative shortfall [P, N, D] and the
    months active [P, N, K]."""
    P, T, K, n = len(pols), sc.T, sc.K, sc.n_nodes
    M = P * N
    D = len(sc.demand)
    L = len(sc.link_from)
    rep = lambda a: np.tile(a, P) if a.ndim == 1 else np.tile(a, (P, 1))
    per = lambda f: np.repeat(np.array([f(sc.pols[p]) for p in pols]), N, axis=0)

    shock_on = per(lambda d: d["shock_on"])              # [M, K]
    hmult = per(lambda d: d["hmult"])                    # [M, K]
    built = per(lambda d: d["built"])                    # [M, n]
    reduce_ = per(lambda d: d["reduce"][sc.demand])      # [M, D]
    rshare = per(lambda d: d["recycle"][sc.demand])
    rramp = per(lambda d: d["ramp"][sc.demand])
    has_sp = per(lambda d: np.array([j in d["stock"] for j in sc.demand]))
    sp = np.zeros((4, P, D))
    for q, p in enumerate(pols):
        for x, j in enumerate(sc.demand):
            if j in sc.pols[p]["stock"]:
                sp[:, q, x] = sc.pols[p]["stock"][j]
    sp_init, sp_cap, sp_rel, sp_ref = (np.repeat(a, N, axis=0) for a in sp)

    # Projects: one lead time and completion per trial and node, shared.
    proj_nodes = sorted({i for p in pols for i in sc.pols[p]["project"]})
    proj = {}
    for i in proj_nodes:
        spec = next(sc.pols[p]["project"][i] for p in pols
                    if i in sc.pols[p]["project"])
        comp = rng.random(N) < spec[2]
        lead = np.maximum(0, c_round(spec[0].sample(rng, N)))
        proj[i] = (rep(comp), rep(lead), spec[1])
    is_proj = np.zeros((M, n), bool)
    for q, p in enumerate(pols):
        for i in sc.pols[p]["project"]:
            is_proj[q * N:(q + 1) * N, i] = True
    base_cap = np.where(built & ~is_proj, sc.cap_month, 0.0)

    # Scheduled severities and rates, once per trial.
    sched_level = np.zeros((M, K))
    for k, s in enumerate(sc.shocks):
        if s["scheduled"]:
            v = s["level"].sample(rng, N)
            sched_level[:, k] = rep(np.maximum(v, 0) if s["kind"] == "tariff"
                                    else np.clip(v, 0, 1))

    # Incidence matrices per commodity (small and dense).
    kind, dem = sc.kind, sc.demand
    is_dem = kind == 3
    dem_pos = np.full(n, -1)
    dem_pos[dem] = np.arange(D)
    com = []
    for c in sc.order:
        S_ = np.flatnonzero(sc.output == c)
        B_ = np.flatnonzero(sc.input == c)
        L_ = np.flatnonzero(np.isin(sc.link_to, B_))
        to_b = np.searchsorted(B_, sc.link_to[L_])
        fr_s = np.searchsorted(S_, sc.link_from[L_])
        if len(L_) == 0:
            to_b = fr_s = np.zeros(0, int)
        off = []
        for q, p in enumerate(pols):
            for l, share in sc.pols[p]["offtake"]:
                if sc.link_com[l] == c:
                    sh = np.zeros(M)
                    sh[q * N:(q + 1) * N] = share
                    off.append((int(np.flatnonzero(L_ == l)[0]), sh))
        com.append(dict(c=c, S=S_, B=B_, L=L_, to_b=to_b, fr_s=fr_s,
                        by_to=GroupSum(to_b, len(B_)),
                        by_fr=GroupSum(fr_s, len(S_)), off=off,
                        S_mine=kind[S_] == 0, B_dem=is_dem[B_],
                        B_dpos=dem_pos[B_], price=sc.price[c]))

    # State.
    in_stock = np.where(built, sc.init_stock, 0.0)
    conv_recv = np.zeros((M, n))
    out_stock = np.zeros((M, n))
    level = np.where(has_sp, sp_init, 0.0)
    short_last = np.zeros((M, D), bool)
    active = np.zeros((M, K), bool)
    lvl = np.zeros((M, K))
    ep_end = np.zeros((M, K), int)
    regime = np.full(N, sc.reg["start"]) if sc.reg else None
    cum_short = np.zeros((M, D))
    months_active = np.zeros((M, K))
    need_base = sc.demand_month[dem][None, :] * (1 + sc.growth[dem]) ** (
        np.arange(T)[:, None] / 12)                       # [T, D]
    vol = sc.volatility[dem]
    noisy = vol > 0
    restr = [k for k, s in enumerate(sc.shocks) if s["kind"] == "export_restriction"]
    tarf = [k for k, s in enumerate(sc.shocks) if s["kind"] == "tariff"]
    outg = [k for k, s in enumerate(sc.shocks) if s["kind"] == "outage"]
    tl = np.unique(np.concatenate([sc.shocks[k]["links"] for k in tarf]
                                  + [np.zeros(0, int)]))

    for t in range(T):
        # 1. Shocks: regime step, episodes, then f, r, tau.
        if sc.reg is not None and t > 0:
            u = rng.random(N)
            R = sc.reg
            ok = (u[:, None] < R["cum"][regime]) & (R["P"][regime] > 0)
            regime = np.where(ok.any(1), ok.argmax(1), R["last"][regime])
        prev = active
        active = np.zeros((M, K), bool)
        for k, s in enumerate(sc.shocks):
            if s["scheduled"]:
                on = shock_on[:, k] & (s["start"] <= t < s["start"] + s["dur"])
                active[:, k] = on
                lvl[:, k] = np.where(on, sched_level[:, k], 0.0)
                continue
            ongoing = shock_on[:, k] & (t < ep_end[:, k])
            if s["hazard"] > 0:
                m = hmult[:, k].copy()
                if sc.reg is not None:
                    m *= rep(sc.reg["mult"][regime, k])
                if t > 0:
                    for w, r_, f in sc.triggers:
                        if r_ == k:
                            m = np.where(prev[:, w], m * f, m)
                p = -np.expm1(-s["hazard"] * m / 12)
                u = rep(rng.random(N))
                onset = shock_on[:, k] & ~ongoing & (p > 0) & (u < p)
                # Duration and severity are drawn for the trials in which
                # any mix has an onset, the same draw for every mix.
                hit = np.flatnonzero(onset.reshape(P, N).any(axis=0))
                if len(hit):
                    dur = np.zeros(N)
                    v = np.zeros(N)
                    dur[hit] = np.clip(c_round(s["duration"].sample(
                        rng, len(hit))), 1, T)
                    x = s["level"].sample(rng, len(hit))
                    v[hit] = (np.maximum(x, 0) if s["kind"] == "tariff"
                              else np.clip(x, 0, 1))
                    ep_end[:, k] = np.where(onset, t + rep(dur), ep_end[:, k])
                    lvl[:, k] = np.where(onset, rep(v), lvl[:, k])
            else:
                onset = False
            active[:, k] = ongoing | onset
        months_active += active
        sev = np.where(active, lvl, 0.0)
        f = np.ones((M, n))
        for k in outg:
            f[:, sc.shocks[k]["nodes"]] *= (1 - sev[:, k])[:, None]
        r = np.ones((M, L))
        for k in restr:
            r[:, sc.shocks[k]["links"]] *= (1 - sev[:, k])[:, None]
        tau = np.zeros((M, L))
        for k in tarf:
            tau[:, sc.shocks[k]["links"]] += sev[:, k][:, None]
        attr = np.broadcast_to(sc.link_w, (M, L)).copy()
        if len(tl):
            attr[:, tl] = sc.link_w[tl] * (1 + tau[:, tl]) ** (-sc.link_eta[tl])

        # Capacities (new facilities ramp) and needs.
        cap = base_cap.copy()
        for i, (comp, lead, ramp) in proj.items():
            x = np.clip((t - lead + 1) / max(1.0, ramp), 0, 1)
            cap[:, i] = np.where(is_proj[:, i] & comp, sc.cap_month[i] * x, cap[:, i])
        eps = np.ones(D)
        if noisy.any():
            z = rng.standard_normal((N, D))
            eps = rep(np.where(noisy, np.exp(vol * z - vol ** 2 / 2), 1.0))
        need = need_base[t] * eps * (1 - reduce_)
        rec_share = np.where(rramp > 0, rshare * np.minimum(1, t / np.where(
            rramp > 0, rramp, 1)), rshare)
        recycled = need * rec_share
        recv_d = np.zeros((M, D))
        fcap = f * cap

        # 2. Clear each commodity.
        for cd in com:
            S_, B_, L_ = cd["S"], cd["B"], cd["L"]
            # supply
            fc = fcap[:, S_]
            stock = in_stock[:, S_] + conv_recv[:, S_]
            y = sc.yld[S_]
            prod = np.where(cd["S_mine"], fc, np.minimum(fc, y * stock))
            in_stock[:, S_] = np.where(cd["S_mine"], in_stock[:, S_],
                                       np.maximum(0, stock - prod / y))
            conv_recv[:, S_] = 0
            supply = prod + out_stock[:, S_]
            spare = supply.copy()
            # requests
            req = np.empty((M, len(B_)))
            base = np.empty((M, len(B_)))   # running part: what a licence covers
            bd, bc = cd["B_dem"], ~cd["B_dem"]
            if bd.any():
                dp = cd["B_dpos"][bd]
                refill = np.where(has_sp[:, dp] & ~short_last[:, dp], np.maximum(
                    0, np.minimum(sp_ref[:, dp], sp_cap[:, dp] - level[:, dp])), 0)
                base[:, bd] = need[:, dp] - recycled[:, dp]
                req[:, bd] = base[:, bd] + refill
            if bc.any():
                jc = B_[bc]
                per_in = cap[:, jc] / sc.yld[jc]
                base[:, bc] = f[:, jc] * per_in
                req[:, bc] = base[:, bc] + np.maximum(
                    0, sc.buffer[jc] * per_in - in_stock[:, jc])
            rem = req.copy()
            recv = np.zeros_like(req)
            rL, aL = r[:, L_], attr[:, L_]
            # offtake contracts first
            for x, share in cd["off"]:
                s_, b_ = cd["fr_s"][x], cd["to_b"][x]
                q = np.minimum(share * supply[:, s_] * rL[:, x],
                               np.minimum(rem[:, b_], spare[:, s_]))
                q = np.maximum(q, 0)
                spare[:, s_] -= q
                recv[:, b_] += q
                rem[:, b_] = np.maximum(0, rem[:, b_] - q)
            # market rounds, on the rows (trials) that still move: a row
            # that placed nothing in a round places nothing later, so each
            # round works on the rows that placed an order in the last one.
            rows = None                      # None: every row
            rL_, aL_, sp_, rem_, req_, recv_ = rL, aL, spare, rem, req, recv
            base_ = base
            ok_ = (rL > 0) & (aL > 0)
            for rnd in range(1, ROUNDS + 1):
                if rnd == 2:
                    ok_ = ok_ & (rL_ >= 1)   # a licence: first round only
                usable = ok_ & (sp_ > 0)[:, cd["fr_s"]]
                open_ = rem_ > TOL * req_
                a = np.where(usable & open_[:, cd["to_b"]], aL_, 0.0)
                denom = cd["by_to"](a)
                per_attr = np.divide(rem_, denom, out=np.zeros_like(rem_),
                                     where=denom > 0)
                # On a restricted link only r of the link's share of the
                # running request is placed (not buffer top-ups or refills).
                per_base = np.divide(np.minimum(base_, rem_), denom,
                                     out=np.zeros_like(rem_), where=denom > 0)
                order = np.where(rL_ < 1, rL_ * per_base[:, cd["to_b"]],
                                 per_attr[:, cd["to_b"]]) * a
                moved = (order > 0).any(axis=1)
                if not moved.any():
                    break
                load = cd["by_fr"](order)
                fill = np.divide(sp_, load, out=np.ones_like(sp_),
                                 where=load > sp_)
                got = cd["by_to"](order * fill[:, cd["fr_s"]])
                recv_ = recv_ + got
                rem_ = np.maximum(0, rem_ - got)
                sp_ = np.where(load >= sp_, 0, sp_ - load)
                if rows is None:
                    spare, rem, recv = sp_, rem_, recv_
                else:
                    spare[rows], rem[rows], recv[rows] = sp_, rem_, recv_
                if not moved.all():
                    rows = (np.flatnonzero(moved) if rows is None
                            else rows[moved])
                    rL_, aL_, ok_ = rL_[moved], aL_[moved], ok_[moved]
                    sp_, rem_, req_ = sp_[moved], rem_[moved], req_[moved]
                    recv_, base_ = recv_[moved], base_[moved]
            # leftovers
            out_stock[:, S_] = np.minimum(sc.stock_cap[S_], spare)
            if bc.any():
                conv_recv[:, B_[bc]] = recv[:, bc]
            if bd.any():
                recv_d[:, cd["B_dpos"][bd]] = recv[:, bd]

        # 3. Demand: receipts cover need, then refill; release on unmet need.
        net = need - recycled
        used = np.minimum(recv_d, net)
        unmet = net - used
        level = np.where(has_sp, np.minimum(sp_cap, level + recv_d - used), level)
        unmet = np.where(unmet <= TOL * need, 0.0, unmet)
        release = np.where(has_sp, np.minimum(unmet, np.minimum(level, sp_rel)), 0)
        level = level - release
        short = unmet - release
        short_last = short > 0
        cum_short += short

    return (cum_short.reshape(P, N, D), months_active.reshape(P, N, K))


def mean_se(x):
    n = x.shape[0]
    sd = x.std(axis=0, ddof=1) if n > 1 else np.zeros(x.shape[1:])
    return x.mean(axis=0), sd / math.sqrt(n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("-n", type=int, default=None, help="trials")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--policy", action="append", default=[],
                    help="policy mix (repeatable; the baseline always runs)")
    ap.add_argument("--chunk", type=int, default=4096,
                    help="trials simulated at once: bounds memory, and "
                    "small blocks stay in cache (4096 was fastest here)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    sc = Scenario(a.scenario)
    N = a.n if a.n is not None else sc.trials
    seed = a.seed if a.seed is not None else sc.seed
    pols = [0]
    for name in a.policy:
        if name not in sc.pol_names:
            ap.error(f"unknown policy {name!r}; the scenario has "
                     + ", ".join(sc.pol_names))
        if sc.pol_names.index(name) not in pols:
            pols.append(sc.pol_names.index(name))
    if not a.policy:
        pols = list(range(len(sc.pol_names)))
    rng = np.random.default_rng(seed)
    shorts, actives = [], []
    t1 = time.perf_counter()
    done = 0
    while done < N:
        n = min(a.chunk, N - done)
        s, m = simulate(sc, pols, n, rng)
        shorts.append(s)
        actives.append(m)
        done += n
    t2 = time.perf_counter()
    short = np.concatenate(shorts, axis=1)     # [P, N, D]
    active = np.concatenate(actives, axis=1)   # [P, N, K]

    R = len(sc.regions)
    out = dict(scenario=sc.name, trials=N, seed=seed, horizon_months=sc.T,
               loop_seconds=t2 - t1, seconds=time.perf_counter() - t0,
               regions=sc.regions, shocks=sc.shock_ids, policies={})
    for q, p in enumerate(pols):
        by_region = np.zeros((N, R))
        for d in range(len(sc.demand)):
            by_region[:, sc.demand_region[d]] += short[q, :, d]
        rm, rs = mean_se(by_region)
        wm, ws = mean_se(short[q].sum(axis=1)[:, None])
        am, as_ = mean_se(active[q])
        out["policies"][sc.pol_names[p]] = dict(
            shortfall_cum_region={g: dict(mean=float(rm[i]), se=float(rs[i]))
                                  for i, g in enumerate(sc.regions)},
            shortfall_cum_world=dict(mean=float(wm[0]), se=float(ws[0])),
            months_active={s: dict(mean=float(am[k]), se=float(as_[k]))
                           for k, s in enumerate(sc.shock_ids)})
    if a.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print(f"{sc.name}: {N} trials x {sc.T} months, seed {seed}, "
          f"{len(pols)} mix(es), NumPy {np.__version__}, "
          f"{t2 - t1:.2f} s ({N / (t2 - t1):.0f} trials/s)")
    print(f"{'policy':16} {'region':10} {'shortfall mean':>16} {'± se':>10}")
    for name, po in out["policies"].items():
        rows = list(po["shortfall_cum_region"].items()) + [
            ("world", po["shortfall_cum_world"])]
        for i, (g, v) in enumerate(rows):
            print(f"{name if i == 0 else '':16} {g:10} {v['mean']:16.4g} "
                  f"{v['se']:10.2g}")
        print(f"{'':16} months active: " + "  ".join(
            f"{s} {v['mean']:.3f} ± {v['se']:.2g}"
            for s, v in po["months_active"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""numpy_baseline.py — the shortfall model (docs/model.md, market version 2)
written the way an analyst would write it in NumPy: an independent
implementation, vectorised over trials, for benchmarking and for
cross-checking shortfall.

    numpy_baseline.py SCENARIO.yaml -n N --seed S [--policy NAME]... [--json]
    numpy_baseline.py SCENARIO.yaml --trace [-n 1] [--policy NAME]...

Every array has rows = policy mixes x trials (mix-major) as its first axis:
all mixes run together on common random numbers, every draw made once per
trial and repeated for each mix.  The month loop and the commodity loop
are Python; everything inside a month is vectorised over rows, links and
nodes.  Trials run in chunks of --chunk (1024: temporaries of a few
hundred kB).  Draws come from numpy.random.default_rng(seed), so the
random streams differ from shortfall's (Philox keyed by trial); only the
distributions agree, and means must agree within Monte Carlo error.

Prints per mix and region (and the world) the mean cumulative shortfall,
priced-out and rationed need and buyer cost, months active per shock and
the world price index per commodity, and the public cost; --json gives
these with standard errors (plus tariff paid, price_mean/price_peak, the
public cost by kind, tariff revenue per region, the cost per unit of
shortfall avoided, months closed per producer with a unit cost, the need
given up by lasting substitution, and solver figures) as one JSON object;
--trace prints trial 0 of every mix month by month (prices, supply,
plans, orders, flows, quotas and premia, demand and stocks, producers'
state, the month's public cost by kind).
Only Debian's python3 with python3-numpy and python3-yaml is needed.

THE SOLVER (designed here, independently of shortfall's).  For one
commodity and month the unknowns are u_i = ln(p_i/P) in [-ln M, ln M] per
supplier and v_g = premium/P in [0, vmax_g] per quota group in force, vmax_g
putting every licensed price of the group at the cap.  With F_i = ln S_i(p_i)
- ln(orders_i) and G_g = ln Q_g - ln(flow_g), the conditions of docs/model.md
are Phi = 0 for

    Phi_i = u_i - clip(u_i - F_i, -ln M, ln M),   Phi_g = v_g - clip(v_g - G_g, 0, vmax_g)

(the mid function of a box-constrained complementarity problem).  A
semismooth Newton method solves it on all rows at once, each row with its
own step: analytic Jacobian (the logit in log delivered prices, the kinked
demand, the held-back supply; a row at a bound is the bound's, and at the
premium bound the exact row of a_l* - M, which keeps the step on the cap);
a free row that depends on nothing (a buyer that takes what it takes at
any price) moves one unit towards the bound its residual points to;
price steps capped at a factor of e; projection into the bounds; Armijo
halving of the step on sum(Phi^2).  Warm start: last month's prices of the
same row, or the mix's reference month.  Stops at max |Phi| <= 1e-10; the
run reports the largest |Phi| left, the largest relative excess as the
specification defines it (1e-9 at every supplier and quota not at a
bound), and the mean and largest Newton iterations per commodity-month.

QUESTIONS docs/model.md LEFT OPEN, AND THE ANSWERS CHOSEN HERE (the
cross-check with shortfall exists to find out whether the C code agrees).
Items 3, 8, 9, 15 and 16 were settled since by docs/model.md (market-v2,
b32567f) and follow it now:

 1. Offtake price.  A contract pays "the supplier's clearing price plus
    tariff": p_i (1 + tau), no quota premium, although it ships within the
    quota.  Its pre-tariff price p_i counts in the buyer's average prices.
 2. What the market clears after offtake.  The supplier offers
    (A_i - o_i) min(1, (p/P)^beta) (it holds back only what contracts left)
    and the buyer orders (N_j - o_j) min(1, (Pbar/P)^-eps) (the elasticity
    applies to the rest of its plan; contracted amounts are taken at any
    price).
 3. A quota that still binds with every licensed price at the cap (the
    document: filled in proportion, and only what it fills counts as
    orders for the exporters' output).  The supplier's balance counts
    x_l psi_l, psi_l the smallest of min(1, Q_g / flow_g) over l's groups
    in force: 1 at any solution but at the premium bound, and continuous
    between iterates; the Jacobian includes psi's derivative.  The excess
    orders are rationed (two-tier market, s = 0.8, eps = 0.5: home price
    0.600 = (2-s)/2; the first version counted every order, 0.658).
 4. Open link.  Its supplier has output left after contracts (A_i - o_i >
    1e-12 A_i) and none of its groups in force was used up by contracts
    (Q_g - o_g > 1e-12 Q_g).  A group nobody orders on has premium 0.
 5. Two groups in force on the same ordering links (gallium: the permanent
    CN licensing and cn_controls, both CN -> all).  One flow, two quotas:
    only the smaller binds and carries the premium, the other's is 0 (the
    document says such a link "carries both premia"; only their sum is
    determined).  Both limits are held in the conservation pass.
 6. Conservation and rationing rounds.  In a round a link is filled at the
    smaller of its supplier's and its groups' fill factors.  Unfilled
    orders are offered again over all of the buyer's links whose supplier
    has output left and whose groups have room (the same link too, if it
    now has room), in proportion to w q^-sigma at the solution's prices,
    until no buyer has more than 1e-9 of its market plan left to place.
    "Output left" is A_i less what it shipped, output held back below the
    reference price included.
 7. Priced out and rationed.  Given up = market plan - orders; rationed =
    orders - market receipts; both taken from refills first: priced_out =
    min(U, max(0, given up - refills)), rationed = U - priced_out, U the
    unmet need.  A buyer with no open link orders its whole market plan
    and all of it is rationed.
 8. A rationed part at most 1e-6 of the need (what the solver's tolerance
    leaves unfilled, ~1e-10) counts with the priced-out part, in the
    record and in the release and calm tests ("some need rationed" means
    a rationed part left after that).
 9. "Average price before tariffs" (release and calm): the receipt-weighted
    pre-tariff price of this month's receipts, premia included, offtake
    included at p_i; no receipts: M P; no planned purchases: P (neither
    disrupted nor non-calm on that account).  Recycled supply does not
    count.
10. Release prices per stock: the inventory uses the node's release_price,
    the stockpile its own (default: the node's).
11. Refills.  Receipts beyond the need go to the inventory first (up to
    its refill request), then to the stockpile.  The inventory asks
    min(size/inventory_refill_months, size - level), size =
    inventory_months x demand/12 (fixed; no growth); the stockpile
    min(refill, capacity - level).  Month -1 counts as calm: a stock that
    starts below capacity refills in month 0, and in the reference month.
12. Reference month.  Policy tariffs whose schedule covers month 0 are in
    force (a random rate at its distribution's mean: the reference is the
    same for every trial); the mix's offtake contracts and the refills of
    item 11 are part of it; recycling at month 0.
13. Quota history.  A group's monthly flow is all its links carry
    (contracts, market, rationing rounds), recorded every month whether
    or not its restriction is in force.  A quota is fixed at each onset (a
    scheduled restriction's start month, each new episode of a hazard one)
    and held for the episode.
14. buyer_cost = sum received (Pbar - P) with received = contracts and
    market receipts (not recycled supply) and Pbar the delivered price,
    tariffs and premia included; tariff_paid = receipts x tau x pre-tariff
    price.
15. Price index weights: each buyer's whole planned purchases, contracts
    included, over the buyers that exist in the mix; a buyer with a plan
    and no receipts counts at M P, one with no plan at P (weight 0).
16. A supplier with nothing to sell in the market (A_i - o_i <= 1e-12 A_i)
    or no open link to a buyer with a market plan (a link its quota closed
    counts as no buyer) keeps its warm-start price: last month's, the
    reference month's in month 0, P in the reference month itself.  An
    offtake contract on its whole output pays that price.  (The first
    version put a supplier with output and no buyer at the floor P/M.)
17. When vmax_g = 0 (the group's suppliers at the cap) the premium is 0
    and either inequality holds.

Surges, exits, floors, lasting substitution and costs (docs/model.md,
issue 21; written from the document alone, cross-checked since):

18. Surge severity.  model.md gives a surge s >= 0 and scenarios.md "a
    distribution >= 0", but scenarios.md also says, for severities in
    general, that a fixed one must lie in [0, 1] and draws are clamped to
    [0, 1].  Here a surge's level is clamped to >= 0 only (capacity x
    (1 + s) for any s >= 0), like a tariff's rate; outages and
    restrictions keep [0, 1].
19. Lasting substitution and demand reduction on one node: the need is
    N_j(t) (1 - share) z_t; substituted_cum counts N_j(t) (1 - share)
    (1 - z_t), and the reduction's cost is on share x N_j(t) (the need
    before the cut, before z).  The price that sets the target is the
    node's receipt-weighted delivered price; a node that received nothing
    but planned to pays the cap M P; one that planned nothing, P (as
    "Prices paid"; the section on substitution names only the cap).
20. Exits.  The run below the unit cost counts months open; the run above
    it months closed (the months before closing were below, so no run
    spans a closing).  At the end of month t an open producer whose run
    below reaches exit_after_months is closed from t + 1 (t_c); a closed
    one reopens from t + 1 once t - t_c + 1 >= restart_months and its run
    above is >= 3 (this gives the document's months 12-35, and 25 months
    for exit 5 / restart 10 over 40 months).  Both runs restart at 0 on
    closing and on reopening.  A closed converter keeps its stocks, and a
    closed producer may still sell its output stock.  A node that the mix
    does not have never closes; an open producer with no capacity in a
    month (a project not yet online, a total outage) neither extends nor
    ends its run below (docs/model.md, "Producers that exit").
21. Costs.  Capex parts that fall after the horizon (a lead time beyond
    T) are not counted: the months 0 ... T-1 are.  subsidy_per_unit is
    paid on production (what the project "produces"), not sales.  A
    stockpile's refill costs its amount x the node's average delivered
    price that month (the refill shares it with the need); holding is on
    the end-of-month level, discounted with that month; the level left
    after month T-1 is credited at P (1 + r)^(-T/12).  A floor pays
    (F - p) on market and offtake sales while p < F.  Tariff revenue: a
    buyer's tariffs go to its country if that country has a demand node.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import yaml

KINDS = ("mine", "refiner", "plant", "demand")
NEWTON_TOL = 1e-10       # max |Phi| at which a clearing is solved
NEWTON_MAXIT = 100       # Newton iterations per commodity-month, at most
NEWTON_HALVINGS = 30     # step halvings per iteration, at most
NEWTON_REG = 1e-12       # added to the Jacobian's diagonal
AT_BOUND = 1e-9          # an unknown this close to a bound is at it
FLAT_TOL = 1e-9          # a Jacobian row below this is flat
ROUNDS_MAX = 200         # rationing rounds per commodity-month, at most
MOVE_TOL = 1e-9          # unfilled orders below this share of a buyer's
                         # market plan are not offered again
RATION_TOL = 1e-6        # unmet (or rationed) need at most this share of
                         # the need counts as none (docs/model.md)
CALM_TOL = 1e-6          # a price within this of the reference is calm
UNBOUNDED = ("tariff", "surge")   # levels >= 0; other severities in [0, 1]
COST_KINDS = ("stockpile", "offtake", "new_capacity", "recycling",
              "demand_reduction", "price_floor")
REOPEN_RUN = 3           # months in a row above unit cost before reopening


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

    def mean(self):
        """The distribution's mean (a random policy-tariff rate in the
        reference month: interpretation 12 of the list at the top)."""
        p, k = self.p, self.kind
        return {"fixed": lambda: p.get("value"),
                "uniform": lambda: (p["min"] + p["max"]) / 2,
                "exponential": lambda: p["mean"],
                "lognormal": lambda: p["median"] * math.exp(p["sigma"] ** 2 / 2),
                "gamma": lambda: p["shape"] * p["scale"],
                "beta": lambda: p["a"] / (p["a"] + p["b"]),
                "weibull": lambda: p["scale"] * math.gamma(1 + 1 / p["shape"]),
                "triangular": lambda: (p["min"] + p["mode"] + p["max"]) / 3,
                }[k]()


def c_round(x):
    """C's round(): halves away from zero (numpy rounds halves to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


class Scenario:
    """A scenario file compiled into flat arrays (nodes, links, shocks)."""

    def __init__(self, path):
        with open(path) as fh:
            y = yaml.safe_load(fh)
        self.name = y["name"]
        self.currency = str(y.get("currency", "USD"))
        self.T = int(y.get("horizon_months", 60))
        self.seed = int(y.get("seed", 1))
        self.trials = int(y.get("trials", 10000))
        self.blocs = {b: list(m) for b, m in (y.get("blocs") or {}).items()}

        coms = y["commodities"]
        self.com_ids = [c["id"] for c in coms]
        self.com = {c: i for i, c in enumerate(self.com_ids)}
        # sigma: substitution_elasticity, or its version-1 name
        self.sigma = np.array([float(c.get("substitution_elasticity",
                                           c.get("tariff_elasticity", 3)))
                               for c in coms])
        self.price = np.array([float(c.get("price", 1)) for c in coms])
        self.beta = np.array([float(c.get("supply_elasticity", 1)) for c in coms])
        self.cap_mult = np.array([float(c.get("price_cap", 10)) for c in coms])
        self.dem_eps = [None if c.get("demand_elasticity") is None
                        else float(c["demand_elasticity"]) for c in coms]
        # lasting substitution (elasticity, adjust_months, revert_months)
        self.subst = [None if c.get("substitution") is None else
                      (float(c["substitution"]["elasticity"]),
                       float(c["substitution"]["adjust_months"]),
                       float(c["substitution"]["revert_months"])) for c in coms]
        self.discount = float(y.get("discount_rate", 0.03))

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
            [self.regions.index(self.country[j]) for j in self.demand], int)

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
        self._groups()
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
        # buyers' short-run price elasticity: the node's, else its input
        # commodity's demand_elasticity, else 0.2 (demand) or 0.1 (converter)
        eps = []
        for (d, _), inp in zip(raw, self.input):
            if inp < 0:
                eps.append(0.0)
            elif "elasticity" in d:
                eps.append(float(d["elasticity"]))
            elif self.dem_eps[inp] is not None:
                eps.append(self.dem_eps[inp])
            else:
                eps.append(0.2 if d["kind"] == "demand" else 0.1)
        self.eps = np.array(eps)
        self.inv_months = np.array([float(d.get("inventory_months", 0))
                                    for d, _ in raw])
        self.inv_refill = np.array([float(d.get("inventory_refill_months", 12))
                                    for d, _ in raw])
        self.release_price = np.array([float(d.get("release_price", 1.5))
                                       for d, _ in raw])
        # producers that exit: unit cost (NaN: none), months below it
        # before closing, months closed at least before reopening
        self.unit_cost = np.array([float(d["unit_cost"]) if "unit_cost" in d
                                   else np.nan for d, _ in raw])
        self.exit_after = np.array([int(d.get("exit_after_months", 12))
                                    for d, _ in raw])
        self.restart = np.array([int(d.get("restart_months", 24)) for d, _ in raw])
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
        self.link_foreign = np.array([self.country[a] != self.country[b]
                                      for a, b in zip(frm, to)], bool)

    def cset(self, v):
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
            elif s["kind"] in ("outage", "surge"):
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

    # -- quota groups: one per export restriction and commodity it covers
    def _groups(self):
        self.groups = []            # (shock, commodity, links)
        for k, s in enumerate(self.shocks):
            if s["kind"] != "export_restriction":
                continue
            ls = s["links"]
            for c in sorted(set(self.link_com[ls].tolist())):
                self.groups.append((k, c, ls[self.link_com[ls] == c]))

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
                shock_on=np.array([s["policy"] < 0 for s in self.shocks], bool),
                hmult=np.ones(K), built=self.built_by < 0,
                project={}, stock={}, offtake=[],
                recycle=np.zeros(n), ramp=np.zeros(n), reduce=np.zeros(n),
                # costs (docs/model.md, "What policies cost") and floors
                hold={}, rcost=np.zeros(n), dcost=np.zeros(n),
                capex=np.zeros(n), subsidy=np.zeros(n), floor=np.zeros(n))
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
                    rp = float(iv.get("release_price", self.release_price[j]))
                    d["stock"][j] = (init, cap, rel, ref, rp)
                    d["hold"][j] = float(iv.get("holding_cost", 0.02))
                elif k == "offtake":
                    b, s = self.node[iv["buyer"]], self.node[iv["supplier"]]
                    l = np.flatnonzero((self.link_from == s) & (self.link_to == b))
                    d["offtake"].append((int(l[0]), float(iv["share"]),
                                         float(iv.get("premium", 0))))
                elif k == "new_capacity":
                    i = self.node[iv["node"]["id"]]
                    d["built"] = d["built"].copy()
                    d["built"][i] = True
                    d["project"][i] = (Dist(iv["lead_time_months"]),
                                       float(iv.get("ramp_months", 0)),
                                       float(iv.get("completion_probability", 1)))
                    d["capex"][i] = float(iv.get("capex", 0))
                    d["subsidy"][i] = float(iv.get("subsidy_per_unit", 0))
                elif k == "recycling":
                    j = self.node[iv["node"]]
                    d["recycle"][j] = float(iv["share"])
                    d["ramp"][j] = float(iv.get("ramp_months", 0))
                    d["rcost"][j] = float(iv.get("cost_per_unit", 0))
                elif k == "demand_reduction":
                    d["reduce"][self.node[iv["node"]]] = float(iv["share"])
                    d["dcost"][self.node[iv["node"]]] = float(iv.get("cost_per_unit", 0))
                elif k == "price_floor":
                    d["floor"][self.node[iv["node"]]] = float(iv["floor"])
                elif k == "tariff":
                    d["shock_on"][self.shock[iv["id"]]] = True
                elif k == "hazard_multiplier":
                    d["hmult"][self.shock[iv["shock"]]] *= float(iv["factor"])
            self.pols.append(d)
# ------------------------------------------------------------- the market

class Rows:
    """Per-row (trial x mix) inputs of one commodity's clearing; take(idx)
    gives the same for a subset of rows."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def take(self, idx):
        return Rows(**{k: v[idx] for k, v in self.__dict__.items()})


class Market:
    """One commodity: its suppliers S, buyers B and links L (sorted by
    buyer), its quota groups, and the clearing of docs/model.md "One month"
    step 2, vectorised over rows."""

    def __init__(self, sc, c, pols):
        self.c = c
        # nodes that exist in some mix run (a project of a mix not run
        # would only carry zeros)
        live = np.zeros(sc.n_nodes, bool)
        for p in pols:
            live |= sc.pols[p]["built"]
        self.S = np.flatnonzero((sc.output == c) & live)
        self.B = np.flatnonzero((sc.input == c) & live)
        L = np.flatnonzero(np.isin(sc.link_to, self.B) & np.isin(sc.link_from, self.S))
        to = np.searchsorted(self.B, sc.link_to[L])
        o = np.argsort(to, kind="stable")
        self.L, self.to = L[o], to[o]
        self.fr = np.searchsorted(self.S, sc.link_from[self.L])
        nS, nB, nL = len(self.S), len(self.B), len(self.L)
        self.nS, self.nB, self.nL = nS, nB, nL
        self.ar_l = np.arange(nL)
        self.ar_s = np.arange(nS)
        self.Ifr = np.zeros((nL, nS))
        self.Ifr[self.ar_l, self.fr] = 1
        self.Ito = np.zeros((nL, nB))
        self.Ito[self.ar_l, self.to] = 1
        # reduceat over the buyer-sorted links
        self.bstart = np.flatnonzero(np.r_[True, self.to[1:] != self.to[:-1]]) \
            if nL else np.zeros(0, int)
        self.bpresent = self.to[self.bstart] if nL else np.zeros(0, int)
        self.bfull = len(self.bpresent) == nB
        # quota groups of this commodity (global indices gids)
        self.gids = np.array([g for g, (k, cc, ls) in enumerate(sc.groups)
                              if cc == c], int)
        nG = len(self.gids)
        self.nG = nG
        self.Ginc = np.zeros((nG, nL))
        pos = {l: x for x, l in enumerate(self.L)}
        for x, g in enumerate(self.gids):
            for l in sc.groups[g][2]:
                if l in pos:
                    self.Ginc[x, pos[l]] = 1
        self.Gmask = self.Ginc > 0
        self.glinks = [np.flatnonzero(r) for r in self.Gmask]
        # The Jacobian's static parts.  C[l, k]: link l moves with unknown
        # k (its supplier's price, the premia of its groups) and counts in
        # equation k (its supplier's balance, its groups' flows).
        K = nS + nG
        C = np.concatenate([self.Ifr, self.Ginc.T], axis=1)
        self.IRB = (C[:, :, None] * self.Ito[:, None, :]).reshape(nL, K * nB)
        self.IBC = (self.Ito[:, :, None] * C[:, None, :]).reshape(nL, nB * K)
        IRC = (C[:, :, None] * C[:, None, :]).reshape(nL, K * K)
        self.irc_cols = np.flatnonzero(IRC.any(axis=0))     # (mostly zero)
        self.IRC = IRC[:, self.irc_cols]
        # the supplier equations' columns of IRB and IRC (rows k < nS), for
        # the orders a quota at its bound lets through (see phi)
        self.nsb = nS * nB
        self.irc_s = self.irc_cols < nS * K
        self.GincT = self.Ginc.T.copy()
        # pairs of groups that share links (the same flow when their
        # ordering links coincide)
        self.gpairs = [(g, h) for g in range(nG) for h in range(g + 1, nG)
                       if (self.Gmask[g] & self.Gmask[h]).any()]
        # commodity constants
        self.P = float(sc.price[c])
        self.M = float(sc.cap_mult[c])
        self.sigma = float(sc.sigma[c])
        self.beta = float(sc.beta[c])
        self.lo, self.hi = -math.log(self.M), math.log(self.M)
        self.logw = np.log(sc.link_w[self.L])
        self.eps = sc.eps[self.B]
        self.s_mine = sc.kind[self.S] == 0
        self.b_dem = sc.kind[self.B] == 3
        self.b_conv = ~self.b_dem
        dpos = np.full(sc.n_nodes, -1)
        dpos[sc.demand] = np.arange(len(sc.demand))
        self.b_dpos = dpos[self.B]
        # offtake contracts of the mixes run: link positions, share per mix
        offs = sorted({pos[l] for p in pols for l, _, _ in sc.pols[p]["offtake"]
                       if l in pos})
        self.off_pos = np.array(offs, int)
        self.off_share = np.zeros((len(pols), len(offs)))
        self.off_prem = np.zeros((len(pols), len(offs)))     # premium, share of p
        for q, p in enumerate(pols):
            for l, share, prem in sc.pols[p]["offtake"]:
                if l in pos:
                    self.off_share[q, offs.index(pos[l])] = share
                    self.off_prem[q, offs.index(pos[l])] = prem
        self.nO = len(offs)

    # -- sums and maxima over each buyer's links
    def bysum(self, x):
        y = np.add.reduceat(x, self.bstart, axis=1)
        if self.bfull:
            return y
        out = np.zeros((x.shape[0], self.nB) + x.shape[2:])
        out[:, self.bpresent] = y
        return out

    def bymax(self, x):
        y = np.maximum.reduceat(x, self.bstart, axis=1)
        if self.bfull:
            return y
        out = np.full((x.shape[0], self.nB), -np.inf)
        out[:, self.bpresent] = y
        return out

    # -- the market at given prices
    def demand(self, d, u, v):
        """Orders at log prices u [R,nS] and premia v [R,nG] (in units of
        P): licensed prices a, capped c, delivered q, shares s, average
        price pb, orders D per buyer and x per link."""
        eu = np.exp(u)
        a = eu[:, self.fr]
        if self.nG:
            a = a + v @ self.Ginc
        c = np.minimum(a, self.M)
        q = self.P * c * (1 + d.tau)
        lw = np.where(d.open, self.logw - self.sigma * np.log(q), -np.inf)
        mx = self.bymax(lw)
        mx = np.where(mx > -np.inf, mx, 0.0)
        om = np.exp(lw - mx[:, self.to])
        Zb = self.bysum(om)
        s = om / np.where(Zb > 0, Zb, 1.0)[:, self.to]
        pb = self.bysum(s * q)
        above = pb > self.P
        dm = np.where(above, (pb / self.P) ** np.where(above, -self.eps, 0.0), 1.0)
        D = np.where(Zb > 0, d.N * dm, 0.0)
        x = D[:, self.to] * s
        return dict(eu=eu, a=a, c=c, q=q, s=s, Zb=Zb, pb=pb, above=above, D=D, x=x)

    def vmax(self, d, a, v, arg=False):
        """The premium bound of each group: every licensed price of its
        ordering links at the cap (with arg, also the link that sets it)."""
        R = a.shape[0]
        lo = np.empty((R, self.nG))
        at = np.empty((R, self.nG), int)
        for g, ls in enumerate(self.glinks):
            if not len(ls):         # no link of the group in the mixes run
                lo[:, g], at[:, g] = np.inf, 0
                continue
            base = np.where(d.ordl[:, ls], a[:, ls] - v[:, g:g + 1], np.inf)
            lo[:, g] = base.min(axis=1)
            if arg:
                at[:, g] = ls[base.argmin(axis=1)]
        vm = np.maximum(0.0, self.M - lo)
        return (vm, at) if arg else vm

    def phi(self, d, u, v, jac=False):
        """The complementarity residual Phi (zero at a solution) and, with
        jac, its (generalised) Jacobian.  Supplier i: F_i = ln S_i(p_i) -
        ln X_i (log excess supply), Phi_i = u_i - clip(u_i - F_i, lo, hi).
        Group g: G_g = ln Q_g - ln flow_g (log slack), Phi_g = v_g -
        clip(v_g - G_g, 0, vmax_g)."""
        R = u.shape[0]
        m = self.demand(d, u, v)
        x = m["x"]
        # A quota over its limit lets through Q_g / flow_g of its links'
        # orders; only those count as orders for the exporters' output
        # (docs/model.md: the quota at its bound is filled in proportion).
        # At a solution a quota is over only at its premium bound, so the
        # factor applies there alone; between iterates it keeps Phi
        # continuous.  psi_l: the smallest factor of l's groups.
        psi = None
        if self.nG:
            Fg = x @ self.GincT
            over = d.actg & (Fg > d.Q)
            if over.any():
                fac = np.where(over, d.Q / np.where(over, Fg, 1.0), 1.0)
                fl = np.where(self.Gmask[None], fac[:, :, None], 1.0)
                gstar = fl.argmin(axis=1)
                psi = np.take_along_axis(fl, gstar[:, None, :], axis=1)[:, 0, :]
        X = (x if psi is None else x * psi) @ self.Ifr
        Xs = np.where(X > 0, X, 1.0)
        # a floored supplier offers at max(p, F) (docs/model.md, "Price
        # floors"): lf = ln(F/P), -inf without a floor
        lnS = np.log(np.where(d.A > 0, d.A, 1.0)) + self.beta * np.minimum(
            np.maximum(u, d.lf), 0)
        F = np.where(d.acts, lnS - np.log(Xs), 0.0)
        zu = u - F
        phu = np.where(d.acts, u - np.clip(zu, self.lo, self.hi), 0.0)
        free_u = d.acts & (zu > self.lo) & (zu < self.hi)
        if self.nG:
            Fgs = np.where(Fg > 0, Fg, 1.0)
            if d.actg.any():
                vm, lstar = self.vmax(d, m["a"], v, arg=True)
            else:
                vm, lstar = np.zeros((R, self.nG)), np.zeros((R, self.nG), int)
            G = np.where(d.actg, np.log(np.where(d.Q > 0, d.Q, 1.0)) - np.log(Fgs), 0.0)
            zv = v - G
            phv = np.where(d.actg, v - np.clip(zv, 0.0, vm), 0.0)
            free_v = d.actg & (zv > 0) & (zv < vm)
            up_v = d.actg & (zv >= vm) & (vm > 0)
            ph = np.concatenate([phu, phv], axis=1)
            free = np.concatenate([free_u, free_v], axis=1)
        else:
            ph, free = phu, free_u
        m.update(X=X, ph=ph)
        if not jac:
            return m
        nS, nG, nB = self.nS, self.nG, self.nB
        K = nS + nG
        # d ln q_l / d theta_k = g_l C[l, k] e_k, with g_l = 1/a_l (0 on a
        # capped link; the left derivative at the cap itself) and e = (p/P
        # for prices, 1 for premia).  d ln x_l / d ln q_m = -sigma (l == m)
        # + [same buyer] coef_m, coef_m = s_m (sigma - eps [pb > P]
        # ((1 - sigma) q_m / pb + sigma)).  So the Jacobian of the flows
        # d flow_row / d theta_k = sum_b FR[row, b] gb[b, k]
        #                          - sigma sum_l x_l g_l C[l, row] C[l, k] e_k
        # with FR the flows by equation and buyer and gb[b, k] = e_k
        # sum_{l to b} coef_l g_l C[l, k].
        gl = np.where(m["a"] <= self.M * (1 + 1e-12), 1.0 / m["a"], 0.0)
        e = np.concatenate([m["eu"], np.ones((R, nG))], axis=1)
        pbs = np.where(m["pb"] > 0, m["pb"], 1.0)
        epa = np.where(m["above"], self.eps, 0.0)
        coef = m["s"] * (self.sigma - epa[:, self.to] * (
            (1 - self.sigma) * m["q"] / pbs[:, self.to] + self.sigma))
        gb = ((coef * gl) @ self.IBC).reshape(R, nB, K) * e[:, None, :]
        own = np.zeros((R, K * K))
        if psi is None:
            FR = (x @ self.IRB).reshape(R, K, nB)
            own[:, self.irc_cols] = (x * gl) @ self.IRC
        else:
            # supplier equations count psi x (psi held fixed here), the
            # quota equations x
            xp = x * psi
            FR = np.concatenate([xp @ self.IRB[:, :self.nsb],
                                 x @ self.IRB[:, self.nsb:]], axis=1).reshape(R, K, nB)
            c_s, c_g = self.irc_cols[self.irc_s], self.irc_cols[~self.irc_s]
            own[:, c_s] = (xp * gl) @ self.IRC[:, self.irc_s]
            own[:, c_g] = (x * gl) @ self.IRC[:, ~self.irc_s]
        dflow = FR @ gb - self.sigma * own.reshape(R, K, K) * e[:, None, :]
        if psi is not None:
            # and psi's own change: d psi_l = -psi_l d ln flow_g* (g* the
            # group whose factor psi_l is, when below 1)
            w = np.where(psi < 1, x * psi / Fgs[np.arange(R)[:, None], gstar], 0.0)
            E = np.zeros((R, self.nL, nG))
            np.put_along_axis(E, gstar[:, :, None], w[:, :, None], axis=2)
            W = np.einsum("ls,rlg->rsg", self.Ifr, E)
            dflow[:, :nS, :] -= W @ dflow[:, nS:, :]
        if nG:
            tot = np.concatenate([Xs, Fgs], axis=1)
        else:
            tot = Xs
        J = -dflow / tot[:, :, None]
        J[:, self.ar_s, self.ar_s] += self.beta * ((u < 0) & (u > d.lf))
        eye = np.eye(K)
        J = np.where(free[:, :, None], J, eye[None])
        if nG and up_v.any():
            # at the premium bound Phi_g = a_l* - M (l*: the group's
            # lowest licensed price): the row is the gradient of a_l*
            r_, g_ = np.nonzero(up_v)
            ls_ = lstar[r_, g_]
            row = np.zeros((len(r_), K))
            row[np.arange(len(r_)), self.fr[ls_]] = m["eu"][r_, self.fr[ls_]]
            row[:, nS:] = self.Ginc[:, ls_].T
            J[r_, nS + g_, :] = row
        # A free unknown whose residual does not depend on anything (a
        # buyer that takes what it takes at any price) moves one unit
        # towards the bound its residual points to.
        flat = free & (np.abs(J).max(axis=2) < FLAT_TOL)
        rhs = -m["ph"]
        if flat.any():
            J = np.where(flat[:, :, None], eye[None], J)
            rhs = np.where(flat, -np.sign(m["ph"]), rhs)
        m["J"], m["rhs"] = J, rhs
        return m

    def project(self, d, u, v):
        u = np.clip(u, self.lo, self.hi)
        if self.nG:
            v = np.maximum(v, 0.0)
            eu = np.exp(u)
            a = eu[:, self.fr] + v @ self.Ginc
            v = np.where(d.actg, np.minimum(v, self.vmax(d, a, v)), 0.0)
        return u, v

    KEEP = ("x", "s", "D", "Zb", "c", "X", "a")   # what clear() uses

    def solve(self, d, u, v, st):
        """Semismooth Newton on Phi, rows vectorised, each row on its own
        step length: a price step is capped at a factor of e (1 in log
        price; premia are kept within [0, vmax] by the projection alone),
        projected into the bounds, and halved until the sum of squares of
        Phi falls (Armijo, 1e-4); a row whose halvings all fail takes the
        best of them if it is lower, else the full capped step (a flat
        region: a price walking to its bound).  Stops at max |Phi| <= TOL.
        Returns u, v, iterations and max |Phi| per row, and the market at
        the solution (the KEEP fields of phi)."""
        nS = self.nS
        m = self.phi(d, u, v)
        cur = {k: m[k] for k in self.KEEP}
        err = np.abs(m["ph"]).max(axis=1) if m["ph"].shape[1] else np.zeros(len(u))
        iters = np.zeros(len(u), int)
        work = np.flatnonzero(err > NEWTON_TOL)
        stale = []
        k = 0
        while work.size and k < NEWTON_MAXIT:
            k += 1
            dw = d.take(work)
            uw, vw = u[work], v[work]
            m = self.phi(dw, uw, vw, jac=True)
            ph = m["ph"]
            K = ph.shape[1]
            J = m["J"] + NEWTON_REG * np.eye(K)[None]
            try:
                step = np.linalg.solve(J, m["rhs"][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                step = np.einsum("rij,rj->ri", np.linalg.pinv(J), m["rhs"])
            du, dv = step[:, :nS], step[:, nS:]
            big = np.abs(du).max(axis=1) if nS else np.zeros(len(work))
            alpha = np.minimum(1.0, 1.0 / np.maximum(big, 1e-300))
            psi0 = (ph ** 2).sum(axis=1)
            nu, nv, nerr = uw.copy(), vw.copy(), np.zeros(len(work))
            bu, bv, bpsi, berr = uw.copy(), vw.copy(), psi0.copy(), np.zeros(len(work))
            fu, fv, ferr = uw.copy(), vw.copy(), np.zeros(len(work))
            pend = np.arange(len(work))
            for ls in range(NEWTON_HALVINGS):
                dp = dw.take(pend)
                cu, cv = self.project(dp, uw[pend] + alpha[pend, None] * du[pend],
                                      vw[pend] + alpha[pend, None] * dv[pend])
                cm = self.phi(dp, cu, cv)
                cph = cm["ph"]
                cpsi = (cph ** 2).sum(axis=1)
                cerr = np.abs(cph).max(axis=1)
                if ls == 0:
                    fu[pend], fv[pend], ferr[pend] = cu, cv, cerr
                better = cpsi < bpsi[pend]
                bi = pend[better]
                bu[bi], bv[bi], bpsi[bi], berr[bi] = (cu[better], cv[better],
                                                      cpsi[better], cerr[better])
                ok = cpsi <= (1 - 1e-4 * alpha[pend]) * psi0[pend]
                oi = pend[ok]
                nu[oi], nv[oi], nerr[oi] = cu[ok], cv[ok], cerr[ok]
                rows = work[oi]
                for key in self.KEEP:
                    cur[key][rows] = cm[key][ok]
                pend = pend[~ok]
                if not pend.size:
                    break
                alpha[pend] *= 0.5
            if pend.size:
                lower = bpsi[pend] < psi0[pend]
                li, fi = pend[lower], pend[~lower]
                nu[li], nv[li], nerr[li] = bu[li], bv[li], berr[li]
                nu[fi], nv[fi], nerr[fi] = fu[fi], fv[fi], ferr[fi]
                st["forced"] += len(fi)
                stale.append(work[pend])
            u[work], v[work] = nu, nv
            iters[work] += 1
            err[work] = nerr
            work = work[nerr > NEWTON_TOL]
        if stale:
            rows = np.unique(np.concatenate(stale))
            m = self.phi(d.take(rows), u[rows], v[rows])
            for key in self.KEEP:
                cur[key][rows] = m[key]
        return u, v, iters, err, cur

    def excess(self, d, u, v, m):
        """The relative excess the specification bounds (1e-9): at each
        supplier and quota group not at a bound, |orders/limit - 1|; at a
        bound, how far the inequality there is violated."""
        X = m["X"]
        Sp = d.A * np.minimum(1.0, np.exp(self.beta * np.minimum(
            np.maximum(u, d.lf), 0)))
        r = np.where(X > 0, X / np.where(Sp > 0, Sp, 1.0) - 1, -1.0)
        atlo = u <= self.lo + AT_BOUND
        athi = u >= self.hi - AT_BOUND
        e = np.where(atlo, np.maximum(r, 0), np.where(athi, np.maximum(
            1 - X / np.where(d.A > 0, d.A, 1.0), 0), np.abs(r)))
        e = np.where(d.acts, e, 0.0)
        worst = e.max(axis=1) if self.nS else np.zeros(len(u))
        if self.nG:
            Fg = m["x"] @ self.GincT
            vm = self.vmax(d, m["a"], v)
            rg = Fg / np.where(d.Q > 0, d.Q, 1.0) - 1
            eg = np.where(v >= vm - AT_BOUND, np.maximum(-rg, 0), np.where(
                v <= AT_BOUND, np.maximum(rg, 0), np.abs(rg)))
            eg = np.where(d.actg & (vm > AT_BOUND), eg, 0.0)   # vmax 0: v fixed
            worst = np.maximum(worst, eg.max(axis=1))
        return worst

    def ration(self, d, x, s):
        """Exact conservation, then rationing rounds: orders over a
        supplier's output left or a group's room left are filled in
        proportion (a link at the smaller of its factors); what is left
        unfilled is ordered again over the buyer's links that still have
        both, in proportion to the logit weights, all rows at once, until
        no buyer has more than MOVE_TOL of its market plan to move.
        Returns the filled flows [R, nL] and the rounds taken per row."""
        R = x.shape[0]
        filled_all = np.zeros_like(x)
        rounds = np.zeros(R, int)
        rows = np.arange(R)
        rem_s, A0 = d.A.copy(), d.A
        if self.nG:
            rem_g = np.where(d.actg_q, d.Q, np.inf)
            Q0 = np.where(d.actg_q, d.Q, 0.0)       # room threshold 1e-12 Q
        open_, N, sw = d.open, d.N, s
        orders = x
        for rnd in range(ROUNDS_MAX):
            rounds[rows] += 1
            ls = orders @ self.Ifr
            fs = np.where(ls > rem_s, rem_s / np.where(ls > 0, ls, 1.0), 1.0)
            fl = fs[:, self.fr]
            if self.nG:
                lg = orders @ self.GincT
                fg = np.where(lg > rem_g, rem_g / np.where(lg > 0, lg, 1.0), 1.0)
                fl = np.minimum(fl, np.where(self.Gmask[None], fg[:, :, None],
                                             1.0).min(axis=1))
            got = orders * fl
            filled_all[rows] += got
            rem_s = rem_s - got @ self.Ifr
            rem_s = np.where(rem_s > 1e-12 * A0, rem_s, 0.0)
            room = (rem_s > 0)[:, self.fr] & open_
            if self.nG:
                rem_g = rem_g - got @ self.GincT
                rem_g = np.where(rem_g > 1e-12 * Q0, rem_g, 0.0)
                room &= ~(((rem_g <= 0).astype(float) @ self.Ginc) > 0)
            unf = self.bysum(orders - got)
            w = np.where(room, sw, 0.0)
            Zb = self.bysum(w)
            move = (unf > MOVE_TOL * N) & (Zb > 0)
            mv = move.any(axis=1)
            if not mv.any():
                break
            k = np.flatnonzero(mv)
            rows = rows[k]
            unf, w, Zb, move = unf[k], w[k], Zb[k], move[k]
            rem_s, A0, open_, N, sw = rem_s[k], A0[k], open_[k], N[k], sw[k]
            if self.nG:
                rem_g, Q0 = rem_g[k], Q0[k]
            orders = np.where(move[:, self.to],
                              unf[:, self.to] * w / np.where(Zb > 0, Zb, 1.0)[:, self.to],
                              0.0)
        return filled_all, rounds

    def clear(self, A, N, tau, gact, Q, u, v, off_share, st, lf):
        """Clears the commodity on R rows.  A [R,nS] supply, N [R,nB]
        planned purchases, tau [R,nL], gact [R,nG] quota in force, Q [R,nG]
        quotas, u/v warm start (updated in place), lf [R,nS] ln(floor/P)
        (-inf: no floor).  Returns flows and prices per link and what each
        buyer ordered and gave up."""
        R, nL, nG = A.shape[0], self.nL, self.nG
        # Offtake first: share x A_i, scaled down to what the buyer plans,
        # the quota allows and the supplier has.
        off = np.zeros((R, nL))
        if self.nO:
            fr_o, to_o = self.fr[self.off_pos], self.to[self.off_pos]
            ask = off_share * A[:, fr_o]
            f = np.ones_like(ask)
            tb = ask @ self.Ito[self.off_pos]
            fb = np.where(tb > N, N / np.where(tb > 0, tb, 1.0), 1.0)
            f = np.minimum(f, fb[:, to_o])
            ts = ask @ self.Ifr[self.off_pos]
            fs = np.where(ts > A, A / np.where(ts > 0, ts, 1.0), 1.0)
            f = np.minimum(f, fs[:, fr_o])
            if nG:
                Gi = self.Ginc[:, self.off_pos]
                tg = ask @ Gi.T
                fg = np.where(gact & (tg > Q), Q / np.where(tg > 0, tg, 1.0), 1.0)
                f = np.minimum(f, np.where(Gi[None] > 0, fg[:, :, None], 1.0).min(axis=1))
            off[:, self.off_pos] = ask * f
        Ap = np.maximum(0.0, A - off @ self.Ifr)
        Np = np.maximum(0.0, N - off @ self.Ito)
        sup_ok = Ap > 1e-12 * A
        open_ = sup_ok[:, self.fr]
        if nG:
            Qp = np.where(gact, np.maximum(0.0, Q - off @ self.GincT), np.inf)
            closed = gact & ~(Qp > 1e-12 * Q)
            open_ = open_ & ~((closed.astype(float) @ self.Ginc) > 0)
        ordl = open_ & (Np > 0)[:, self.to]
        acts = sup_ok & ((ordl.astype(float) @ self.Ifr) > 0)
        # A supplier with nothing to sell in the market, or nobody who plans
        # to buy from it, keeps last month's price (the warm start: the
        # reference month's in month 0); its Phi row is 0, so the solver
        # leaves it there.
        u[:] = np.clip(u, self.lo, self.hi)
        if nG:
            actg = gact & ~closed & ((ordl.astype(float) @ self.GincT) > 0)
            # Two quotas on the same flow (the same ordering links): only
            # the smaller binds; the other's premium is 0 (its limit is
            # still held in the conservation pass).
            for g, h in self.gpairs:
                same = actg[:, g] & actg[:, h] & ~(
                    (self.Gmask[g] != self.Gmask[h])[None] & ordl).any(axis=1)
                if same.any():
                    drop_h = same & (Qp[:, h] >= Qp[:, g])
                    actg[:, h] &= ~drop_h
                    actg[:, g] &= ~(same & ~drop_h)
            d = Rows(A=Ap, N=Np, tau=tau, open=open_, ordl=ordl, acts=acts,
                     actg=actg, Q=np.where(gact, Qp, 1.0), lf=lf)
            v[:] = np.where(actg, v, 0.0)
            u[:], v[:] = self.project(d, u, v)
        else:
            d = Rows(A=Ap, N=Np, tau=tau, open=open_, ordl=ordl, acts=acts, lf=lf)
        iters, err = np.zeros(R, int), np.zeros(R)
        if R and (acts.any() or (nG and actg.any())):
            u[:], v[:], iters, err, m = self.solve(d, u, v, st)
        else:
            m = self.phi(d, u, v)
        exc = self.excess(d, u, v, m)
        if nG:
            d.actg_q = gact
            d.Q = Qp
        filled, rounds = self.ration(d, m["x"], m["s"])
        none = m["Zb"] <= 0
        D = np.where(none, Np, m["D"])            # no open link: all rationed
        p = self.P * np.exp(u)                     # supplier prices
        return dict(off=off, mkt=filled, Np=Np, D=D, pre_m=self.P * m["c"],
                    pre_o=p[:, self.fr], p=p, iters=iters, err=err, exc=exc,
                    rounds=rounds, Ap=Ap)
# ------------------------------------------------------------- simulation

class Model:
    """The scenario compiled for the mixes `pols` (indices), run on rows =
    mixes x trials (mix-major), every array [rows, ...]."""

    def __init__(self, sc, pols):
        self.sc, self.pols, self.P = sc, list(pols), len(pols)
        dem = sc.demand
        self.D, self.G, self.C = len(dem), len(sc.groups), len(sc.com_ids)
        self.gshock = np.array([k for k, _, _ in sc.groups], int)
        self.markets = [Market(sc, c, self.pols) for c in sc.order]
        self.need_base = sc.demand_month[dem][None, :] * (1 + sc.growth[dem]) ** (
            np.arange(sc.T)[:, None] / 12)                      # [T, D]
        self.vol = sc.volatility[dem]
        self.inv_size = sc.inv_months[dem] * sc.demand_month[dem]
        self.inv_rate = self.inv_size / sc.inv_refill[dem]
        self.node_rp = sc.release_price[dem]
        self.Pd = sc.price[sc.input[dem]]
        self.Md = sc.cap_mult[sc.input[dem]]
        kinds = [s["kind"] for s in sc.shocks]
        self.tarf = [k for k, s in enumerate(kinds) if s == "tariff"]
        self.outg = [k for k, s in enumerate(kinds) if s == "outage"]
        self.surg = [k for k, s in enumerate(kinds) if s == "surge"]
        # lasting substitution of each demand node's input commodity
        sub = [sc.subst[sc.input[j]] for j in dem]
        self.sub_on = np.array([x is not None for x in sub], bool)
        self.sub_e, self.sub_a, self.sub_r = (
            np.array([x[i] if x is not None else 1.0 for x in sub]) for i in range(3))
        # producers that may exit (a unit cost)
        self.exitn = np.flatnonzero(~np.isnan(sc.unit_cost) & (sc.kind != 3))
        # the region of each node (-1: its country has no demand node), for
        # tariff revenue
        self.node_region = np.array([sc.regions.index(c) if c in sc.regions else -1
                                     for c in sc.country], int)
        self.q = (1 + sc.discount) ** (-1 / 12)     # monthly discount factor
        self.tl = np.unique(np.concatenate([sc.shocks[k]["links"] for k in self.tarf]
                                           + [np.zeros(0, int)]))
        self.ref = self.reference()

    # -- what differs between mixes, one row per mix
    def mixes(self):
        sc, dem, n = self.sc, self.sc.demand, self.sc.n_nodes
        pl = [sc.pols[p] for p in self.pols]
        per = lambda f: np.array([f(d) for d in pl])
        x = dict(shock_on=per(lambda d: d["shock_on"]),
                 hmult=per(lambda d: d["hmult"]),
                 built=per(lambda d: d["built"]),
                 reduce=per(lambda d: d["reduce"][dem]),
                 rshare=per(lambda d: d["recycle"][dem]),
                 rramp=per(lambda d: d["ramp"][dem]),
                 has_sp=per(lambda d: np.array([j in d["stock"] for j in dem], bool)))
        sp = np.zeros((5, self.P, self.D))
        sp[2] = np.inf
        sp[4] = self.node_rp
        for q, d in enumerate(pl):
            for x_, j in enumerate(dem):
                if j in d["stock"]:
                    sp[:, q, x_] = d["stock"][j]
        for name, a in zip(("sp_init", "sp_cap", "sp_rel", "sp_ref", "sp_rp"), sp):
            x[name] = a
        is_proj = np.zeros((self.P, n), bool)
        for q, d in enumerate(pl):
            is_proj[q, list(d["project"])] = True
        x["is_proj"] = is_proj
        x["base_cap"] = np.where(x["built"] & ~is_proj, sc.cap_month, 0.0)
        x["floor"] = per(lambda d: d["floor"])
        x["hold"] = per(lambda d: np.array([d["hold"].get(j, 0.0) for j in dem]))
        x["rcost"] = per(lambda d: d["rcost"][dem])
        x["dcost"] = per(lambda d: d["dcost"][dem])
        x["capex"] = per(lambda d: d["capex"])
        x["subsidy"] = per(lambda d: d["subsidy"])
        return x

    def rows(self, N):
        rs = {k: np.repeat(v, N, axis=0) for k, v in self.mixes().items()}
        off = [(np.repeat(m.off_share, N, axis=0), np.repeat(m.off_prem, N, axis=0))
               for m in self.markets]
        return rs, off

    def init_state(self, rs, u0, v0, hist0):
        sc = self.sc
        R = rs["built"].shape[0]
        return dict(
            in_stock=np.where(rs["built"], sc.init_stock, 0.0),
            conv_recv=np.zeros((R, sc.n_nodes)),
            out_stock=np.zeros((R, sc.n_nodes)),
            inv=np.tile(self.inv_size, (R, 1)),
            sp=np.where(rs["has_sp"], rs["sp_init"], 0.0),
            calm=np.ones((R, self.D), bool),      # month -1 counts as calm
            u=u0, v=v0, Q=np.zeros((R, self.G)), hist=hist0,
            # producers that exit: closed now, months in a row below (open)
            # or above (closed) the unit cost, month of closing
            closed=np.zeros((R, sc.n_nodes), bool),
            below=np.zeros((R, sc.n_nodes), int),
            above=np.zeros((R, sc.n_nodes), int),
            closed_at=np.zeros((R, sc.n_nodes), int),
            # lasting substitution: the factor z and last month's price paid
            zsub=np.ones((R, self.D)), pbar=np.zeros((R, self.D)))

    def recycled_share(self, rs, t):
        r = rs["rramp"]
        return np.where(r > 0, rs["rshare"] * np.minimum(1, t / np.where(r > 0, r, 1)),
                        rs["rshare"])

    # -- the reference month of each mix
    def reference(self):
        """Month 0 of each mix with no shock episode, the mix's policy
        tariffs in force at month 0 (a random rate at its mean), no demand
        noise, stocks at their initial levels and no new capacity."""
        sc = self.sc
        rs, off = self.rows(1)
        R = self.P
        tau = np.zeros((R, len(sc.link_from)))
        for k in self.tarf:
            s = sc.shocks[k]
            if s["policy"] >= 0 and s["scheduled"] and s["start"] <= 0 < s["start"] + s["dur"]:
                rate = max(0.0, s["level"].mean())
                tau[:, s["links"]] += np.where(rs["shock_on"][:, k], rate, 0.0)[:, None]
        need = self.need_base[0] * (1 - rs["reduce"])
        ex = dict(f=np.ones((R, sc.n_nodes)), cap=rs["base_cap"], tau=tau,
                  gact=np.zeros((R, self.G), bool), need=need,
                  recycled=need * self.recycled_share(rs, 0))
        u0 = [np.zeros((R, m.nS)) for m in self.markets]
        v0 = [np.zeros((R, m.nG)) for m in self.markets]
        st = self.init_state(rs, u0, v0, None)
        acc = dict(forced=0)
        out = self.month(0, st, ex, rs, off, acc)
        return dict(gflow=out["gflow"], u=st["u"])

    # -- one month on every row
    def month(self, t, st, ex, rs, off, acc, tr=None):
        sc = self.sc
        R = ex["f"].shape[0]
        f, cap = ex["f"], ex["cap"]
        fcap = f * cap
        need, recycled = ex["need"], ex["recycled"]
        net = need - recycled
        calm = st["calm"]
        r_inv = np.where(calm, np.maximum(0.0, np.minimum(
            self.inv_rate, self.inv_size - st["inv"])), 0.0)
        r_sp = np.where(calm & rs["has_sp"], np.maximum(0.0, np.minimum(
            rs["sp_ref"], rs["sp_cap"] - st["sp"])), 0.0)
        plan_d = net + r_inv + r_sp
        Dn = self.D
        recv, cost, pre, tar = (np.zeros((R, Dn)) for _ in range(4))
        mplan, ordered = np.zeros((R, Dn)), np.zeros((R, Dn))
        gflow = np.zeros((R, self.G))
        idx = np.zeros((R, self.C))
        it_sum = np.zeros(R)
        it_max = np.zeros(R, int)
        err = np.zeros(R)
        exc = np.zeros(R)
        rounds = np.zeros(R, int)
        n = sc.n_nodes
        p_node = np.zeros((R, n))           # each producer's price
        prod_n = np.zeros((R, n))           # production
        sold_n = np.zeros((R, n))           # market and offtake sales
        pbar_d = np.zeros((R, Dn))          # demand nodes' average price paid
        prem_cost = np.zeros(R)             # offtake premia paid by the state
        floor_pay = np.zeros(R)             # price-floor payments
        tarrev = np.zeros((R, len(sc.regions)))
        trace = [] if tr is not None else None
        for ci, mk in enumerate(self.markets):
            S_, B_ = mk.S, mk.B
            # supply: production plus output stock
            fc = fcap[:, S_]
            conv = ~mk.s_mine
            if conv.any():
                Sc = S_[conv]
                stock = st["in_stock"][:, Sc] + st["conv_recv"][:, Sc]
                y = sc.yld[Sc]
                prod = np.minimum(fc[:, conv], y * stock)
                st["in_stock"][:, Sc] = np.maximum(0.0, stock - prod / y)
                st["conv_recv"][:, Sc] = 0.0
                fc = fc.copy()
                fc[:, conv] = prod
            A = fc + st["out_stock"][:, S_]
            prod_n[:, S_] = fc
            # price floors: the supplier offers at max(p, F)
            F = rs["floor"][:, S_]
            lf = np.where(F > 0, np.log(np.where(F > 0, F, 1.0) / mk.P), -np.inf)
            # planned purchases
            N = np.empty((R, mk.nB))
            if mk.b_dem.any():
                N[:, mk.b_dem] = plan_d[:, mk.b_dpos[mk.b_dem]]
            if mk.b_conv.any():
                jc = B_[mk.b_conv]
                per_in = cap[:, jc] / sc.yld[jc]
                N[:, mk.b_conv] = f[:, jc] * per_in + np.maximum(
                    0.0, sc.buffer[jc] * per_in - st["in_stock"][:, jc])
            gi = mk.gids
            tau = ex["tau"][:, mk.L]
            r = mk.clear(A, N, tau, ex["gact"][:, gi], st["Q"][:, gi],
                         st["u"][ci], st["v"][ci], off[ci][0], acc, lf)
            o, mf = r["off"], r["mkt"]
            flow = o + mf
            pre_l = mf * r["pre_m"] + o * r["pre_o"]
            recv_b = flow @ mk.Ito
            pre_b = pre_l @ mk.Ito
            cost_b = (pre_l * (1 + tau)) @ mk.Ito
            tar_b = (pre_l * tau) @ mk.Ito
            shipped = flow @ mk.Ifr
            st["out_stock"][:, S_] = np.minimum(sc.stock_cap[S_],
                                                np.maximum(0.0, A - shipped))
            p_node[:, S_], sold_n[:, S_] = r["p"], shipped
            # the state pays F - p on every unit sold while p < F, and the
            # premium x the supplier's price on what a contract ships
            floor_pay += (np.maximum(0.0, F - r["p"]) * shipped).sum(axis=1)
            if mk.nO:
                prem_cost += (off[ci][1] * o[:, mk.off_pos]
                              * r["p"][:, mk.fr[mk.off_pos]]).sum(axis=1)
            # tariffs paid by the buyers of each region (converters too)
            reg_b = self.node_region[B_]
            for x in np.flatnonzero(reg_b >= 0):
                tarrev[:, reg_b[x]] += tar_b[:, x]
            if mk.b_conv.any():
                st["conv_recv"][:, B_[mk.b_conv]] = recv_b[:, mk.b_conv]
            if mk.b_dem.any():
                bd, dp = mk.b_dem, mk.b_dpos[mk.b_dem]
                recv[:, dp], cost[:, dp] = recv_b[:, bd], cost_b[:, bd]
                pre[:, dp], tar[:, dp] = pre_b[:, bd], tar_b[:, bd]
                mplan[:, dp], ordered[:, dp] = r["Np"][:, bd], r["D"][:, bd]
            gflow[:, gi] = flow @ mk.GincT
            # receipt-weighted delivered price; no receipts: the cap; no
            # plan: the reference price (weight 0 in the index)
            pbar = np.where(recv_b > 0, cost_b / np.where(recv_b > 0, recv_b, 1.0),
                            np.where(N > 0, mk.M * mk.P, mk.P))
            if mk.b_dem.any():
                pbar_d[:, mk.b_dpos[mk.b_dem]] = pbar[:, mk.b_dem]
            W = N.sum(axis=1)
            idx[:, mk.c] = np.where(W > 0, (N * pbar).sum(axis=1) / np.where(
                W > 0, W, 1.0), mk.P)
            it_sum += r["iters"]
            it_max = np.maximum(it_max, r["iters"])
            err = np.maximum(err, r["err"])
            exc = np.maximum(exc, r["exc"])
            rounds = np.maximum(rounds, r["rounds"])
            if trace is not None:
                trace.append(self.trace_market(mk, tr, A, N, r, tau, recv_b, pbar,
                                               pre_b, tar_b, shipped, idx[:, mk.c],
                                               st["Q"][:, gi], ex["gact"][:, gi],
                                               st["v"][ci]))

        # 3. Demand: receipts cover need, then refills (inventory first)
        used = np.minimum(recv, net)
        extra = recv - used
        e_inv = np.minimum(extra, r_inv)
        e_sp = np.minimum(extra - e_inv, r_sp)
        st["inv"] = st["inv"] + e_inv
        st["sp"] = st["sp"] + e_sp
        U = net - used
        U = np.where(U <= RATION_TOL * need, 0.0, U)
        giveup = np.maximum(0.0, mplan - ordered)
        po = np.minimum(U, np.maximum(0.0, giveup - (r_inv + r_sp)))
        ra = U - po
        # a rationed part at most RATION_TOL of the need is what the
        # solver's tolerance left unfilled: it counts as priced out
        tiny = ra <= RATION_TOL * need
        po = np.where(tiny, U, po)
        ra = np.where(tiny, 0.0, ra)
        # average price before tariffs: no receipts, the cap; no plan, the
        # reference price (neither disrupted nor non-calm on that account)
        noplan = plan_d <= 0
        ppre = np.where(recv > 0, pre / np.where(recv > 0, recv, 1.0),
                        np.where(noplan, self.Pd, self.Md * self.Pd))
        rflag = ra > 0
        dis_inv = rflag | (ppre > self.node_rp * self.Pd)
        dis_sp = rflag | (ppre > rs["sp_rp"] * self.Pd)
        l_inv = np.where(dis_inv, np.minimum(U, st["inv"]), 0.0)
        st["inv"] = st["inv"] - l_inv
        l_sp = np.where(dis_sp & rs["has_sp"], np.minimum(
            np.minimum(U - l_inv, st["sp"]), rs["sp_rel"]), 0.0)
        st["sp"] = st["sp"] - l_sp
        short = U - l_inv - l_sp
        st["calm"] = ~rflag & (ppre <= self.Pd * (1 + CALM_TOL))
        out = dict(short=short, po=po, ra=ra, need=need,
                   cost=cost - self.Pd * recv, tariff=tar, idx=idx, gflow=gflow,
                   iters=it_sum, itmax=it_max, err=err, exc=exc, rounds=rounds,
                   p_node=p_node, prod=prod_n, sold=sold_n, pbar=pbar_d,
                   prem_cost=prem_cost, floor_pay=floor_pay, tarrev=tarrev,
                   refill_sp=e_sp)
        if trace is not None:
            out["trace"] = trace
            out["demand"] = {k: v[tr] for k, v in dict(
                need=need, recycled=recycled, plan=plan_d, received=recv,
                priced_out=po, rationed=ra, unmet=U, released_inventory=l_inv,
                released_stockpile=l_sp, shortfall=short, inventory=st["inv"],
                stockpile=st["sp"], price_paid=np.where(recv > 0, cost / np.where(
                    recv > 0, recv, 1.0), np.where(noplan, self.Pd, self.Md * self.Pd)),
                price_pre_tariff=ppre, tariff_paid=tar,
                buyer_cost=cost - self.Pd * recv).items()}
        return out

    def trace_market(self, mk, tr, A, N, r, tau, recv_b, pbar, pre_b, tar_b,
                     shipped, idx, Q, gact, v):
        sc = self.sc
        out = []
        for row in tr:
            recvr = recv_b[row]
            e = dict(commodity=sc.com_ids[mk.c], price_index=float(idx[row]),
                     iterations=int(r["iters"][row]), residual=float(r["err"][row]),
                     excess=float(r["exc"][row]), rounds=int(r["rounds"][row]))
            e["suppliers"] = {sc.node_ids[i]: dict(
                price=float(r["p"][row, x]), available=float(A[row, x]),
                sold=float(shipped[row, x]), unsold=float(A[row, x] - shipped[row, x]))
                for x, i in enumerate(mk.S)}
            e["buyers"] = {sc.node_ids[j]: dict(
                plan=float(N[row, x]), market_plan=float(r["Np"][row, x]),
                ordered=float(r["D"][row, x]), received=float(recvr[x]),
                price_paid=float(pbar[row, x]),
                price_pre_tariff=float(pre_b[row, x] / recvr[x]) if recvr[x] > 0 else None,
                tariff_paid=float(tar_b[row, x])) for x, j in enumerate(mk.B)}
            e["links"] = [dict(src=sc.node_ids[mk.S[mk.fr[x]]], dst=sc.node_ids[mk.B[mk.to[x]]],
                               offtake=float(r["off"][row, x]),
                               flow=float(r["off"][row, x] + r["mkt"][row, x]),
                               tau=float(tau[row, x]))
                          for x in range(mk.nL)]
            e["quotas"] = [dict(shock=sc.shock_ids[sc.groups[g][0]], active=bool(gact[row, x]),
                                quota=float(Q[row, x]),
                                flow=float(((r["off"][row] + r["mkt"][row]) * mk.Ginc[x]).sum()),
                                premium=float(v[row, x] * mk.P))
                           for x, g in enumerate(mk.gids)]
            out.append(e)
        return out

    # -- trials
    def run(self, N, rng, trace=False):
        """N trials of every mix on common random numbers.  Returns per-trial
        results [P, N, ...] (and, with trace, trial 0's months per mix)."""
        sc, P, T, K, n = self.sc, self.P, self.sc.T, self.sc.K, self.sc.n_nodes
        R = P * N
        rep = lambda a: np.tile(a, P) if a.ndim == 1 else np.tile(a, (P, 1))
        rs, off = self.rows(N)
        shock_on, hmult = rs["shock_on"], rs["hmult"]

        # Projects: one lead time and completion per trial and node, shared.
        proj_nodes = sorted({i for p in self.pols for i in sc.pols[p]["project"]})
        proj = {}
        for i in proj_nodes:
            spec = next(sc.pols[p]["project"][i] for p in self.pols
                        if i in sc.pols[p]["project"])
            comp = rng.random(N) < spec[2]
            lead = np.maximum(0, c_round(spec[0].sample(rng, N)))
            proj[i] = (rep(comp), rep(lead), spec[1])
        is_proj = rs["is_proj"]

        # Scheduled severities and rates, once per trial.
        sched_level = np.zeros((R, K))
        for k, s in enumerate(sc.shocks):
            if s["scheduled"]:
                v = s["level"].sample(rng, N)
                sched_level[:, k] = rep(np.maximum(v, 0) if s["kind"] in UNBOUNDED
                                        else np.clip(v, 0, 1))

        ref = self.ref
        u0 = [np.repeat(u, N, axis=0) for u in ref["u"]]
        v0 = [np.zeros((R, m.nG)) for m in self.markets]
        hist = np.repeat(ref["gflow"], N, axis=0)[:, :, None].repeat(12, axis=2)
        st = self.init_state(rs, u0, v0, hist)
        active = np.zeros((R, K), bool)
        lvl = np.zeros((R, K))
        ep_end = np.zeros((R, K), int)
        regime = np.full(N, sc.reg["start"]) if sc.reg else None
        Dn = self.D
        acc = dict(forced=0)
        res = dict(short=np.zeros((R, Dn)), po=np.zeros((R, Dn)),
                   ra=np.zeros((R, Dn)), cost=np.zeros((R, Dn)),
                   tariff=np.zeros((R, Dn)), need=np.zeros((R, Dn)),
                   psum=np.zeros((R, self.C)), pmax=np.full((R, self.C), -np.inf),
                   active=np.zeros((R, K)), iters=np.zeros(R),
                   itmax=np.zeros(R, int), err=np.zeros(R),
                   exc=np.zeros(R), rounds=np.zeros(R, int),
                   subst=np.zeros((R, Dn)), closed=np.zeros((R, len(self.exitn))),
                   pcost=np.zeros((R, len(COST_KINDS))),
                   tarrev=np.zeros((R, len(sc.regions))))
        noisy = self.vol > 0
        tr = [q * N for q in range(P)] if trace else None
        months = [[] for _ in range(P)]
        for t in range(T):
            # 1. Shocks: regime step, episodes, then f, quotas, tau.
            if sc.reg is not None and t > 0:
                u = rng.random(N)
                Rg = sc.reg
                ok = (u[:, None] < Rg["cum"][regime]) & (Rg["P"][regime] > 0)
                regime = np.where(ok.any(1), ok.argmax(1), Rg["last"][regime])
            prev = active
            active = np.zeros((R, K), bool)
            onset = np.zeros((R, K), bool)
            for k, s in enumerate(sc.shocks):
                if s["scheduled"]:
                    on = shock_on[:, k] & (s["start"] <= t < s["start"] + s["dur"])
                    active[:, k] = on
                    onset[:, k] = on & (t == s["start"])
                    lvl[:, k] = np.where(on, sched_level[:, k], 0.0)
                    continue
                ongoing = shock_on[:, k] & (t < ep_end[:, k])
                new = np.zeros(R, bool)
                if s["hazard"] > 0:
                    m = hmult[:, k].copy()
                    if sc.reg is not None:
                        m *= rep(sc.reg["mult"][regime, k])
                    if t > 0:
                        for w, r_, fct in sc.triggers:
                            if r_ == k:
                                m = np.where(prev[:, w], m * fct, m)
                    p = -np.expm1(-s["hazard"] * m / 12)
                    u = rep(rng.random(N))
                    new = shock_on[:, k] & ~ongoing & (p > 0) & (u < p)
                    # Duration and severity are drawn for the trials in which
                    # any mix has an onset, the same draw for every mix.
                    hit = np.flatnonzero(new.reshape(P, N).any(axis=0))
                    if len(hit):
                        dur = np.zeros(N)
                        v = np.zeros(N)
                        dur[hit] = np.clip(c_round(s["duration"].sample(
                            rng, len(hit))), 1, T)
                        x = s["level"].sample(rng, len(hit))
                        v[hit] = (np.maximum(x, 0) if s["kind"] in UNBOUNDED
                                  else np.clip(x, 0, 1))
                        ep_end[:, k] = np.where(new, t + rep(dur), ep_end[:, k])
                        lvl[:, k] = np.where(new, rep(v), lvl[:, k])
                active[:, k] = ongoing | new
                onset[:, k] = new
            res["active"] += active
            sev = np.where(active, lvl, 0.0)
            f = np.ones((R, n))
            for k in self.outg:
                f[:, sc.shocks[k]["nodes"]] *= (1 - sev[:, k])[:, None]
            for k in self.surg:
                f[:, sc.shocks[k]["nodes"]] *= (1 + sev[:, k])[:, None]
            # quotas fixed at onset from the last twelve months' group flows
            if self.G:
                gk = self.gshock
                new_q = onset[:, gk]
                if new_q.any():
                    Rg_ = st["hist"].mean(axis=2)
                    st["Q"] = np.where(new_q, (1 - sev[:, gk]) * Rg_, st["Q"])
                gact = active[:, gk]
            else:
                gact = np.zeros((R, 0), bool)
            tau = np.zeros((R, len(sc.link_from)))
            for k in self.tarf:
                tau[:, sc.shocks[k]["links"]] += sev[:, k][:, None]

            # Capacities (new facilities ramp) and needs.
            cap = rs["base_cap"].copy()
            for i, (comp, lead, ramp) in proj.items():
                x = np.clip((t - lead + 1) / max(1.0, ramp), 0, 1)
                cap[:, i] = np.where(is_proj[:, i] & comp, sc.cap_month[i] * x, cap[:, i])
            # a closed producer has no capacity (and a closed converter so
            # plans no input)
            cap = np.where(st["closed"], 0.0, cap)
            z = np.ones(Dn)
            if noisy.any():
                zz = rng.standard_normal((N, Dn))
                z = rep(np.where(noisy, np.exp(self.vol * zz - self.vol ** 2 / 2), 1.0))
            need_pre = self.need_base[t] * z          # before demand reduction
            need_red = need_pre * (1 - rs["reduce"])
            # Lasting substitution: from month 1, z moves 1/a of the way
            # towards a lower target min(1, (Pbar_{t-1}/P)^-e), 1/r towards
            # a higher one.
            if t > 0 and self.sub_on.any():
                zs = st["zsub"]
                tgt = np.minimum(1.0, (st["pbar"] / self.Pd) ** -self.sub_e)
                zs = np.where(tgt < zs, zs + (tgt - zs) / self.sub_a,
                              zs + (tgt - zs) / self.sub_r)
                st["zsub"] = np.where(self.sub_on, zs, 1.0)
            need = need_red * st["zsub"]
            ex = dict(f=f, cap=cap, tau=tau, gact=gact, need=need,
                      recycled=need * self.recycled_share(rs, t))

            # 2.-3. Markets and demand.
            out = self.month(t, st, ex, rs, off, acc, tr)
            st["pbar"] = out["pbar"]
            res["subst"] += need_red - need

            # Public costs of the month, discounted to month 0.
            disc = self.q ** t
            pc = np.zeros((R, len(COST_KINDS)))
            sp_cost = (rs["hold"] * self.Pd / 12 * st["sp"]
                       + out["refill_sp"] * out["pbar"]).sum(axis=1)
            if t == 0:
                sp_cost += (np.where(rs["has_sp"], rs["sp_init"], 0.0)
                            * self.Pd).sum(axis=1)
            pc[:, 0] = sp_cost
            pc[:, 1] = out["prem_cost"]
            for i, (comp, lead, ramp) in proj.items():
                yearly = sc.capacity[i]
                pay = np.where(lead > 0, np.where(t < lead, yearly / np.maximum(lead, 1), 0.0),
                               yearly if t == 0 else 0.0)
                pc[:, 2] += is_proj[:, i] * (rs["capex"][:, i] * pay
                                             + rs["subsidy"][:, i] * out["prod"][:, i])
            pc[:, 3] = (rs["rcost"] * ex["recycled"]).sum(axis=1)
            pc[:, 4] = (rs["dcost"] * rs["reduce"] * need_pre).sum(axis=1)
            pc[:, 5] = out["floor_pay"]
            res["pcost"] += disc * pc
            res["tarrev"] += disc * out["tarrev"]
            closed_now = st["closed"].copy()

            # Producers that exit: the price received (the world index of
            # the output while closed), at least the floor, against the unit
            # cost; closed from the month after exit_after_months below it,
            # open again from the month after restart_months closed and
            # REOPEN_RUN months above it.
            if len(self.exitn):
                xi = self.exitn
                clo = st["closed"][:, xi]
                res["closed"] += clo
                prc = np.where(clo, out["idx"][:, sc.output[xi]], out["p_node"][:, xi])
                prc = np.maximum(prc, rs["floor"][:, xi])
                c_ = sc.unit_cost[xi]
                # A month without capacity (a project not yet online, a
                # total outage) neither extends nor ends the run below.
                live = cap[:, xi] * f[:, xi] > 0
                below = np.where(~clo & ~live, st["below"][:, xi],
                                 np.where(~clo & (prc < c_), st["below"][:, xi] + 1, 0))
                above = np.where(clo & (prc > c_), st["above"][:, xi] + 1, 0)
                shut = ~clo & (below >= sc.exit_after[xi]) & rs["built"][:, xi]
                reopen = clo & (t - st["closed_at"][:, xi] + 1 >= sc.restart[xi]) & (
                    above >= REOPEN_RUN)
                st["closed"][:, xi] = (clo & ~reopen) | shut
                st["closed_at"][:, xi] = np.where(shut, t + 1, st["closed_at"][:, xi])
                st["below"][:, xi] = np.where(shut | reopen, 0, below)
                st["above"][:, xi] = np.where(shut | reopen, 0, above)
            if self.G:
                st["hist"][:, :, t % 12] = out["gflow"]
            for k_ in ("short", "po", "ra", "cost", "tariff", "need"):
                res[k_] += out[k_ if k_ != "need" else "need"]
            res["psum"] += out["idx"]
            res["pmax"] = np.maximum(res["pmax"], out["idx"])
            res["iters"] += out["iters"]
            res["itmax"] = np.maximum(res["itmax"], out["itmax"])
            res["err"] = np.maximum(res["err"], out["err"])
            res["exc"] = np.maximum(res["exc"], out["exc"])
            res["rounds"] = np.maximum(res["rounds"], out["rounds"])
            if trace:
                for q in range(P):
                    months[q].append(dict(
                        month=t,
                        active=[sc.shock_ids[k] for k in range(K) if active[tr[q], k]],
                        commodities={e[q]["commodity"]: e[q] for e in out["trace"]},
                        demand={sc.node_ids[j]: dict(
                            {k_: float(v[q, x]) for k_, v in out["demand"].items()},
                            substituted=float((need_red - need)[tr[q], x]),
                            z_substitution=float(st["zsub"][tr[q], x]))
                                for x, j in enumerate(sc.demand)},
                        producers={sc.node_ids[i]: dict(
                            closed=bool(closed_now[tr[q], i]),
                            price=float(out["p_node"][tr[q], i]),
                            production=float(out["prod"][tr[q], i]),
                            sold=float(out["sold"][tr[q], i]),
                            capacity_factor=float(f[tr[q], i]))
                            for i in range(n) if sc.kind[i] != 3},
                        public_cost=dict(zip(COST_KINDS, map(float, (disc * pc)[tr[q]])))))
        # the stockpile left at the horizon, credited at P from month T
        res["pcost"][:, 0] -= self.q ** T * (st["sp"] * self.Pd).sum(axis=1)
        res["pmean"] = res["psum"] / T
        res["forced"] = acc["forced"]
        shaped = {k: (v.reshape((P, N) + v.shape[1:]) if isinstance(v, np.ndarray)
                      else v) for k, v in res.items()}
        if trace:
            shaped["months"] = months
        return shaped
# ---------------------------------------------------------------- output

def mean_se(x):
    """Mean and standard error over the first axis (n - 1 in the sd)."""
    n = x.shape[0]
    sd = x.std(axis=0, ddof=1) if n > 1 else np.zeros(x.shape[1:])
    return x.mean(axis=0), sd / math.sqrt(n)


def ms(m, s):
    return dict(mean=float(m), se=float(s))


def cost_per_avoided(dC, dS):
    """R = mean(dC) / mean(dS) over paired trials and its delta-method
    standard error (docs/model.md, "What policies cost"); NaN where the mix
    avoids nothing on average."""
    n = len(dC)
    mC, mS = dC.mean(), dS.mean()
    if not mS > 0:
        return dict(mean=float("nan"), se=float("nan"))
    r = mC / mS
    if n < 2:
        return dict(mean=float(r), se=0.0)
    vC, vS = dC.var(ddof=1), dS.var(ddof=1)
    cov = ((dC - mC) * (dS - mS)).sum() / (n - 1)
    var = max(0.0, vC - 2 * r * cov + r * r * vS)
    return dict(mean=float(r), se=float(math.sqrt(var / (n * mS * mS))))


def by_region_world(sc, x):
    """Per-trial [N, D] -> {region: {mean, se}}, {mean, se} of the world."""
    R = len(sc.regions)
    reg = np.zeros((x.shape[0], R))
    for d in range(len(sc.demand)):
        reg[:, sc.demand_region[d]] += x[:, d]
    rm, rs = mean_se(reg)
    wm, ws = mean_se(x.sum(axis=1)[:, None])
    return ({g: ms(rm[i], rs[i]) for i, g in enumerate(sc.regions)},
            ms(wm[0], ws[0]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("-n", type=int, default=None, help="trials")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--policy", action="append", default=[],
                    help="policy mix (repeatable; the baseline always runs)")
    ap.add_argument("--chunk", type=int, default=1024,
                    help="trials simulated at once: bounds memory, and "
                    "small blocks stay in cache")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--trace", action="store_true",
                    help="print trial 0 of every mix run, month by month "
                    "(prices, flows, quotas, demand), as JSON; -n defaults to 1")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    sc = Scenario(a.scenario)
    N = a.n if a.n is not None else (1 if a.trace else sc.trials)
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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        model = Model(sc, pols)
        if a.trace:
            r = model.run(N, rng, trace=True)
            out = dict(scenario=sc.name, currency=sc.currency, market_version=2,
                       commodities={c: dict(price=float(sc.price[i]),
                                            price_cap=float(sc.cap_mult[i]))
                                    for i, c in enumerate(sc.com_ids)},
                       policies={sc.pol_names[p]: dict(months=r["months"][q])
                                 for q, p in enumerate(pols)})
            json.dump(out, sys.stdout, indent=1)
            print()
            return 0
        t1 = time.perf_counter()
        parts = []
        done = 0
        while done < N:
            n = min(a.chunk, N - done)
            parts.append(model.run(n, rng))
            done += n
        t2 = time.perf_counter()
    res = {k: np.concatenate([p[k] for p in parts], axis=1)
           for k, v in parts[0].items() if isinstance(v, np.ndarray)}
    forced = sum(p["forced"] for p in parts)
    C = len(sc.com_ids)
    T = sc.T

    def solver(sl):
        return dict(max_residual=float(res["err"][sl].max()),
                    max_excess=float(res["exc"][sl].max()),
                    mean_iterations=float(res["iters"][sl].sum()
                                          / (res["iters"][sl].size * T * C)),
                    max_iterations=int(res["itmax"][sl].max()),
                    max_rationing_rounds=int(res["rounds"][sl].max()))

    out = dict(scenario=sc.name, trials=N, seed=seed, horizon_months=sc.T,
               loop_seconds=t2 - t1, seconds=time.perf_counter() - t0,
               market_version=2, currency=sc.currency,
               regions=sc.regions, shocks=sc.shock_ids, commodities=sc.com_ids,
               solver=dict(solver(slice(None)), forced_steps=int(forced)),
               policies={})
    for q, p in enumerate(pols):
        po = {}
        for key, name in (("short", "shortfall_cum"), ("po", "priced_out_cum"),
                          ("ra", "rationed_cum"), ("cost", "buyer_cost"),
                          ("tariff", "tariff_paid_cum")):
            po[name + "_region"], po[name + "_world"] = by_region_world(sc, res[key][q])
        am, as_ = mean_se(res["active"][q])
        po["months_active"] = {s: ms(am[k], as_[k]) for k, s in enumerate(sc.shock_ids)}
        pm, ps = mean_se(res["pmean"][q])
        km, ks = mean_se(res["pmax"][q])
        po["price_mean"] = {c: ms(pm[i], ps[i]) for i, c in enumerate(sc.com_ids)}
        po["price_peak"] = {c: ms(km[i], ks[i]) for i, c in enumerate(sc.com_ids)}
        po["substituted_cum_region"], po["substituted_cum_world"] = by_region_world(
            sc, res["subst"][q])
        # public cost by kind and in total, tariff revenue per region,
        # months closed per producer with a unit cost
        pcost = res["pcost"][q]
        tot = pcost.sum(axis=1)
        cm, cs = mean_se(np.concatenate([pcost, tot[:, None]], axis=1))
        po["public_cost"] = {k: ms(cm[i], cs[i])
                             for i, k in enumerate(COST_KINDS + ("total",))}
        rm_, rs_ = mean_se(res["tarrev"][q])
        po["tariff_revenue"] = {g: ms(rm_[i], rs_[i]) for i, g in enumerate(sc.regions)}
        xm, xs = mean_se(res["closed"][q])
        po["closed_months"] = {sc.node_ids[i]: ms(xm[k], xs[k])
                               for k, i in enumerate(model.exitn)}
        if q > 0:
            po["cost_per_avoided"] = cost_per_avoided(
                tot - res["pcost"][0].sum(axis=1),
                res["short"][0].sum(axis=1) - res["short"][q].sum(axis=1))
        po["solver"] = solver(q)
        out["policies"][sc.pol_names[p]] = po
    if a.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print(f"{sc.name}: {N} trials x {sc.T} months, seed {seed}, "
          f"{len(pols)} mix(es), NumPy {np.__version__}, "
          f"{t2 - t1:.2f} s ({N / (t2 - t1):.0f} trials/s)")
    s = out["solver"]
    print(f"solver: {s['mean_iterations']:.3f} Newton iterations per "
          f"commodity-month (at most {s['max_iterations']}), largest |Phi| "
          f"{s['max_residual']:.2g}, largest relative excess {s['max_excess']:.2g}, "
          f"at most {s['max_rationing_rounds']} rationing rounds")
    print(f"{'policy':16} {'region':10} {'shortfall':>12} {'± se':>9} "
          f"{'priced out':>12} {'rationed':>12} {'buyer cost':>12}")
    for name, po in out["policies"].items():
        rows = [(g, po["shortfall_cum_region"][g], po["priced_out_cum_region"][g],
                 po["rationed_cum_region"][g], po["buyer_cost_region"][g])
                for g in sc.regions] + [("world", po["shortfall_cum_world"],
                                         po["priced_out_cum_world"],
                                         po["rationed_cum_world"],
                                         po["buyer_cost_world"])]
        for i, (g, v, x, y, z) in enumerate(rows):
            print(f"{name if i == 0 else '':16} {g:10} {v['mean']:12.4g} "
                  f"{v['se']:9.2g} {x['mean']:12.4g} {y['mean']:12.4g} "
                  f"{z['mean']:12.4g}")
        print(f"{'':16} months active: " + "  ".join(
            f"{s} {v['mean']:.3f} ± {v['se']:.2g}"
            for s, v in po["months_active"].items()))
        print(f"{'':16} price index ({sc.currency}/unit), mean / peak: " + "  ".join(
            f"{c} {po['price_mean'][c]['mean']:.4g} / {po['price_peak'][c]['mean']:.4g}"
            for c in sc.com_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())

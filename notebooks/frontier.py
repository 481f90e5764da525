"""frontier.py — the cost-effectiveness frontier of notebooks/analysis.ipynb.

Every policy mix runs on the same sampled futures as the baseline, so its
shortfall avoided and its extra public cost are measured trial by trial:

    avoided = paired(baseline shortfall_cum_world, mix shortfall_cum_world)
    extra   = paired(mix public_cost[:, total], baseline public_cost[:, total])

and `frontier` picks the mixes no other mix beats on both at once.  Plain
NumPy, no plotting, so that tests/python/test_frontier.py can check it by
hand-worked examples.
"""
import math

import numpy as np

Z95 = 1.959964   # two-sided 95 % normal quantile: interval = mean ± Z95 × se


def paired(a, b):
    """Mean and standard error of a − b over trials, for two per-trial arrays
    of the same trials (common random numbers).  se = sd(a − b) / √n with
    sd's n − 1 divisor, as the simulator computes avoided_se_*; NaN for one
    trial.  ValueError for arrays of other shapes or no trials."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired: two per-trial arrays of one length wanted, got shapes "
                         f"{a.shape} and {b.shape}")
    d = a - b
    n = d.size
    se = float(np.std(d, ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return float(np.mean(d)), se


def dominates(a1, c1, a2, c2):
    """Point 1 (avoids a1 for cost c1) dominates point 2: it avoids at least
    as much for no more cost, and strictly more or strictly less cost."""
    return a1 >= a2 and c1 <= c2 and (a1 > a2 or c1 < c2)


def frontier(avoided, cost):
    """Indices of the points on the cost-effectiveness frontier, in order of
    increasing shortfall avoided (then cost, then index).

    avoided[i] is point i's shortfall avoided (more is better), cost[i] its
    cost (less is better).  A point is on the frontier when no other point
    dominates it (see `dominates`).  Points equal in both coordinates do not
    dominate each other: all of them are kept.  A point with a NaN (or an
    infinity) takes no part: it is neither on the frontier nor dominates.
    Along the frontier, cost never falls as shortfall avoided grows.
    """
    a = np.asarray(avoided, dtype=float)
    c = np.asarray(cost, dtype=float)
    if a.shape != c.shape or a.ndim != 1:
        raise ValueError(f"frontier: avoided and cost of one length wanted, got shapes "
                         f"{a.shape} and {c.shape}")
    ok = [i for i in range(a.size) if math.isfinite(a[i]) and math.isfinite(c[i])]
    keep = [i for i in ok
            if not any(dominates(a[j], c[j], a[i], c[i]) for j in ok if j != i)]
    return sorted(keep, key=lambda i: (a[i], c[i], i))

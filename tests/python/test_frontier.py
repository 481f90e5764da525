#!/usr/bin/python3
"""test_frontier.py — notebooks/frontier.py (the cost-effectiveness frontier
of the analysis notebook) against hand-worked examples.  Run by
tests/cli/notebook.sh; prints `ok NAME` / `not ok NAME` lines and exits 1
if any failed.

    /usr/bin/python3 tests/python/test_frontier.py
"""
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "notebooks"))
import frontier as F  # noqa: E402

failed = False


def check(name, got, want):
    global failed
    good = got == want
    print(("ok " if good else "not ok ") + "frontier-" + name
          + ("" if good else f"  # got {got!r}, wanted {want!r}"))
    failed = failed or not good


def near(x, y):
    return abs(x - y) <= 1e-12 * max(1.0, abs(y))


# Worked by hand.  (shortfall avoided, extra cost) per mix; the baseline is
# the point (0, 0).
#
#   0 baseline   ( 0,  0)  dominated by G (avoids 5 more for the same cost)
#   1 A          (10,  5)  frontier
#   2 B          (10,  5)  frontier: a tie with A, neither dominates the other
#   3 C          ( 8,  6)  dominated by A (avoids less, costs more)
#   4 D          (-3,  0)  adds shortfall at no cost: dominated by the baseline and G
#   5 E          (20, 12)  frontier
#   6 F          (20, 15)  dominated by E (ties E on avoided, costs more)
#   7 G          ( 5,  0)  frontier
#   8 H          (-2, -4)  adds shortfall but saves money: nothing costs less, frontier
#   9 I          (NaN, 3)  no value: takes no part
#  10 J          (15, 12)  dominated by E (ties E on cost, avoids less)
#
# Frontier in order of shortfall avoided: H, G, A, B, E.
avoided = [0, 10, 10, 8, -3, 20, 20, 5, -2, float("nan"), 15]
cost = [0, 5, 5, 6, 0, 12, 15, 0, -4, 3, 12]
check("hand-worked", F.frontier(avoided, cost), [8, 7, 1, 2, 5])

# The same without G and H: the baseline is back on the frontier, and the
# mix that only adds shortfall (D) stays off it.
keep = [0, 1, 2, 3, 4, 5, 6, 9, 10]
got = F.frontier([avoided[i] for i in keep], [cost[i] for i in keep])
check("baseline-on-frontier", [keep[i] for i in got], [0, 1, 2, 5])

# A mix that adds shortfall and costs more: dominated by the baseline alone.
check("worse-and-dearer", F.frontier([0, -1], [0, 2]), [0])
# A tie of every point: all kept, in index order.
check("all-tied", F.frontier([1, 1, 1], [2, 2, 2]), [0, 1, 2])
# One point; no point; only NaN.
check("one-point", F.frontier([3], [1]), [0])
check("empty", F.frontier([], []), [])
check("only-nan", F.frontier([float("nan")], [1]), [])
# Cost never falls along the frontier.
got = F.frontier(avoided, cost)
check("cost-rises", all(cost[i] <= cost[j] for i, j in zip(got, got[1:])), True)

# dominates: strictly better in one, no worse in the other.
check("dominates", [F.dominates(2, 1, 1, 1), F.dominates(1, 0, 1, 1), F.dominates(1, 1, 1, 1),
                    F.dominates(2, 2, 1, 1)], [True, True, False, False])

# paired: a - b = [2, 4, 6]: mean 4, sd 2 (n - 1 divisor), se 2/sqrt(3).
m, se = F.paired([3, 5, 10], [1, 1, 4])
check("paired-mean-se", (near(m, 4.0), near(se, 2 / math.sqrt(3))), (True, True))
m, se = F.paired([7.5], [2.5])
check("paired-one-trial", (m, math.isnan(se)), (5.0, True))
try:
    F.paired([1, 2], [1, 2, 3])
    check("paired-shape-refused", False, True)
except ValueError:
    check("paired-shape-refused", True, True)

sys.exit(1 if failed else 0)

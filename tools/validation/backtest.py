"""Back-test of ree-magnets' shock processes against 2010-2025.

A 192-month (January 2010 - December 2025) run of the default scenario's
shock processes, baseline only (tools/validation/backtest-batch.yaml).
The statistic: the share of months in which `cn_controls` (China's
restriction of NdPr oxide and magnet exports) is active, against the share
of the months of 2010-2025 under some Chinese rare-earth export
restriction.  docs/validation.md gives the definitions, the
record and the reasons for the tolerance.
"""
import numpy as np

EPISODE = "backtest"
TITLE = "Chinese rare-earth export restrictions 2010-2025: the shock processes' back-test"
SCENARIO = "tools/validation/backtest-batch.yaml"   # a batch: ree-magnets, horizon 192
POLICY = "baseline"
GROUP = "ree-magnets/baseline"       # the batch's only variant keeps the scenario's name
RUN_ARGS = ["--policy", "baseline"]
TRIALS = 2000
MONTHS = 192                         # January 2010 - December 2025
SHOCK = "cn_controls"

# Observed: months of 2010-01 .. 2025-12 under a restriction of rare-earth
# material exports: the export quotas 2010-01 .. 2014-12 (60 months; dropped
# 1 Jan 2015) and the licensing of Announcement 18 from 2025-04 (9 months to
# 2025-12, still in force), 69 of 192 months.  The October 2025 package
# (Announcements 61/62) falls inside the April licensing's months.  Not
# counted: the processing-technology export ban of 21 Dec 2023, which
# restricts technology, not material (with it: 85/192 = 0.443).
OBSERVED_SHARE = 69 / 192

STATISTICS = [
    dict(name="share_of_months_restricted_2010_2025", observed=round(OBSERVED_SHARE, 3),
         tolerance=("range",), unit="1",
         source="quotas 2010-01..2014-12 (60 months) + Announcement 18 from 2025-04 "
                "(9 months): 69/192 (EV, scenarios/README.md); "
                "85/192 = 0.443 with the Dec 2023 technology ban"),
]


def _shock_index(group, name=SHOCK):
    names = [s.decode() if isinstance(s, bytes) else str(s) for s in group["shock"][()]]
    return names.index(name)


def _months(group):
    """Months of the run: the monthly axis if there is one, else MONTHS."""
    if "month" in group:
        return len(group["month"])
    return MONTHS


def simulate(group):
    active = np.asarray(group["months_active"][:, _shock_index(group)], dtype=float)
    return {"share_of_months_restricted_2010_2025": active / _months(group)}


def figure(group, ax):
    """Histogram of the simulated share of months under cn_controls, with
    its 5-95 % range and the observed share."""
    share = simulate(group)["share_of_months_restricted_2010_2025"]
    lo, med, hi = np.nanquantile(share, [0.05, 0.5, 0.95])
    ax.hist(share, bins=np.linspace(0, 1, 49), color="0.7", label="simulated, 192-month runs")
    ax.axvspan(lo, hi, color="C0", alpha=0.15, label=f"5-95 %: {lo:.2f}-{hi:.2f}")
    ax.axvline(med, color="C0", label=f"median {med:.2f}")
    ax.axvline(OBSERVED_SHARE, color="C3", lw=2, label=f"observed 2010-2025: {OBSERVED_SHARE:.3f}")
    ax.axvline(85 / 192, color="C3", ls=":", label="with the 2023 technology ban: 0.443")
    ax.set_title("Share of months under China's rare-earth export restrictions, 2010-2025")
    ax.set_xlabel("share of the 192 months Jan 2010 - Dec 2025 with cn_controls active")
    ax.set_ylabel("trials")
    ax.legend(fontsize="small")


if __name__ == "__main__":   # quick look: python3 tools/validation/backtest.py OUT.h5
    import sys
    import h5py
    with h5py.File(sys.argv[1], "r") as f:
        s = simulate(f[GROUP])["share_of_months_restricted_2010_2025"]
    q = np.quantile(s, [0.05, 0.5, 0.95])
    print(f"share of months with {SHOCK} active: mean {s.mean():.3f} ± {s.std(ddof=1)/np.sqrt(len(s)):.3f}, "
          f"median {q[1]:.3f}, 5-95 % {q[0]:.3f}-{q[2]:.3f}; observed {OBSERVED_SHARE:.3f} "
          f"{'inside' if q[0] <= OBSERVED_SHARE <= q[2] else 'OUTSIDE'}; "
          f"P(share >= 69/192) = {(s >= OBSERVED_SHARE).mean():.3f}; n = {len(s)}")

"""Rare earths 2010-2013: China's export quotas (issue 22).

Episode module for tools/validate (contract: docs/validation.md, "Episode
modules").  The scenario is scenarios/replay-2010.yaml: month 0 is January
2010, month 59 December 2014; one commodity, rare-earth oxide in t REO;
China (CN) has a demand node, so its exports and its domestic price index
are recorded; the foreign market is the regions JP, US, EU and ROW.

Every statistic is computed per trial from the policy group's per-trial
monthly records (`shortfall run --paths N`, N = the trials: exports_path,
supply_path, price_path_region, shortfall_path_region, need_path_region;
docs/output.md, "Trade and regional prices").  Definitions, observed values
and the reasons for the tolerances: docs/validation.md.  The
tolerances were written before the first `tools/validate` run and are not
to be moved after it.
"""
import numpy as np

EPISODE = "ree-2010"
TITLE = "Rare earths 2010-2013: China's export quotas"
SCENARIO = "scenarios/replay-2010.yaml"
POLICY = "baseline"
TRIALS = 1000

START_YEAR = 2010          # month 0 = January 2010
CUT_MONTH = 6              # the quota episode starts in July 2010
PRE_MONTHS = range(0, CUT_MONTH)   # the model's pre-cut months (calm)
FOREIGN = ("JP", "US", "EU", "ROW")
COMMODITY = "oxide"
QUOTA = {2010: 30258, 2011: 30184, 2012: 30996, 2013: 31001, 2014: 30611}
RECOVERED_FRACTION = 0.01  # foreign shortfall below 1 % of need ...
RECOVERED_RUN = 3          # ... for three months in a row

STATISTICS = [
    dict(name="exports_share_of_quota_2011", observed=0.59,
         tolerance=("abs", 0.15), unit="1",
         source="legal exports 16,900 t (CCCMC/CREIA) to 18,600 t (MIIT) "
                "of a 30,184 t quota: 0.56-0.62, midpoint 0.59"),
    dict(name="exports_share_of_quota_2012", observed=0.525,
         tolerance=("abs", 0.15), unit="1",
         source="legal exports 16,265 t of a 30,996 t quota (China "
                "customs via CREIA)"),
    dict(name="foreign_price_peak_multiple", observed=12.0,
         tolerance=("factor", 2.0), unit="x pre-cut",
         source="FOB-China rare-earth oxide basket rose > 1,100 % from "
                "end-2009 to Q3 2011 (Metal-Pages)"),
    dict(name="export_domestic_ratio_at_peak", observed=3.8,
         tolerance=("factor", 2.6), unit="1",
         source="export/domestic oxide price ratio near the 2011 peak: "
                "~10x lanthanum oxide, 1.3-1.6x dysprosium oxide "
                "(Sep 2011); 3.8 = geometric middle of 1.45 and 10"),
    dict(name="months_to_foreign_recovery", observed=24.0,
         tolerance=("abs", 12.0), unit="months",
         source="Sprecher et al. 2017: recovery took about two years"),
    dict(name="substitution_share_per_year", observed=0.10,
         tolerance=("factor", 2.0), unit="1/yr",
         source="Sprecher et al. 2017: substitution reached ~10 % of "
                "demand per year (CALIBRATED: sets the substitution "
                "elasticity; a consistency check)"),
    dict(name="non_china_supply_ramp", observed=0.04,
         tolerance=("factor", 2.0), unit="1/yr",
         source="Sprecher et al. 2017: non-Chinese primary supply ramped "
                "at ~4 % of market volume per year"),
]


def _names(group, coord):
    return [k.decode() if isinstance(k, bytes) else str(k)
            for k in group[coord][:]]


def _year(y):
    """Month indices of calendar year y."""
    m0 = 12 * (y - START_YEAR)
    return slice(m0, m0 + 12)


def _foreign_price(group):
    """Per trial and month: the need-weighted mean of the foreign regions'
    price indices of oxide, and China's index.  Returns (foreign, cn),
    each [trial, month]."""
    regions = _names(group, "region")
    c = _names(group, "commodity").index(COMMODITY)
    fi = [regions.index(r) for r in FOREIGN]
    price = np.asarray(group["price_path_region"][:, :, c, :], float)
    need = np.asarray(group["need_path_region"][:], float)
    p, w = price[:, :, fi], need[:, :, fi]
    ok = np.isfinite(p) & (w > 0)
    num = np.where(ok, p * w, 0.0).sum(axis=2)
    den = np.where(ok, w, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        foreign = num / den
    cn = price[:, :, regions.index("CN")]
    return foreign, cn


def _foreign_shortfall_fraction(group):
    regions = _names(group, "region")
    fi = [regions.index(r) for r in FOREIGN]
    s = np.asarray(group["shortfall_path_region"][:], float)[:, :, fi]
    n = np.asarray(group["need_path_region"][:], float)[:, :, fi]
    with np.errstate(invalid="ignore", divide="ignore"):
        return s.sum(axis=2) / n.sum(axis=2)


def _months_to_recovery(frac):
    """Months from the cut (month 6) to the first month that starts a run
    of RECOVERED_RUN months with the foreign shortfall fraction below
    RECOVERED_FRACTION, after the shortfall began.  Censored at the
    horizon: a trial that never recovers gets horizon - 6 (a lower bound)."""
    trials, months = frac.shape
    out = np.full(trials, float(months - CUT_MONTH))
    low = frac < RECOVERED_FRACTION
    for t in range(trials):
        short = np.nonzero(~low[t, CUT_MONTH:])[0]
        if short.size == 0:
            out[t] = 0.0
            continue
        first = CUT_MONTH + short[0]
        for m in range(first + 1, months - RECOVERED_RUN + 1):
            if low[t, m:m + RECOVERED_RUN].all():
                out[t] = m - CUT_MONTH
                break
    return out


def simulate(group):
    regions = _names(group, "region")
    c = _names(group, "commodity").index(COMMODITY)
    cn = regions.index("CN")
    exports = np.asarray(group["exports_path"][:, :, c, cn], float)
    out = {}
    for y in (2011, 2012):
        out[f"exports_share_of_quota_{y}"] = (
            exports[:, _year(y)].sum(axis=1) / QUOTA[y])

    foreign, cn_price = _foreign_price(group)
    pre = np.nanmean(foreign[:, list(PRE_MONTHS)], axis=1)
    window = slice(0, 48)                     # 2010-2013
    f = foreign[:, window]
    peak_m = np.nanargmax(f, axis=1)
    rows = np.arange(f.shape[0])
    out["foreign_price_peak_multiple"] = f[rows, peak_m] / pre
    out["export_domestic_ratio_at_peak"] = (
        f[rows, peak_m] / cn_price[:, window][rows, peak_m])

    out["months_to_foreign_recovery"] = _months_to_recovery(
        _foreign_shortfall_fraction(group))

    # Substitution: each year's need outside China against its demand
    # before substitution.  The per-trial monthly demand before
    # substitution is (need_cum + substituted_cum) / horizon (demand noise
    # averaged over the horizon; the scenario has no growth).
    fi = [regions.index(r) for r in FOREIGN]
    need_m = np.asarray(group["need_path_region"][:], float)[:, :, fi]
    paths, horizon = need_m.shape[0], need_m.shape[1]
    base = (np.asarray(group["need_cum_region"][:paths], float)[:, fi] +
            np.asarray(group["substituted_cum_region"][:paths], float)[:, fi]
            ).sum(axis=1) / horizon
    shares = [1.0 - need_m[:, _year(y), :].sum(axis=(1, 2)) / (12 * base)
              for y in range(2010, 2014)]
    out["substitution_share_per_year"] = np.max(shares, axis=0)

    # Non-China supply ramp: the mean yearly increase of supply outside
    # China from 2010 to 2013, over the 2010 world market volume.
    supply = np.asarray(group["supply_path"][:, :, c, :], float)
    non_cn = [i for i in range(len(regions)) if i != cn]
    y10 = supply[:, _year(2010), :]
    y13 = supply[:, _year(2013), :]
    out["non_china_supply_ramp"] = (
        (y13[:, :, non_cn].sum(axis=(1, 2)) -
         y10[:, :, non_cn].sum(axis=(1, 2))) / 3.0 /
        y10.sum(axis=(1, 2)))
    return out


# Observed points for the figure: the FOB-China oxide basket, end-2009 = 1
# and ~12x in Q3 2011 (Metal-Pages); months from January 2010.
OBSERVED_PRICE = [(-1, 1.0, "end-2009 = 1"), (19, 12.0, "Q3 2011: ~12x")]


def figure(group, ax):
    foreign, _ = _foreign_price(group)
    pre = np.nanmean(foreign[:, list(PRE_MONTHS)], axis=1)
    mult = foreign / pre[:, None]
    months = np.arange(mult.shape[1])
    lo, med, hi = np.nanpercentile(mult, [5, 50, 95], axis=0)
    ax.fill_between(months, lo, hi, alpha=0.3, label="simulated 5-95 %")
    ax.plot(months, med, label="simulated median")
    xs = [p[0] for p in OBSERVED_PRICE]
    ys = [p[1] for p in OBSERVED_PRICE]
    ax.plot(xs, ys, "o", color="black",
            label="observed, FOB-China oxide basket (Metal-Pages)")
    ax.axvspan(CUT_MONTH, mult.shape[1] - 1, color="grey", alpha=0.08,
               label="export quota (Jul 2010 - Dec 2014)")
    ticks = list(range(0, mult.shape[1] + 1, 12))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"Jan {START_YEAR + t // 12}" for t in ticks])
    ax.set_yscale("log")
    ax.set_xlabel("calendar month")
    ax.set_ylabel("foreign oxide price / pre-cut level")
    ax.set_title("Rare earths 2010-2014: foreign price multiple "
                 "(replay-2010, baseline)")
    ax.legend(fontsize="small")

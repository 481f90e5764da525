"""Cobalt 2025: the DR Congo's export suspension (22 Feb - 15 Oct 2025) and
the quotas after it, replayed by scenarios/replay-cobalt-2025.yaml (month 0
= January 2025).  Definitions, observed values, tolerances and their reasons:
docs/validation.md.  The tolerances were committed before the
validation run ("tolerances before the run") and are not to be moved."""

import numpy as np

EPISODE = "cobalt-2025"
TITLE = "Cobalt 2025: the DR Congo's export suspension and quotas"
SCENARIO = "scenarios/replay-cobalt-2025.yaml"
POLICY = "baseline"
TRIALS = 1000

MONTHS_2025 = slice(0, 12)          # months 0-11 = January-December 2025
DEC_2025 = 11
METAL_REGION = "EU"                 # Rotterdam: the EU's price of refined cobalt
HYDROXIDE_REGION = "CN"             # hydroxide is bought by China's refiners
EXPORTER = "CD"                     # the DRC: not a "foreign" (importing) region

STATISTICS = [
    dict(name="metal_peak_price_multiple_2025", observed=2.41,
         tolerance=("factor", 2.0), unit="1",
         source="CO25: cobalt metal, Rotterdam, 9.95 USD/lb "
                "(24 Feb 2025) -> ~24 USD/lb (December 2025); 24 / 9.95"),
    dict(name="foreign_shortfall_fraction_2025", observed=0.0,
         tolerance=("abs", 0.02), unit="1",
         source="BMI25: no physical shortage reported in 2025"),
    dict(name="hydroxide_price_multiple_dec2025", observed=4.0,
         tolerance=("factor", 2.0), unit="1",
         source="CO25: hydroxide from a record low 5.60 USD/lb "
                "(January 2025) to roughly 4x by December 2025"),
]


def _names(group, key):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in group[key][...]]


def _price_multiple(group, commodity, region):
    """[trial, month] price index of `commodity` paid by `region`'s buyers,
    divided by its month-0 (January 2025) level."""
    c = _names(group, "commodity").index(commodity)
    r = _names(group, "region").index(region)
    p = np.asarray(group["price_path_region"][:, :, c, r], dtype=float)
    return p / p[:, :1]


def simulate(group):
    metal = _price_multiple(group, "refined", METAL_REGION)
    hydroxide = _price_multiple(group, "ore", HYDROXIDE_REGION)
    regions = _names(group, "region")
    foreign = [i for i, r in enumerate(regions) if r != EXPORTER]
    short = np.asarray(group["shortfall_path_region"][:, MONTHS_2025, :], dtype=float)
    need = np.asarray(group["need_path_region"][:, MONTHS_2025, :], dtype=float)
    short = short[:, :, foreign].sum(axis=(1, 2))
    need = need[:, :, foreign].sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(need > 0, short / need, np.nan)
    return {
        "metal_peak_price_multiple_2025": metal[:, MONTHS_2025].max(axis=1),
        "foreign_shortfall_fraction_2025": frac,
        "hydroxide_price_multiple_dec2025": hydroxide[:, DEC_2025],
    }


def _month_labels(group, n):
    start = "2025-01"
    for obj in (group, group.parent, group.file):
        a = obj.attrs.get("start")
        if a is not None:
            start = a.decode() if isinstance(a, bytes) else str(a)
            break
    y, m = (int(x) for x in start.split("-")[:2])
    out = []
    for k in range(n):
        mm = m - 1 + k
        out.append(f"{y + mm // 12}-{mm % 12 + 1:02d}")
    return out


def figure(group, ax):
    metal = _price_multiple(group, "refined", METAL_REGION)
    n = metal.shape[1]
    x = np.arange(n)
    lo, med, hi = np.nanquantile(metal, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(x, lo, hi, alpha=0.3, label="simulated 5-95 %")
    ax.plot(x, med, label="simulated median")
    # Observed: 9.95 USD/lb on 24 Feb 2025 (taken as the January level:
    # prices sat at their lows through January-February), ~24 in December.
    ax.plot([1, DEC_2025], [1.0, 24 / 9.95], "o", color="k",
            label="observed (Rotterdam metal)")
    ax.axvspan(2, 9, color="grey", alpha=0.1, label="DRC suspension")
    labels = _month_labels(group, n)
    ticks = list(range(0, n, 3))
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels[t] for t in ticks], rotation=45, ha="right")
    ax.set_xlabel("month")
    ax.set_ylabel("price of refined cobalt in the EU / January 2025")
    ax.set_title(TITLE)
    ax.legend(loc="upper left", fontsize="small")

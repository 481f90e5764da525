"""Validation episode: China's gallium export licensing, 2023-2025.

Replay: scenarios/replay-gallium-2023.yaml (month 0 = August 2022).
Observed values: the gallium sources of scenarios/README.md (CUS22, US22, CUS24, CUS25, RT23a) and China's
monthly customs figures as reported (each with its page address below).
Tolerances were fixed before the first run (docs/validation.md).
"""
import numpy as np

EPISODE = "gallium-2023"
TITLE = "Gallium 2023-2025: China's export licensing and the US stop"
SCENARIO = "scenarios/replay-gallium-2023.yaml"
POLICY = "baseline"
TRIALS = 1000

START = (2022, 8)          # month 0 = August 2022
EXPORTS_2022 = 94.0        # t, China customs via Reuters (CUS22)
MONTHLY_2022 = EXPORTS_2022 / 12.0

# China's gallium exports by month, t (China customs, as reported).
# (calendar month, tonnes, source).  Categories differ a little between
# reports (wrought only / wrought and unwrought); see the doc.
R_SEP23 = "https://www.nasdaq.com/articles/china-exported-no-germanium-gallium-in-aug-as-curbs-went-into-effect"
R_NOV23 = "https://www.nasdaq.com/articles/chinas-oct-germanium-exports-rise-but-export-restrictions-limit-gains"
RM_NOV23 = "https://rawmaterials.net/gallium-and-germanium-exports-rise-remain-below-last-years-level/"
GE_MAR24 = "https://germanium.com/2024/04/22/china-exports-of-gallium-and-germanium-remain-below-last-years-level/"
RM_AUG24 = "https://rawmaterials.net/gallium-and-germanium-china-publishes-export-data-for-august/"
RS_2024 = "https://rohstoff.net/2024-germaniumexport-geht-zurueck-gallium-legt-zu/"
RM_JUN25 = "https://rawmaterials.net/china-gallium-exports-resume-in-june-germanium-remains-at-low-levels"
SMM_AUG23 = "https://wkzo.com/?p=570267"
OBSERVED_MONTHLY = [
    ((2022, 8), 7.67, R_SEP23),
    ((2022, 10), 3.25, R_NOV23),
    ((2022, 11), 5.611, RM_NOV23),
    ((2023, 3), 6.48, GE_MAR24),
    ((2023, 8), 0.0, R_SEP23),
    ((2023, 9), 0.0, R_NOV23),
    ((2023, 10), 0.25, R_NOV23),
    ((2023, 11), 1.53, RM_NOV23),
    ((2023, 12), 6.42 / 0.91, RS_2024),   # Dec 2024 6.42 t, -9 % on Dec 2023
    ((2024, 3), 1.214, GE_MAR24),
    ((2024, 6), 4.184, RM_JUN25),
    ((2024, 8), 11.217, RM_AUG24),
    ((2024, 12), 6.42, RS_2024),
    ((2025, 5), 0.0, RM_JUN25),
    ((2025, 6), 4.26, RM_JUN25),
]

# Aug-Dec 2023: 0 + 0 + 0.25 + 1.53 + 7.05 = 8.83 t
AUG_DEC_2023 = 0.0 + 0.0 + 0.25 + 1.53 + 6.42 / 0.91

STATISTICS = [
    dict(name="cn_exports_first_12_months_t", observed=EXPORTS_2022,
         tolerance=("factor", 1.25), unit="t",
         source="calibration check: China customs via Reuters, 94 t in "
                "calendar 2022 (CUS22); the window (Aug 2022 - Jul 2023) "
                "is not the calendar year"),
    dict(name="cn_exports_aug_dec_2023_vs_2022", observed=AUG_DEC_2023 / (5 * MONTHLY_2022),
         tolerance=("abs", 0.15), unit="1",
         source="China customs: Aug 0, Sep 0, Oct 0.25 t (Reuters, " + R_SEP23
                + " ; " + R_NOV23 + "), Nov 1.53 t (" + RM_NOV23 + "), Dec ~7.05 t "
                "(Dec 2024 6.42 t, -9 % y/y, " + RS_2024 + "); against 5 x 94/12 t"),
    dict(name="cn_exports_2024_vs_2022", observed=69.44 / EXPORTS_2022,
         tolerance=("abs", 0.15), unit="1",
         source="China customs: 69.44 t in 2024 (" + RS_2024 + "), 94 t in 2022 (CUS22)"),
    dict(name="cn_price_aug2023_vs_jul2023", observed=0.91,
         tolerance=("abs", 0.08), unit="1",
         source="SMM spot gallium in China fell 9 % in August 2023 to 1,655 "
                "yuan/kg (Reuters, " + SMM_AUG23 + ")"),
]


def _month_index(ym):
    return (ym[0] - START[0]) * 12 + (ym[1] - START[1])


def _labels(group, name):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in group[name][:]]


def _cn_exports(group):
    """China's exports per trial and month, t Ga, both commodities."""
    regions = _labels(group, "region")
    x = np.asarray(group["exports_path"][...], dtype=float)  # path_trial, month, commodity, region
    return x[:, :, :, regions.index("CN")].sum(axis=2)


def simulate(group):
    ex = _cn_exports(group)
    regions = _labels(group, "region")
    comms = _labels(group, "commodity")
    price = np.asarray(group["price_path_region"][...], dtype=float)
    p_cn = price[:, :, comms.index("primary"), regions.index("CN")]
    return {
        "cn_exports_first_12_months_t": ex[:, 0:12].sum(axis=1),
        "cn_exports_aug_dec_2023_vs_2022": ex[:, 12:17].sum(axis=1) / (5 * MONTHLY_2022),
        "cn_exports_2024_vs_2022": ex[:, 17:29].sum(axis=1) / EXPORTS_2022,
        "cn_price_aug2023_vs_jul2023": p_cn[:, 12] / p_cn[:, 11],
    }


def _month_label(i):
    y, m = divmod(START[1] - 1 + i, 12)
    return f"{START[0] + y}-{m + 1:02d}"


def figure(group, ax):
    ex = _cn_exports(group)
    months = np.arange(ex.shape[1])
    lo, med, hi = np.nanquantile(ex, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(months, lo, hi, alpha=0.3, label="simulated 5-95 %")
    ax.plot(months, med, label="simulated median")
    ax.axhline(MONTHLY_2022, ls=":", color="grey", label="2022 monthly mean (94 t / 12)")
    obs = [(_month_index(ym), t) for ym, t, _ in OBSERVED_MONTHLY
           if 0 <= _month_index(ym) < ex.shape[1]]
    ax.plot([m for m, _ in obs], [t for _, t in obs], "ko", label="observed (China customs)")
    top = ax.get_ylim()[1]
    for m, text, ha in ((11, "US stop ", "right"), (12, " licensing", "left"),
                        (28, " US ban", "left")):
        ax.axvline(m, color="red", lw=0.6)
        ax.text(m, top * 0.97, text, fontsize=7, color="red", va="top", ha=ha)
    ticks = months[::6]
    ax.set_xticks(ticks)
    ax.set_xticklabels([_month_label(i) for i in ticks], rotation=45, ha="right")
    ax.set_xlabel("month")
    ax.set_ylabel("China's gallium exports, t Ga per month")
    ax.set_title(TITLE)
    ax.legend(fontsize=7, loc="lower left")

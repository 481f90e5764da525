"""Rare earths 2025: China's licensing of seven medium and heavy rare earths
and the magnets containing them (Announcement 18, from 4 April 2025).

Scenario: scenarios/replay-ree-2025.yaml (month 0 = January 2025).  The
series compared: China's monthly magnet exports (`exports_path`, per
trial with `--paths N`; commodity magnet, region CN).  docs/validation.md gives the definitions and
the reasons for the tolerances.

The model's "2024 level" (May 2024, and the level the recovery is measured
against) is each trial's mean export of months 0-2 (January-March 2025,
before the licensing): the scenario has no 2024, and its calm monthly
export level is the stand-in for it (the calm exports are calibrated to
the 2024 total, 58,152 t/yr, i.e. 4,846 t a month; the observed May 2024
level implied by -74 % is 1,238 / 0.26 = 4,760 t).
"""
import numpy as np

EPISODE = "ree-2025"
TITLE = "Rare earths 2025: China's licensing of heavy rare earths and magnets"
SCENARIO = "scenarios/replay-ree-2025.yaml"
POLICY = "baseline"
TRIALS = 1000
START = (2025, 1)                    # month 0
CALM_MONTHS = slice(0, 3)            # Jan-Mar 2025: before the licensing (month 3)
MAY_2025 = 4
FIRST_MONTH_LICENSED = 3

# China customs [CUSM25], t of magnets a month.
OBSERVED_MONTHLY = {4: 1238, 5: 3188, 6: 5577, 7: 6146, 8: 5774}
OBSERVED_VS_2024 = {4: 1 - 0.74, 5: 1 - 0.38, 6: 1.057, 8: 1.175}   # ratio to the same month of 2024

STATISTICS = [
    dict(name="may2025_exports_vs_may2024", observed=0.26,
         tolerance=("abs", 0.05), unit="1",
         source="China customs: May 2025 1,238 t, -74 % on May 2024 [CUSM25]"),
    dict(name="first_month_back_within_10pct", observed=6,
         tolerance=("abs", 1), unit="month (0 = Jan 2025)",
         source="China customs: July 2025 (month 6) 5,577 t, +5.7 % on July 2024 [CUSM25]"),
]


def _names(ds):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in ds[()]]


def _exports(group):
    """China's magnet exports [trial, month]; falls back to the mean over
    trials ([1, month]) when the run has no per-trial monthly records."""
    c = _names(group["commodity"]).index("magnet")
    r = _names(group["region"]).index("CN")
    if "exports_path" in group:
        return np.asarray(group["exports_path"][:, :, c, r], dtype=float)
    return np.asarray(group["exports_month_mean"][:, c, r], dtype=float)[None, :]


def _per_trial(x):
    calm = x[:, CALM_MONTHS].mean(axis=1)
    ratio = x / calm[:, None]
    may = ratio[:, MAY_2025]
    back = np.abs(ratio - 1) <= 0.10
    back[:, :MAY_2025] = False        # the recovery is counted after the fall
    first = np.where(back.any(axis=1), back.argmax(axis=1), np.nan).astype(float)
    return calm, ratio, may, first


def simulate(group):
    """Per trial: (a) exports in month 4 (May 2025) / the calm level
    (mean of months 0-2); (b) the first month >= 4 with exports within
    10 % of the calm level (NaN if none within the horizon)."""
    _, _, may, first = _per_trial(_exports(group))
    return {"may2025_exports_vs_may2024": may,
            "first_month_back_within_10pct": first}


def _label(m):
    y, mo = START[0] + (START[1] - 1 + m) // 12, (START[1] - 1 + m) % 12 + 1
    return f"{y}-{mo:02d}"


def figure(group, ax):
    """China's monthly magnet exports, t/month: simulated median and
    5-95 % band against the customs record."""
    x = _exports(group)
    months = np.arange(x.shape[1])
    lo, med, hi = np.nanquantile(x, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(months, lo, hi, color="C0", alpha=0.25, label="simulated 5-95 %")
    ax.plot(months, med, color="C0", label="simulated median")
    calm = np.nanmedian(x[:, CALM_MONTHS].mean(axis=1))
    ax.axhline(calm, color="0.5", ls=":", label="model calm level (stand-in for 2024)")
    om = sorted(OBSERVED_MONTHLY)
    ax.plot(om, [OBSERVED_MONTHLY[m] for m in om], "o", color="C3",
            label="observed (China customs)")
    ax.axvline(FIRST_MONTH_LICENSED, color="C3", ls="--", lw=0.8, label="licensing from 4 Apr 2025")
    ax.set_xticks(months[::3])
    ax.set_xticklabels([_label(m) for m in months[::3]], rotation=45, ha="right")
    ax.set_xlabel("month")
    ax.set_ylabel("China's magnet exports, t per month")
    ax.set_title("Rare earths 2025: China's magnet exports")
    ax.legend(fontsize="small")


if __name__ == "__main__":   # quick look: python3 tools/validation/ree-2025.py OUT.h5
    import sys
    import h5py
    with h5py.File(sys.argv[1], "r") as f:
        g = f[f"replay-ree-2025/{POLICY}"]
        x = _exports(g)
        calm, ratio, may, first = _per_trial(x)
        print("calm level t/month: median %.0f (x12 = %.0f t/yr)" % (np.median(calm), 12 * np.median(calm)))
        print("median ratio by month:", np.round(np.nanmedian(ratio, axis=0), 3))
        for k, v in simulate(g).items():
            print(k, "median %.3f 5-95 %% %.3f-%.3f" % tuple(np.nanquantile(v, [0.5, 0.05, 0.95])))

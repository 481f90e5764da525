"""A known-answer episode for tests of tools/validate: the two-tier market
under a quota of severity 0.5 from month 2 (tests/validation/quota.yaml).
CN exports N = 100 t a month before it and the quota 50 after; the US
price index is 4 (P (1 - s)^(-1/eps), eps 0.5).  Every trial is the same,
so the 5-95 % range is a point."""
EPISODE = "quota"
TITLE = "Known answer: a quota of half the exports"
SCENARIO = "tests/validation/quota.yaml"
TRIALS = 30
STATISTICS = [
    dict(name="exports_after", observed=50.0, tolerance=("abs", 1e-6)),
    dict(name="exports_ratio", observed=0.5, tolerance=("factor", 1.01)),
    dict(name="us_price_peak", observed=4.0, tolerance=("abs", 1e-6)),
    # deliberately wrong: must be reported as a failure
    dict(name="exports_before_wrong", observed=90.0, tolerance=("abs", 5)),
]


def _region(g, name):
    return [x.decode() for x in g["region"][:]].index(name)


def simulate(g):
    cn, us = _region(g, "CN"), _region(g, "US")
    x = g["exports_path"][:, :, 0, cn]
    p = g["price_path_region"][:, :, 0, us]
    return {"exports_after": x[:, 3], "exports_ratio": x[:, 3] / x[:, 0],
            "us_price_peak": p.max(axis=1), "exports_before_wrong": x[:, 0]}


def figure(g, ax):
    cn = _region(g, "CN")
    ax.plot(g["exports_month_mean"][:, 0, cn], label="CN exports, mean")
    ax.plot([3], [50], "ko", label="known answer")
    ax.set_xlabel("month")
    ax.set_ylabel("t")
    ax.legend()

"""Tests of shortfall's sensitivity functions (python/shortfall/sensitivity.py)
on synthetic data, run by tests/cli/sensitivity.sh:

    test_sensitivity.py

The Sobol estimators on the Ishigami function, whose indices are known
analytically (Ishigami and Homma 1990; Saltelli et al. 2008, sec. 4.5),
and on a linear model with an irrelevant input; the design bookkeeping;
sobol_indices on a Dataset shaped as shortfall.open returns one; and
tail_drivers on a frame whose output one driver determines.  Prints
"ok NAME" or "not ok NAME" with the failed assertion."""
import os
import sys
import traceback

import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import shortfall  # noqa: E402
from shortfall import sensitivity as sens  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_truth(a=7.0, b=0.1):
    """S1 and ST from the analytic partial variances (inputs U(-pi, pi))."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0]) / v, np.array([v1 + v13, v2, v13]) / v


def saltelli(model, k, n, rng, low, high):
    """fA, fB, fAB of a Saltelli design on plain random samples."""
    A = rng.uniform(low, high, (n, k))
    B = rng.uniform(low, high, (n, k))
    fAB = []
    for i in range(k):
        ABi = A.copy()
        ABi[:, i] = B[:, i]
        fAB.append(model(ABi))
    return model(A), model(B), np.array(fAB)


@test
def ishigami_known_answer():
    s1_true, st_true = ishigami_truth()
    # The literature's values, to 4 digits: the formula above is right.
    assert np.allclose(s1_true, [0.3139, 0.4424, 0], atol=5e-5), s1_true
    assert np.allclose(st_true, [0.5576, 0.4424, 0.2437], atol=5e-5), st_true
    rng = np.random.default_rng(20101)
    fA, fB, fAB = saltelli(ishigami, 3, 20000, rng, -np.pi, np.pi)
    r = sens.sobol_bootstrap(fA, fB, fAB, bootstrap=1000, seed=5)
    for key, truth in (("S1", s1_true), ("ST", st_true)):
        half = (r[f"{key}_high"] - r[f"{key}_low"]) / 2     # about 1.96 se
        # Tolerance: twice the 95 % interval's half-width, about 4 standard
        # errors (a chance failure about 1 in 10^4 per index for this
        # seed's draw); the intervals must be narrow enough to tell a
        # wrong estimator (an error of 0.05 or more fails).
        assert np.all(half < 0.025), (key, half)
        assert np.all(np.abs(r[key] - truth) <= 2 * half), (key, r[key], truth, half)
        assert np.all(r[f"{key}_low"] <= r[key]) and np.all(r[key] <= r[f"{key}_high"])
    print(f"# ishigami S1 {np.round(r['S1'], 4)} ST {np.round(r['ST'], 4)} "
          f"(truth {np.round(s1_true, 4)}, {np.round(st_true, 4)})")


@test
def linear_irrelevant_input_exactly_zero():
    rng = np.random.default_rng(3)
    fA, fB, fAB = saltelli(lambda x: x[:, 0].copy(), 2, 500, rng, 0, 1)
    r = sens.sobol_bootstrap(fA, fB, fAB, bootstrap=200, seed=1)
    for key in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
        assert r[key][1] == 0.0, (key, r[key])
    # y = x1 alone: S1 and ST of x1 are 1 up to sampling (here within 0.15).
    assert abs(r["S1"][0] - 1) < 0.15 and abs(r["ST"][0] - 1) < 0.15, r


@test
def constant_output_refused():
    try:
        sens.sobol_from_samples(np.ones(5), np.ones(5), np.ones((2, 5)))
    except ValueError as e:
        assert "does not vary" in str(e)
    else:
        raise AssertionError("no error for a constant output")


def design_entries(n, k, codes=False):
    """matrix, base, column lists of a design in the order A, B, AB_0...,
    for every base sample."""
    m, b, c = [], [], []
    for j in range(n):
        for kind, i in [("A", -1), ("B", -1)] + [("AB", i) for i in range(k)]:
            m.append({"A": 0, "B": 1, "AB": 2}[kind] if codes else kind)
            b.append(j)
            c.append(i)
    return m, b, c


@test
def design_sorted_whatever_the_order():
    n, k = 4, 3
    m, b, c = design_entries(n, k)
    f = np.arange(len(m), dtype=float)
    perm = np.random.default_rng(0).permutation(len(m))
    fA, fB, fAB = sens.design_samples(f[perm], [m[p] for p in perm],
                                      np.array(b)[perm], np.array(c)[perm], k)
    per = 2 + k
    assert np.array_equal(fA, f[::per]) and np.array_equal(fB, f[1::per])
    for i in range(k):
        assert np.array_equal(fAB[i], f[2 + i::per])
    m2, _, _ = design_entries(n, k, codes=True)          # integer codes
    assert np.array_equal(sens.design_samples(f, m2, b, c, k)[1], fB)
    m3 = [x.lower() if x != "AB" else f"AB_{ci}" for x, ci in zip(m, c)]   # spellings
    assert np.array_equal(sens.design_samples(f, m3, b, c, k)[2], fAB)


@test
def design_incomplete_or_twice_refused():
    m, b, c = design_entries(3, 2)
    f = np.zeros(len(m))
    for bad in ((m[:-1], b[:-1], c[:-1], f[:-1]),                   # one missing
                (m[:-1] + ["A"], b[:-1] + [0], c[:-1] + [-1], f)):   # A of 0 twice
        try:
            sens.design_samples(bad[3], bad[0], bad[1], bad[2], 2)
        except ValueError as e:
            assert "design" in str(e), e
        else:
            raise AssertionError("no error for a bad design")


def sobol_dataset(n=2000, seed=9):
    """A Dataset as shortfall.open returns for a Sobol batch: variants of
    an Ishigami design, two mixes, per-trial output whose mean over 3
    trials is Ishigami (the baseline) or a constant plus x3 (the other)."""
    rng = np.random.default_rng(seed)
    k = 3
    A = rng.uniform(-np.pi, np.pi, (n, k))
    B = rng.uniform(-np.pi, np.pi, (n, k))
    rows, m, bb, cc = [], [], [], []
    for j in range(n):
        for kind, i in [("A", -1), ("B", -1)] + [("AB", i) for i in range(k)]:
            x = A[j].copy() if kind != "B" else B[j].copy()
            if kind == "AB":
                x[i] = B[j, i]
            rows.append(x)
            m.append(kind)
            bb.append(j)
            cc.append(i)
    X = np.array(rows)
    f = ishigami(X)
    noise = np.array([-1.0, 0.0, 1.0])          # mean 0 over the 3 trials
    base = f[:, None] + noise[None, :]
    other = 5 + X[:, 2:3] + noise[None, :]
    out = np.stack([base, other], axis=1)       # variant, policy, trial
    v = [f"ish-{q}" for q in range(len(X))]
    ds = xr.Dataset(
        {"y_world": (("variant", "policy", "trial"), out, {"units": "t"}),
         "y_region": (("variant", "policy", "trial", "region"),
                      np.stack([out, 2 * out], axis=3), {"units": "t"})},
        coords={"variant": v, "policy": ["baseline", "other"], "trial": [0, 1, 2],
                "region": ["US", "JP"],
                "is_baseline": ("policy", [True, False]),
                "design_matrix": ("variant", np.array(m, dtype=object)),
                "design_base": ("variant", np.array(bb)),
                "design_column": ("variant", np.array(cc))})
    for i, name in enumerate(("x1", "x2", "x3")):
        ds = ds.assign_coords({name: ("variant", X[:, i], {"sweep": f"sweep_{i}",
                                                            "units": "1", "path": name})})
    ds.attrs.update({"design": "sobol", "design_samples": n, "kind": "batch"})
    return ds, f, m, bb, cc


@test
def sobol_indices_on_a_dataset():
    ds, f, m, bb, cc = sobol_dataset()
    got = shortfall.sobol_indices(ds, "y_world", bootstrap=100, seed=2)
    fA, fB, fAB = sens.design_samples(f, m, bb, cc, 3)
    want = sens.sobol_bootstrap(fA, fB, fAB, bootstrap=100, seed=2)
    assert list(got.index) == ["x1", "x2", "x3"] and list(got.units) == ["1"] * 3
    for key in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
        assert np.allclose(got[key].values, want[key], rtol=1e-12, atol=1e-12), key
    assert got.attrs["policy"] == "baseline" and got.attrs["N"] == 2000
    # The other mix depends on x3 alone: x1, x2 exactly 0.
    o = shortfall.sobol_indices(ds, "y_world", policy="other", bootstrap=50, seed=2)
    assert (o.loc[["x1", "x2"], ["S1", "ST", "ST_high"]].values == 0).all(), o
    # A region: by select or by brackets, the same (2x the world's: same indices).
    r1 = shortfall.sobol_indices(ds, "y_region", select={"region": "JP"}, bootstrap=0)
    r2 = shortfall.sobol_indices(ds, "y_region[JP]", bootstrap=0)
    assert np.allclose(r1.S1, r2.S1) and np.allclose(r1.ST, got.ST)
    for bad in ({"output": "y_region"}, {"output": "y_world", "select": {"region": "US"}},
                {"output": "y_region", "select": {"region": "XX"}},
                {"output": "nothing"}, {"output": "y_world", "policy": "nope"}):
        try:
            shortfall.sobol_indices(ds, bootstrap=0, **bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"no error for {bad}")


@test
def sobol_refuses_a_file_without_the_design():
    ds, *_ = sobol_dataset(n=5)
    ds.attrs["design"] = "grid"
    try:
        shortfall.sobol_indices(ds, "y_world", bootstrap=0)
    except ValueError as e:
        assert "Sobol design" in str(e), e
    else:
        raise AssertionError("no error")


def tail_frame(n=4000, seed=4):
    rng = np.random.default_rng(seed)
    drive = rng.exponential(3.0, n)
    other = rng.normal(10, 2, n)
    df = pd.DataFrame({"policy": ["baseline"] * n + ["mix"] * n,
                       "trial": np.tile(np.arange(n), 2),
                       "out_world": np.concatenate([5 * drive, rng.normal(size=n)]),
                       "months_active[s1]": np.concatenate([drive, drive]),
                       "months_active[s2]": np.concatenate([other, other]),
                       "months_active[tariff]": 48.0,
                       "shock_episodes[s1]": np.concatenate([rng.poisson(1, n)] * 2),
                       "outcome_not_driver": np.concatenate([drive, drive])})
    df.attrs["units"] = {"months_active[s1]": "months"}
    return df, drive, other


@test
def tail_ranks_the_determining_driver_first():
    df, drive, other = tail_frame()
    t = shortfall.tail_drivers(df, "out_world")
    assert list(t.index)[0] == "months_active[s1]", t
    assert t.d.iloc[0] > 2, t          # the 5 % largest of an exponential: far out
    # The independent driver: |d| within 4 standard errors of a mean of
    # 200 draws (sd/sqrt(200) in units of sd: 4/sqrt(200) = 0.28).
    assert abs(t.loc["months_active[s2]", "d"]) < 4 / np.sqrt(200), t
    assert list(t.index)[-1] == "months_active[tariff]" and t.d.iloc[-1] == 0, t
    assert "outcome_not_driver" not in t.index
    n_tail = int(np.ceil(0.05 * 4000))
    assert t.attrs["n_tail"] == n_tail and t.attrs["policy"] == "baseline"
    worst = np.sort(drive)[::-1][:n_tail]                  # drive decides out_world
    assert np.isclose(t.loc["months_active[s1]", "mean_tail"], worst.mean())
    assert np.isclose(t.loc["months_active[s1]", "mean_all"], drive.mean())
    assert np.isclose(t.loc["months_active[s1]", "d"],
                      (worst.mean() - drive.mean()) / drive.std(ddof=1))
    # The other mix's output does not depend on s1.
    u = shortfall.tail_drivers(df, "out_world", policy="mix", tail=0.1)
    assert abs(u.loc["months_active[s1]", "d"]) < 4 / np.sqrt(400), u


@test
def tail_with_sweeps_and_selection():
    df, drive, _ = tail_frame(n=1000)
    df["out_region[US]"] = df["out_world"]
    df["out_region[JP]"] = 0.0
    df["hazard"] = np.where(df.trial % 2 == 0, 0.2, 0.8)
    df.attrs["sweeps"] = ["hazard"]
    t = shortfall.tail_drivers(df, "out_region", select={"region": "US"}, tail=0.1)
    assert "hazard" in t.index and t.attrs["column"] == "out_region[US]"
    for bad in ({"output": "out_region"}, {"output": "nothing"},
                {"output": "out_world", "tail": 0}, {"output": "out_world", "policy": "x"}):
        try:
            shortfall.tail_drivers(df, **bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"no error for {bad}")


def main():
    failed = 0
    for t in TESTS:
        name = f"sensitivity-{t.__name__.replace('_', '-')}"
        try:
            t()
            print(f"ok {name}")
        except Exception:
            failed += 1
            print(f"not ok {name}")
            print("    " + traceback.format_exc().replace("\n", "\n    "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

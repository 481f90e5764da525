#!/usr/bin/python3
"""Checks a summary that `shortfall info --format F` (or `run --summary F`)
wrote against the results file's own datasets, read with h5py.

    check_summary.py RESULTS.h5 FORMAT OUTPUT LABEL [NAME=UNIT...]

FORMAT is table, csv or json; NAME=UNIT gives the unit a batch's swept
key must be shown with (e.g. hazard_per_year=1/year; several may be
given in one argument, separated by ';').

- csv: parses with the csv module, has a header, one record per (variant,)
  policy mix and region, and every number equals the file's value
  exactly (the shares' standard errors are sqrt(p(1-p)/n), computed here);
- json: loads with json.load; the same records, and each run's provenance,
  swept values (the batch's sweep_<k> coordinates) and months active;
- table: no e-notation, thousands separated, every standard error to two
  significant digits with its mean rounded to the same place (shares and
  fractions to their own standard error's place, P95 and CVaR95 to the
  mean's), the '±' signs of a column in one column of text, a row per
  (variant,) mix and region, and for batches the swept values with their
  units under their names.

Prints "ok LABEL-..." / "not ok LABEL-..." lines for tests/cli.
"""
import csv
import io
import json
import math
import re
import sys

import h5py
import numpy as np

path, fmt, out_path, label = sys.argv[1:5]


def crashed(kind, value, tb):
    """Whatever the checker trips on is a failure of the thing checked."""
    import traceback
    traceback.print_exception(kind, value, tb)
    print(f"not ok {label}-checker ({kind.__name__}: {value})")
    sys.exit(1)


sys.excepthook = crashed
want_units = dict(pair.split("=", 1) for arg in sys.argv[5:]
                  for pair in arg.split(";") if pair)
failures = 0


def check(name, cond, detail=""):
    global failures
    if cond:
        print(f"ok {label}-{name}")
    else:
        failures += 1
        print(f"not ok {label}-{name} {detail}"[:600])


def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


# --- what the file holds ------------------------------------------------------

f = h5py.File(path, "r")
batch = s(f.attrs.get("kind", b"")) == "batch"
part = batch and int(f.attrs.get("part", 0)) == 1
runs = []  # (variant or None, attrs, group of the policy groups)
if batch:
    variants = [s(v) for v in f["variant"][:]]
    for v in variants:
        if v in f:
            runs.append((v, f[v].attrs, f[v]))
    sweep_paths = [s(f[f"sweep_{k}"].attrs["long_name"]).replace("swept value of ", "")
                   for k in range(len([n for n in f if n.startswith("sweep_")]))]
else:
    scen = s(f.attrs["scenario_name"])
    runs.append((None, f.attrs, f[scen]))
    sweep_paths = []

expected = {}  # (variant, policy, region) -> {field: value}
order = []
for variant, attrs, grp in runs:
    n = int(attrs["trials_done"])
    for pol in grp:  # h5py lists in creation order (tracked)
        g = grp[pol]
        regions = [s(r) for r in g["region"][:]]
        q95 = list(g["quantile"][:]).index(0.95)
        for j, region in enumerate(regions + ["world"]):
            if region == "world":
                def v(name, _g=g):
                    return float(_g[f"{name}_world"][()])

                def vq(name, _g=g):
                    return float(_g[f"{name}_world"][q95])
            else:
                def v(name, _g=g, _j=j):
                    return float(_g[f"{name}_region"][_j])

                def vq(name, _g=g, _j=j):
                    return float(_g[f"{name}_region"][q95, _j])
            p_short = v("months_short_p_any")
            rec = {
                "scenario": s(attrs["scenario_name"]),
                "policy": pol, "region": region, "trials_done": n,
                "shortfall_unit": s(g["shortfall_cum_mean_region"].attrs["units"]),
                "shortfall_mean": v("shortfall_cum_mean"),
                "shortfall_se": v("shortfall_cum_se"),
                "shortfall_p95": vq("shortfall_cum_quantile"),
                "shortfall_cvar95": v("shortfall_cum_cvar95"),
                "p_short": p_short,
                "p_short_se": math.sqrt(p_short * (1 - p_short) / n),
                "fraction_mean": v("shortfall_frac_mean"),
                "fraction_se": v("shortfall_frac_se"),
            }
            # The baseline's avoided_* are its zeros against itself: the
            # summary leaves them out.
            if "avoided_mean_region" in g and not int(g.attrs["is_baseline"]):
                pb = v("avoided_p_better")
                rec.update(avoided_mean=v("avoided_mean"), avoided_se=v("avoided_se"),
                           p_better=pb, p_better_se=math.sqrt(pb * (1 - pb) / n))
            else:
                rec.update(avoided_mean=None, avoided_se=None, p_better=None,
                           p_better_se=None)
            # Costs: the mix's total public cost (same in every record),
            # the region's tariff revenue (the world's: the sum of the
            # regions' means), the cost per unit avoided (not for the
            # baseline; empty where undefined).
            kinds = [s(k) for k in g["cost_kind"][:]]
            tot = kinds.index("total")
            rev = [float(x) for x in g["tariff_revenue_mean"][:]]
            rec.update(public_cost=float(g["public_cost_mean"][tot]),
                       public_cost_se=float(g["public_cost_se"][tot]),
                       tariff_revenue=(sum(rev) if region == "world" else rev[j]))
            if "cost_per_avoided" in g:
                cpa = float(g["cost_per_avoided"][()])
                cse = float(g["cost_per_avoided_se"][()])
                rec.update(cost_per_avoided=None if math.isnan(cpa) else cpa,
                           cost_per_avoided_se=None if math.isnan(cse) else cse)
            else:
                rec.update(cost_per_avoided=None, cost_per_avoided_se=None)
            if variant is not None:
                rec["variant"] = variant
                vi = variants.index(variant)
                for k in range(len(sweep_paths)):
                    rec[f"sweep_{k}"] = float(f[f"sweep_{k}"][vi])
                    assert rec[f"sweep_{k}"] == float(attrs[f"sweep_{k}"])
            key = (variant, pol, region)
            expected[key] = rec
            order.append(key)

numeric = ["shortfall_mean", "shortfall_se", "shortfall_p95", "shortfall_cvar95",
           "p_short", "p_short_se", "fraction_mean", "fraction_se",
           "avoided_mean", "avoided_se", "p_better", "p_better_se",
           "public_cost", "public_cost_se", "tariff_revenue", "cost_per_avoided",
           "cost_per_avoided_se"]
text = open(out_path, encoding="utf-8", newline="").read()
check("not-empty", len(text) > 0)


def compare_records(records, sweep_fields):
    """records: dicts of field -> value (str for csv, parsed for json)."""
    keys = []
    bad = []
    for r in records:
        key = (r.get("variant") if batch else None, r["policy"], r["region"])
        keys.append(key)
        want = expected.get(key)
        if want is None:
            bad.append(f"unexpected record {key}")
            continue
        for fld in ["scenario", "shortfall_unit"]:
            if r[fld] != want[fld]:
                bad.append(f"{key} {fld} {r[fld]!r} != {want[fld]!r}")
        if int(r["trials_done"]) != want["trials_done"]:
            bad.append(f"{key} trials_done")
        for fld in numeric:
            got = r[fld]
            if want[fld] is None:
                if got not in ("", None):
                    bad.append(f"{key} {fld} should be empty, is {got!r}")
            elif got in ("", None) or float(got) != want[fld]:
                bad.append(f"{key} {fld} {got!r} != {want[fld]!r}")
        for k, (fld, unit_fld) in enumerate(sweep_fields):
            if float(r[fld]) != want[f"sweep_{k}"]:
                bad.append(f"{key} {fld} {r[fld]!r} != {want[f'sweep_{k}']}")
            name = fld
            if name in want_units and r[unit_fld] != want_units[name]:
                bad.append(f"{key} {unit_fld} {r[unit_fld]!r} != {want_units[name]!r}")
    check("one-record-per-mix-and-region", keys == order, f"{keys} vs {order}")
    check("numbers-equal-the-datasets", not bad, "; ".join(bad[:5]))


if fmt == "csv":
    try:
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        records = [dict(zip(header, r)) for r in rows[1:]]
        ok = all(len(r) == len(header) for r in rows)
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        rows, header, records, ok = [], [], [], False
        print(f"    {e}")
    check("csv-parses-with-header", ok and "policy" in header and "shortfall_mean" in header,
          str(header))
    sweep_fields = []
    if batch and header:
        # The columns after "variant": NAME, NAME_unit for each sweep.
        cols = header[1:header.index("scenario")]
        sweep_fields = [(cols[i], cols[i + 1]) for i in range(0, len(cols), 2)]
        check("csv-sweep-columns", len(sweep_fields) == len(sweep_paths)
              and all(u == n + "_unit" for n, u in sweep_fields)
              and (not want_units or all(n in want_units for n, _ in sweep_fields)),
              str(cols))
    compare_records(records, sweep_fields)

elif fmt == "json":
    try:
        doc = json.loads(text)
    except Exception as e:  # noqa: BLE001
        doc = None
        print(f"    {e}")
    check("json-loads", isinstance(doc, dict))
    doc = doc or {"records": [], "runs": []}
    kind = "batch part" if part else "batch" if batch else "run"
    check("json-kind", doc.get("kind") == kind and doc.get("file") == path, str(doc.get("kind")))
    sweep_fields = []
    if batch:
        sw = doc.get("sweeps", [])
        check("json-sweeps", [x["path"] for x in sw] == sweep_paths, str(sw))
        sweep_fields = [(x["field"], x["field"] + "_unit") for x in sw]
    compare_records(doc.get("records", []), sweep_fields)
    # The runs: provenance and months active, from the attributes and
    # the baseline's months_active_mean and _se.
    bad = []
    jruns = doc.get("runs", [])
    if len(jruns) != len(runs):
        bad.append(f"{len(jruns)} runs")
    for (variant, attrs, grp), jr in zip(runs, jruns):
        for fld, attr in [("seed", "seed"), ("trials", "trials"), ("trials_done", "trials_done"),
                          ("first_trial", "first_trial"), ("horizon_months", "horizon_months"),
                          ("threads", "threads")]:
            if jr.get(fld) != int(attrs[attr]):
                bad.append(f"{variant} {fld} {jr.get(fld)} != {int(attrs[attr])}")
        if jr.get("wall_seconds") != float(attrs["wall_seconds"]):
            bad.append(f"{variant} wall_seconds")
        if jr.get("complete") != bool(attrs["complete"]):
            bad.append(f"{variant} complete")
        if part and jr.get("batch_trials") != int(attrs["batch_trials"]):
            bad.append(f"{variant} batch_trials")
        base = grp[list(grp)[0]]
        shocks = [s(x) for x in base["shock"][:]]
        got = {m["shock"]: (m["mean"], m["se"]) for m in jr.get("months_active", [])}
        for k, sh in enumerate(shocks):
            if sh in got and got[sh] != (float(base["months_active_mean"][k]),
                                         float(base["months_active_se"][k])):
                bad.append(f"{variant} months_active {sh}")
        if not got and shocks:
            bad.append(f"{variant} no months_active")
    check("json-runs-equal-the-attributes", not bad, "; ".join(bad[:5]))

else:  # the table
    lines = text.split("\n")
    check("no-e-notation", not re.search(r"\d[eE][+-]?\d", text),
          str([ln for ln in lines if re.search(r"\d[eE][+-]?\d", ln)][:3]))
    try:
        h = next(i for i, ln in enumerate(lines)
                 if ln.startswith("policy ") or ln.startswith("variant "))
    except StopIteration:
        h = None
    check("table-header", h is not None)
    head = lines[h] if h is not None else ""
    unit_line = None
    body = []
    if h is not None:
        i = h + 1
        # A second header line holds the sweeps' units, when they have one
        # unit each: text only left of the policy column.
        m = re.search(r"(?<!\S)policy(?!\S)", head)
        if batch and m and i < len(lines) and lines[i].strip() \
                and not lines[i][m.start():].strip():
            unit_line = lines[i]
            i += 1
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1

    def column(word):
        """Where a left-aligned column starts: its header word."""
        m = re.search(rf"(?<!\S){re.escape(word)}(?!\S)", head)
        return m.start() if m else None

    pos_policy, pos_region, pos_unit = column("policy"), column("region"), column("unit")
    num = r"-?[0-9][0-9.,]*"
    row_re = re.compile(rf"^\s+({num}) ± ([0-9.,]+)\s+({num})\s+({num})\s+({num})\s+({num})"
                        rf"(?:\s+({num}) ± ([0-9.,]+)\s+({num}))?$")
    grouped = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$")
    noise = 1e-9  # SF_FMT_NOISE: below it, rounding noise of sums (numfmt.h)

    def place_of(se_text):
        digits = se_text.replace(",", "")
        if float(digits) == 0:
            return None
        if "." in digits:
            return -len(digits.split(".")[1])
        return len(digits) - 2

    def se_place(se):
        """The place of se's second significant digit (None for 0)."""
        if se == 0:
            return None
        return int(f"{se:.1e}".split("e")[1]) - 1

    def shown_ok(shown, value, place):
        """shown: value rounded to 10^place; 4 significant digits if None."""
        x = float(shown.replace(",", ""))
        if place is None:
            if value == 0:
                return x == 0
            place = math.floor(math.log10(abs(value))) - 3
        return abs(x - value) <= 0.5 * 10.0 ** place * (1 + 1e-9)

    def two_digits(text_se):
        """Two significant digits: "0.043", "4.3", "430", "1,400"."""
        d = text_se.replace(",", "")
        if "." in d:
            return len(d.replace(".", "").lstrip("0")) == 2
        return len(d) >= 2 and d[0] != "0" and set(d[2:]) <= {"0"}

    def pm_ok(mean_text, se_text, mean, se, scale=0.0):
        """mean ± se as the table's rule shows them, noise counted as 0."""
        size = max(abs(mean), abs(scale))
        if abs(se) < noise * size:
            se = 0.0
        if abs(mean) < noise * size:
            mean = 0.0
        if se == 0:
            return se_text == "0" and shown_ok(mean_text, mean, None)
        return (two_digits(se_text) and shown_ok(se_text, se, place_of(se_text))
                and shown_ok(mean_text, mean, place_of(se_text)))

    variant = None
    policy = None
    keys, bad, pm_cols = [], [], {}
    for ln in body:
        if pos_policy is None or pos_region is None:
            bad.append("no policy or region column")
            break
        region = (ln[pos_region:].split() or [""])[0]
        if pos_unit is not None:
            unit = re.split(r"\s{2,}", ln[pos_unit:].strip())[0]
            rest = ln[pos_unit + len(unit):]
        else:
            rest = ln[pos_region + len(region):]
        m = row_re.match(rest)
        if not m:
            bad.append(f"row not parsed: {ln!r}")
            continue
        if ln[pos_policy:pos_region].strip():
            policy = ln[pos_policy:pos_region].strip()
        if batch:
            cells = re.split(r"\s{2,}", ln[:pos_policy].strip())
            if cells != [""]:
                variant, vals = cells[0], cells[1:]
                want = expected.get((variant, policy, region), {})
                if len(vals) != len(sweep_paths):
                    bad.append(f"sweep values {vals} of {variant}")
                for k, vt in enumerate(vals):
                    number = vt.split(" ")[0]
                    if not grouped.match(number) or not math.isclose(
                            float(number.replace(",", "")), want.get(f"sweep_{k}", math.nan),
                            rel_tol=1e-5):
                        bad.append(f"sweep value {vt} of {variant}")
        elif ln[:pos_policy].strip():
            bad.append(f"row start {ln[:pos_policy]!r}")
        key = (variant if batch else None, policy, region)
        keys.append(key)
        want = expected.get(key)
        if want is None:
            continue
        for c in m.groups():
            if c is not None and not grouped.match(c):
                bad.append(f"{key} number {c!r} not in fixed notation with separators")
        mean, se = m.group(1), m.group(2)
        if not pm_ok(mean, se, want["shortfall_mean"], want["shortfall_se"]):
            bad.append(f"{key} shortfall {mean} ± {se} vs {want['shortfall_mean']} ± {want['shortfall_se']}")
        sse = want["shortfall_se"]
        place = se_place(0.0 if abs(sse) < noise * abs(want["shortfall_mean"]) else sse)
        for txt, fld in ((m.group(3), "shortfall_p95"), (m.group(4), "shortfall_cvar95")):
            if not shown_ok(txt, want[fld], place):
                bad.append(f"{key} {fld} {txt} vs {want[fld]}")
        for txt, fld, se_fld in ((m.group(5), "p_short", "p_short_se"),
                                 (m.group(6), "fraction_mean", "fraction_se")):
            sev = want[se_fld]
            sev = 0.0 if abs(sev) < noise * abs(want[fld]) else sev
            if not shown_ok(txt, want[fld], se_place(sev)):
                bad.append(f"{key} {fld} {txt} vs {want[fld]} (se {sev})")
        if (m.group(7) is None) != (want["avoided_mean"] is None):
            bad.append(f"{key} avoided shown for the baseline or missing")
        elif m.group(7) is not None:
            a, ase, pb = m.group(7), m.group(8), m.group(9)
            scale = abs(want["shortfall_mean"]) + abs(want["avoided_mean"])
            if not pm_ok(a, ase, want["avoided_mean"], want["avoided_se"], scale):
                bad.append(f"{key} avoided {a} ± {ase} vs {want['avoided_mean']} ± {want['avoided_se']}")
            if not shown_ok(pb, want["p_better"], se_place(want["p_better_se"])):
                bad.append(f"{key} P(better) {pb} vs {want['p_better']}")
        # Where each '±' stands, counted in characters (UTF-8 decoded).
        for n, idx in enumerate(i for i, ch in enumerate(ln) if ch == "±"):
            pm_cols.setdefault(n, set()).add(idx)
    check("table-rows-one-per-mix-and-region", keys == order, f"{keys[:4]} vs {order[:4]}")
    check("table-numbers-rounded-to-their-se", not bad, "; ".join(bad[:4]))
    check("table-pm-aligned", bool(pm_cols) and all(len(v) == 1 for v in pm_cols.values()),
          str(pm_cols))
    if batch and want_units:
        # Swept values: a column named after each key, its unit below.
        ok = unit_line is not None
        for n, u in want_units.items():
            m = re.search(rf"(?<!\S){re.escape(n)}(?!\S)", head)
            ok &= m is not None and unit_line is not None and unit_line[:m.end()].endswith(u)
        check("table-sweep-columns-with-units", ok, f"{head!r} / {unit_line!r}")

sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""check_validate.py TMPDIR — tests of tools/validate: its pass rule for
each kind of tolerance on crafted numbers, and a run of the known-answer
episode tests/validation/quota.py (CSV columns, medians, a deliberate
failure kept as a failure, the page's results block rewritten and the
rest of the page kept)."""
import csv
import importlib.machinery
import importlib.util
import os
import subprocess
import sys

tmp = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
loader = importlib.machinery.SourceFileLoader("validate", os.path.join(root, "tools", "validate"))
spec = importlib.util.spec_from_loader("validate", loader)
v = importlib.util.module_from_spec(spec)
loader.exec_module(v)
fails = 0


def check(name, ok):
    global fails
    print(("ok " if ok else "not ok ") + name)
    fails += not ok


nan = float("nan")
check("abs-inside", v.passes(("abs", 0.1), 0.5, 0.59, 0, 1))
check("abs-outside", not v.passes(("abs", 0.1), 0.5, 0.61, 0, 1))
check("factor-inside", v.passes(("factor", 2), 10, 19.9, 0, 100))
check("factor-outside-low", not v.passes(("factor", 2), 10, 4.9, 0, 100))
check("factor-negative-observed", v.passes(("factor", 2), -10, -15, -100, 0))
check("factor-zero-observed", not v.passes(("factor", 2), 0, 0.1, 0, 1))
check("range-inside", v.passes(("range",), 0.36, 0.9, 0.2, 0.5))
check("range-outside", not v.passes(("range",), 0.36, 0.3, 0.1, 0.35))
check("nan-median-fails", not v.passes(("abs", 1), 1, nan, 0, 2))

csvp, page = os.path.join(tmp, "v.csv"), os.path.join(tmp, "page.md")
with open(page, "w") as fh:
    fh.write("# head\n<!-- results: begin -->\nstale\n<!-- results: end -->\nkept tail\n")
r = subprocess.run(["/usr/bin/python3", os.path.join(root, "tools", "validate"),
                    "--modules", os.path.join(root, "tests", "validation"),
                    "--csv", csvp, "--page", page, "--figures", os.path.join(tmp, "fig"),
                    "--bin", os.environ.get("SHORTFALL", os.path.join(root, "bin", "shortfall"))],
                   capture_output=True, text=True)
check("run-exit-0", r.returncode == 0)
rows = list(csv.DictReader(open(csvp))) if os.path.exists(csvp) else []
check("csv-columns", bool(rows) and list(rows[0]) == v.FIELDS)
by = {x["statistic"]: x for x in rows}
check("known-answer-exports-pass", by.get("exports_after", {}).get("pass") == "yes"
      and float(by["exports_after"]["simulated"]) == 50)
check("known-answer-price-pass", by.get("us_price_peak", {}).get("pass") == "yes")
check("wrong-observed-kept-as-failure", by.get("exports_before_wrong", {}).get("pass") == "no"
      and float(by["exports_before_wrong"]["simulated"]) == 100)
text = open(page).read()
check("page-block-rewritten", "stale" not in text and "| quota | exports_after | 50 |" in text
      and "3 of 4 comparisons pass." in text)
check("page-rest-kept", text.startswith("# head\n") and text.endswith("kept tail\n"))
check("figure-drawn", os.path.getsize(os.path.join(tmp, "fig", "quota.png")) > 1000)
bad = subprocess.run(["/usr/bin/python3", os.path.join(root, "tools", "validate"),
                      "--episode", "no-such-episode"], capture_output=True, text=True)
check("unknown-episode-exit-1", bad.returncode == 1 and "no episode" in bad.stderr)
sys.exit(1 if fails else 0)

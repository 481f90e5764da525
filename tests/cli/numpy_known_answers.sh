#!/usr/bin/env bash
# numpy_known_answers.sh — docs/model.md's known answers (scarcity below and
# past the price cap, surplus, two-tier prices under a quota below and past
# the cap, quotas fixed from a mixed history, tariff diversion, bans with
# inventories and stockpiles, refills only after calm months and given up
# before need, prices where a supplier has no market and of buyers with no
# plan, no shocks, hazard months; producers that exit and reopen, price
# floors on a lone mine and against a rival that closes, surges, lasting
# substitution under an outage and back, the public cost of each kind of
# intervention with and without discounting, the cost per unit avoided and
# tariff revenue) against the NumPy implementation, bench/numpy_baseline.py,
# to 1e-6 for a sweep of parameter values; and conservation in every traced
# month (with no rationed part within 1e-6 of the need left on record).
# The checks are in tests/python/numpy_known_answers.py, which prints the
# ok / not ok lines.  About 20 s on the loaded 2-core machine (12 s before
# the cases of issue 21).
set -u
exec /usr/bin/python3 tests/python/numpy_known_answers.py

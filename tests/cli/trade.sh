#!/usr/bin/env bash
# CLI tests of the regions' exports, supply and price index
# (docs/output.md, "Trade and regional prices"): known answers of the
# two-tier market under a quota, per path and in the means over trials
# (tests/python/check_trade.py).  Their bitwise reproducibility across
# threads, shards, resumes and --no-trials is checked with every other
# dataset by tests/cli/prices.sh and tests/cli/shards.sh.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash

"$py" tests/python/check_trade.py "$sf" "$tmp" >"$tmp/chk" 2>&1
sed 's/^\(not \)\{0,1\}ok /&trade: /' "$tmp/chk"
ok_if trade-all-checks-ran "[ \$(grep -c '^ok' $tmp/chk) -eq 44 ]" || tail -5 "$tmp/chk"

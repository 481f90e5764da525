#!/usr/bin/env bash
# CLI tests of `shortfall check`, --help and the exit codes.
set -u
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/cli/lib.bash

expect check-toy 0 'Commodities, in clearing order' -- "$sf" check scenarios/toy-magnets.yaml
"$sf" check scenarios/toy-magnets.yaml >"$tmp/toy" 2>&1
# The clearing order, the built-by-policy node and the coverage are shown.
grep -A4 'clearing order' "$tmp/toy" | grep -q '1 *concentrate' && \
grep -A4 'clearing order' "$tmp/toy" | grep -q '3 *magnet' && echo "ok check-order" || echo "not ok check-order"
grep -q "us_plant.*built by policy 'build'" "$tmp/toy" && echo "ok check-policy-node" || echo "not ok check-policy-node"
grep -A1 '^  cn_controls' "$tmp/toy" | grep -q 'covers 3 links' && echo "ok check-coverage" || echo "not ok check-coverage"
grep -q 'concentrate *1200 *1166.67 *1.029' "$tmp/toy" && echo "ok check-balance" || echo "not ok check-balance"
expect check-two-files 0 'toy-magnets' -- "$sf" check scenarios/toy-magnets.yaml scenarios/toy-magnets.yaml
expect check-missing-file 3 'cannot read' -- "$sf" check "$tmp/nope.yaml"
expect check-no-args 1 'usage: shortfall check' -- "$sf" check
expect check-bad-option 1 "unknown option '--bogus'" -- "$sf" check --bogus scenarios/toy-magnets.yaml
expect check-help 0 'usage: shortfall check' -- "$sf" check --help
expect help 0 'usage:' -- "$sf" --help
expect version 0 '^shortfall [0-9]+\.[0-9]+\.[0-9]+' -- "$sf" --version
expect unknown-command 1 "unknown command 'frobnicate'" -- "$sf" frobnicate
expect no-command 1 'usage:' -- "$sf"

# Warnings: printed (file:line:col: key.path: warning: ...), exit 0;
# --strict makes them exit 2.  A copy of the toy scenario with a
# restriction on an exporter that sells none of its commodities, a
# commodity nobody buys, and mines short of what the demand needs (by 4.7
# % at month 0, which the refiners' input buffers would hide for a month).
/usr/bin/python3 - scenarios/toy-magnets.yaml "$tmp/warn.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
for a, b in [("    exporter: CN\n    commodities: [oxide, magnet]",
              "    exporter: JP\n    commodities: [concentrate]"),
             ("  - {id: magnet, unit: t, tariff_elasticity: 3}",
              "  - {id: magnet, unit: t, tariff_elasticity: 3}\n  - {id: scrap, unit: t}"),
             ("  - {id: us_mine,",
              "  - {id: scrap_yard, kind: mine, country: US, output: scrap, capacity: 10}\n  - {id: us_mine,"),
             ("output: concentrate, capacity: 1000}", "output: concentrate, capacity: 700}")]:
    assert a in s, a
    s = s.replace(a, b)
open(sys.argv[2], "w").write(s)
PY
"$sf" check "$tmp/warn.yaml" >"$tmp/w.out" 2>"$tmp/w.err"; rc=$?
ok_if check-warnings-exit-0 "[ $rc -eq 0 ] && grep -q 'Commodities, in clearing order' $tmp/w.out" || cat "$tmp/w.err"
ok_if check-warn-empty-shock "grep -qx \"$tmp/warn.yaml:30:5: shocks\\[0\\]: warning: shock 'cn_controls' covers no supplier-buyer link: it changes nothing\" $tmp/w.err" || cat "$tmp/w.err"
ok_if check-warn-unbought "grep -qx \"$tmp/warn.yaml:16:5: commodities\\[3\\]: warning: commodity 'scrap' is produced (by 'scrap_yard') but no node buys it\" $tmp/w.err" || cat "$tmp/w.err"
ok_if check-warn-short-at-month-0 "grep -q \"^$tmp/warn.yaml:27:5: nodes\\[7\\]: warning: demand node 'cn_demand' cannot be met at month 0: with no shock and no stocks, 2.353 of its 50 t a month (4.7 %) go short\" $tmp/w.err && grep -q \"nodes\\[8\\]: warning: demand node 'us_demand' cannot be met\" $tmp/w.err" || cat "$tmp/w.err"
ok_if check-warnings-on-stderr "[ \$(wc -l <$tmp/w.err) -eq 4 ] && ! grep -q warning $tmp/w.out" || cat "$tmp/w.err"
expect check-strict 2 'shortfall check: 4 warnings \(--strict\)' -- "$sf" check --strict "$tmp/warn.yaml"
# The shipped scenarios and the example batch have nothing to warn of.
for s in scenarios/*.yaml examples/batches/*.yaml; do
  expect "check-strict-clean-$(basename "$s" .yaml)" 0 '' -- "$sf" check --strict "$s"
done
# Demand beyond the plants' capacity: every demand node warned, as the
# run's baseline shows (short in every trial without any shock).
sed 's/demand: 600}/demand: 1200}/' scenarios/toy-magnets.yaml >"$tmp/big.yaml"
expect check-warn-plants-short 0 "nodes\[6\]: warning: demand node 'cn_demand' cannot be met at month 0: .* \(31\.0 %\) go short" -- "$sf" check "$tmp/big.yaml"

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

#!/usr/bin/env bash
# The test helpers themselves (tests/cli/lib.bash): a failing check says
# "not ok" and returns non-zero, so that the evidence after `||` shows;
# a passing one returns 0 and shows none.
set -u
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/cli/lib.bash

printf 'a\nb\n' >"$tmp/x"; printf 'a\nc\n' >"$tmp/y"
# A deliberately broken check, run apart so that its "not ok" is not ours.
out=$(ok_if broken "cmp -s $tmp/x $tmp/y" || diff "$tmp/x" "$tmp/y")
case "$out" in
  *"not ok broken"*"> c"*) echo "ok ok_if-failure-shows-evidence" ;;
  *) echo "not ok ok_if-failure-shows-evidence"; printf '%s\n' "$out" | sed 's/^/    /' ;;
esac
out=$(ok_if fine "cmp -s $tmp/x $tmp/x" || echo EVIDENCE)
case "$out" in
  "ok fine") echo "ok ok_if-success-shows-nothing" ;;
  *) echo "not ok ok_if-success-shows-nothing"; printf '%s\n' "$out" | sed 's/^/    /' ;;
esac
out=$(expect broken 0 'x' -- false || echo EVIDENCE)
case "$out" in
  "not ok broken"*EVIDENCE) echo "ok expect-failure-returns-nonzero" ;;
  *) echo "not ok expect-failure-returns-nonzero"; printf '%s\n' "$out" | sed 's/^/    /' ;;
esac
out=$(expect fine 0 'hello' -- echo hello || echo EVIDENCE)
case "$out" in
  "ok fine") echo "ok expect-success-returns-zero" ;;
  *) echo "not ok expect-success-returns-zero"; printf '%s\n' "$out" | sed 's/^/    /' ;;
esac

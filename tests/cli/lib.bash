#!/usr/bin/env bash
# lib.sh — helpers shared by the CLI tests (sourced, not run).
#
#   expect NAME STATUS PATTERN -- COMMAND...
#       runs COMMAND; prints "ok NAME" if it exits with STATUS and its
#       output (stdout and stderr) matches the extended regex PATTERN,
#       else "not ok NAME" and the output.
#   ok_if NAME CONDITION
#       prints "ok NAME" if the shell condition holds, else "not ok NAME".
# Both return 0 on "ok" and 1 on "not ok", so that evidence can follow a
# failure: `ok_if same "cmp -s a b" || diff a b`.  (So no test script may
# run under `set -e`: a failing check would end it.)
# Needs $tmp (a scratch directory) to be set.

expect() {
  local name=$1 want=$2 pat=$3; shift 4
  "$@" >"$tmp/out" 2>&1; local rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" "$tmp/out"; then
    echo "ok $name"
  else
    echo "not ok $name (exit $rc, wanted $want; pattern '$pat')"
    sed 's/^/    /' "$tmp/out" | head -20
    return 1
  fi
}

ok_if() {
  if eval "$2"; then
    echo "ok $1"
  else
    echo "not ok $1"
    return 1
  fi
}

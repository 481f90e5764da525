#!/usr/bin/env bash
# bad-inputs.sh — `shortfall check` on every file of the bad-input corpus
# tests/bad/*.yaml.  Each file's first line is
#   # expect: LINE:COL: KEY.PATH: message substring
# and the check must exit with status 2 and print exactly one line on
# stderr that holds "FILE:LINE:COL: KEY.PATH: " followed (later on the
# line) by the message substring.  Prints "ok bad/NAME" or "not ok bad/NAME".
set -u
cd "$(dirname "$0")/../.." || exit 1
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

n=0
for f in tests/bad/*.yaml; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  name=bad/$(basename "$f" .yaml)
  expect=$(sed -n '1s/^# expect: //p' "$f")
  if [ -z "$expect" ]; then
    echo "not ok $name (no '# expect:' line)"; continue
  fi
  loc=${expect%%: *}         # LINE:COL
  rest=${expect#*: }
  keypath=${rest%%: *}       # KEY.PATH
  msg=${rest#*: }            # message substring
  prefix="$f:$loc: $keypath: "

  "$sf" check "$f" >"$tmp/out" 2>"$tmp/err"; rc=$?
  lines=$(wc -l <"$tmp/err")
  line=$(head -n 1 "$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$line" == *"$prefix"*"$msg"* ]]; then
    echo "ok $name"
  else
    echo "not ok $name (exit $rc, wanted 2; $lines line(s) on stderr)"
    echo "    wanted: $prefix...$msg"
    sed 's/^/    got:    /' "$tmp/err" | head -5
  fi
done
if [ "$n" -eq 0 ]; then
  echo "not ok bad/corpus (no files in tests/bad)"
fi

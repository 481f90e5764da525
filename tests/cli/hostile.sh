#!/usr/bin/env bash
# hostile.sh — every hostile input of the hardening issue, generated here:
# enormous numbers, NaN/Inf written in YAML, 10^6 nodes, deep nesting,
# duplicated ids, anchors and alias bombs, a 2 GB file, a horizon of 10^7
# months, -n 0 and -n 10^12, quadratic network shapes; results files that
# are truncated, bit-flipped, from another program, of another format
# version, out of range, or of a different scenario, given to info, merge
# and run --resume.  Each either works within the stated limits
# (docs/reliability.md) or fails quickly with one clear error line, never a
# crash, and a refused merge or resume leaves the existing file as it was.
#
# HOSTILE_HEAVY=0 skips the slowest cases (10^6 and 89,000 nodes) and flips
# 6 offsets instead of 11; it is the default
# under ASan (BUILD or SHORTFALL naming an asan build).
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
H=tests/python/hostile.py
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
toy=scenarios/toy-magnets.yaml
q="--progress never"
. tests/cli/lib.bash

heavy=${HOSTILE_HEAVY:-1}
# The time and memory bounds below guard against hangs and unbounded
# memory, not speed (bench/ measures that): twice the time seen on an idle
# machine, for a loaded one; under ASan, which is slower and keeps shadow
# memory and freed blocks, three times more time and memory again.
tscale=2 mscale=1
asan=0
case "${BUILD:-}:$sf" in *asan*) asan=1 heavy=${HOSTILE_HEAVY:-0}; tscale=6 mscale=3 ;; esac

# expect_fast NAME STATUS PATTERN SECONDS KB -- COMMAND...: as expect, and
# the command must also finish within SECONDS and a peak RSS of KB (scaled
# as above).
expect_fast() {
  local name=$1 want=$2 pat=$3 secs=$(( $4 * tscale )) kb=$(( $5 * mscale )); shift 6
  /usr/bin/time -f 'TIME %e %M' -o "$tmp/time" "$@" >"$tmp/out" 2>&1; local rc=$?
  local t m; read -r _ t m < <(grep '^TIME' "$tmp/time")
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" "$tmp/out" &&
     awk -v t="$t" -v s="$secs" -v m="$m" -v k="$kb" 'BEGIN{exit !(t <= s && m <= k)}'; then
    echo "ok $name (${t} s, $((m / 1024)) MB)"
  else
    echo "not ok $name (exit $rc, wanted $want; ${t} s <= $secs? ${m} KB <= $kb?; pattern '$pat')"
    sed 's/^/    /' "$tmp/out" | head -5
  fi
}

# Runs a command; its status, or 98 unless stderr holds exactly one line
# after a failure and nothing after a success (and never a sanitizer report).
one_line() {
  "$@" >/dev/null 2>"$tmp/err"; local rc=$? n
  n=$(wc -l <"$tmp/err")
  if [ $rc -gt 2 ] || { [ $rc -eq 0 ] && [ "$n" -ne 0 ]; } || { [ $rc -ne 0 ] && [ "$n" -ne 1 ]; }; then
    [ $rc -eq 3 ] && [ "$n" -eq 1 ] || return 98
  fi
  return $rc
}

base() {  # a small valid scenario with ENTRY substituted into one node
  cat <<EOF
name: hostile
commodities:
  - {id: ore, unit: t, price: PRICE}
  - {id: metal, unit: t}
nodes:
  - {id: mine, kind: mine, country: AU, output: ore, capacity: CAP}
  - {id: smelter, kind: refiner, country: CN, input: ore, output: metal, capacity: 90}
  - {id: users, kind: demand, country: US, input: metal, demand: DEM, growth: GRO}
EOF
}
scen() {  # scen OUT CAP DEM PRICE GROWTH [HORIZON]
  base | sed "s/CAP/$2/; s/DEM/$3/; s/PRICE/$4/; s/GRO/$5/" >"$1"
  [ -n "${6:-}" ] && sed -i "1a horizon_months: $6" "$1"
  return 0
}

# ---- Numbers ---------------------------------------------------------------
# NaN and infinity in every spelling YAML or strtod knows.
for v in .nan .NaN .NAN .inf .Inf +.inf -.inf -.INF nan NaN inf -inf infinity 1e999 -1e999 0x1p1024; do
  scen "$tmp/nf.yaml" 100 "$v" 1 0
  expect "nonfinite[$v]" 2 "nodes\\[2\\]\\.demand: must be a finite number, got ${v//+/\\+}" -- "$sf" check "$tmp/nf.yaml"
done
# Enormous numbers are refused; the largest allowed ones run to finite,
# consistent results.
for key in cap dem price; do
  case $key in cap) scen "$tmp/big.yaml" 1e308 80 1 0 ;; dem) scen "$tmp/big.yaml" 100 1e308 1 0 ;;
               price) scen "$tmp/big.yaml" 100 80 1e308 0 ;; esac
  expect "huge-$key" 2 ': must be between -1e15 and 1e15, got 1e308' -- "$sf" check "$tmp/big.yaml"
done
scen "$tmp/max.yaml" 1e15 1e15 1e15 0
expect max-values-run 0 'Results:' -- "$sf" run "$tmp/max.yaml" -n 300 -o "$tmp/max.h5" $q
ok_if max-values-finite "[ \"\$($py $H sane $tmp/max.h5)\" = sane ]"
scen "$tmp/tiny.yaml" 1e-15 1e-15 1e-15 0
expect min-values-run 0 'Results:' -- "$sf" run "$tmp/tiny.yaml" -n 300 -o "$tmp/tiny.h5" $q
ok_if min-values-finite "[ \"\$($py $H sane $tmp/tiny.h5)\" = sane ]"
# Values that overflow when multiplied by growth over the horizon.
scen "$tmp/grow.yaml" 100 80 1 5 12000
expect growth-overflow 2 'nodes\[2\]\.growth: growing by 5 a year for 12000 months multiplies demand 80 by inf' -- "$sf" check "$tmp/grow.yaml"
scen "$tmp/grow.yaml" 100 1e6 1 0.05 12000
expect growth-past-limit 2 'multiplies demand 1e\+06 by 1.5[0-9]*e\+21; the result must stay at most 1e15' -- "$sf" check "$tmp/grow.yaml"
scen "$tmp/grow.yaml" 100 80 1 0.02 12000
expect growth-within-limit 0 'horizon 12000 months' -- "$sf" check "$tmp/grow.yaml"
scen "$tmp/trials.yaml" 100 80 1 0
sed -i '1a trials: 1e13' "$tmp/trials.yaml"
expect trials-yaml-1e13 2 'trials: must be <= 1000000000000, got 1e13' -- "$sf" check "$tmp/trials.yaml"

# ---- Trial counts ----------------------------------------------------------
expect n-0 1 '-n needs a whole number of trials from 1 to 10\^12' -- "$sf" run $toy -n 0
expect n-1e13-text 1 "got '1e13' \\(too large\\)" -- "$sf" run $toy -n 1e13
expect n-negative 1 "got '-5'" -- "$sf" run $toy -n -5
expect n-past-u64 1 "got '99999999999999999999'" -- "$sf" run $toy -n 99999999999999999999
expect n-past-1e12 1 "got '1000000000001'" -- "$sf" run $toy -n 1000000000001
expect_fast n-1e12 2 'a run holds at most 2\^32 trials' 5 200000 -- "$sf" run $toy -n 1000000000000 -o "$tmp/n.h5" $q
expect_fast n-2e32 3 'allocating results for 4294967296 trials: out of memory' 5 200000 -- "$sf" run $toy -n 4294967296 --target-rse 0.0001 -o "$tmp/n.h5" $q
expect stats-memory-0 1 "--stats-memory needs a number of MB from 1 to 2\\^30, got '0'" -- "$sf" run $toy --stats-memory 0
expect stats-memory-huge 3 'the statistics may take 1073741824 MB [(]--stats-memory[)], more than this machine' -- "$sf" run $toy -n 10 --stats-memory 1073741824 -o "$tmp/n.h5" $q
ok_if n-no-file "[ ! -e $tmp/n.h5 ]"
# A plain run of 2^32 trials streams its rows and starts; interrupted, it
# writes what it did at once (the per-trial variables grow wave by wave:
# cutting them from 2^32 rows took HDF5 8 s) in memory that does not
# depend on the 2^32.
expect_fast n-2e32-streamed-interrupted 130 'interrupted after [0-9]+ of 4294967296 trials' 8 200000 -- timeout --preserve-status -s INT 3 "$sf" run $toy -n 4294967296 -o "$tmp/n2.h5" $q
ok_if n-2e32-streamed-resumable "$py -c \"import h5py; f = h5py.File('$tmp/n2.h5'); d = f['toy-magnets/baseline/shortfall_cum']; exit(not (0 < d.shape[0] == f.attrs['trials_done'] < 2**32))\""

# ---- Horizon ----------------------------------------------------------------
scen "$tmp/h.yaml" 100 80 1 0 10000000
expect horizon-1e7 2 'horizon_months: must be <= 12000, got 10000000' -- "$sf" check "$tmp/h.yaml"

# ---- Size: files, nodes, nesting, aliases ----------------------------------
truncate -s 2G "$tmp/2g.yaml"
expect_fast file-2g 2 'larger than the 64 MiB limit' 2 50000 -- "$sf" check "$tmp/2g.yaml"
expect_fast file-2g-run 2 'larger than the 64 MiB limit' 2 50000 -- "$sf" run "$tmp/2g.yaml" -n 1 -o "$tmp/x.h5"
expect_fast file-endless 2 'larger than the 64 MiB limit' 5 400000 -- "$sf" check /dev/zero
if [ "$heavy" = 1 ]; then
  "$py" $H scenario nodes "$tmp/n1m.yaml" 1000000
  expect_fast nodes-1e6 2 '\(document\): the document holds more than 1000000 values' 10 300000 -- "$sf" check "$tmp/n1m.yaml"
  rm -f "$tmp/n1m.yaml"
else
  echo "ok nodes-1e6 # SKIP heavy (HOSTILE_HEAVY=0)"
fi
# One commodity's market is solved densely (models/clearing.c): more than
# 2,000 producers of one commodity is a load error, not an out-of-memory
# after the start (version 2 said "starting the run: out of memory").
"$py" $H scenario nodes "$tmp/n89k.yaml" 89000
expect_fast nodes-89000-run 2 "commodities\\[0\\]: 'o' has 89000 producers and 0 export restrictions that cover it: .* more than the limit of 2000" 30 600000 -- "$sf" run "$tmp/n89k.yaml" -n 1 -o "$tmp/n89k.h5" $q
"$py" $H scenario nodes "$tmp/n2001.yaml" 2001
expect_fast nodes-2001-check 2 "'o' has 2001 producers" 10 300000 -- "$sf" check "$tmp/n2001.yaml"
"$py" $H scenario nodes "$tmp/n400.yaml" 400
expect_fast nodes-400-run 0 'Results:' 60 600000 -- "$sf" run "$tmp/n400.yaml" -n 2 -o "$tmp/n400.h5" $q
"$py" $H scenario units "$tmp/u.yaml" 30000
expect_fast units-30000 2 'horizon_months: 12 months x 30002 units .* more than the limit of 262144' 10 300000 -- "$sf" check "$tmp/u.yaml"
"$py" $H scenario links "$tmp/l.yaml" 20000
expect_fast links-10000x10000 2 'nodes\[10100\]: the network has more than 1000000 supplier-buyer links' 10 300000 -- "$sf" check "$tmp/l.yaml"
"$py" $H scenario reach "$tmp/r.yaml" 999
expect_fast shocks-999-on-1e6-links 2 'shocks\[10\]: the shocks reach more than 10000000 links and nodes' 10 300000 -- "$sf" check "$tmp/r.yaml"
"$py" $H scenario blocs "$tmp/b.yaml" 100000
expect_fast bloc-100000-named-3000-times 2 'country sets name more than 10000000 countries' 10 300000 -- "$sf" check "$tmp/b.yaml"
"$py" $H scenario commodities "$tmp/c.yaml" 100000
expect_fast commodities-100000 0 'horizon 12 months' 15 400000 -- "$sf" check "$tmp/c.yaml"
"$py" $H scenario chain "$tmp/ch.yaml" 20000
expect_fast commodity-chain-20000 0 'horizon 12 months' 15 400000 -- "$sf" check "$tmp/ch.yaml"
"$py" $H scenario policies "$tmp/p.yaml" 300
expect_fast policies-300-run 2 'policies\[256\]: more than 256 policy mixes' 5 100000 -- "$sf" run "$tmp/p.yaml" -n 10 -o "$tmp/p.h5" $q
# 256 mixes load, and a run takes all of them up to the point where the
# crash was (the mixes of the run are listed before the output is opened;
# writing 256 groups would take 14 s).
"$py" $H scenario policies "$tmp/p.yaml" 256
expect policies-256-check 0 '  p254' -- "$sf" check "$tmp/p.yaml"
expect_fast policies-256-run 3 'cannot write' 5 200000 -- "$sf" run "$tmp/p.yaml" -n 1 -o "$tmp/no/such/dir/p.h5" $q
"$py" $H scenario states "$tmp/s.yaml" 30000
expect_fast regime-states-30000 2 'regimes.states\[100\]: more than 100 regime states' 5 100000 -- "$sf" check "$tmp/s.yaml"
"$py" $H scenario flow "$tmp/d.yaml" 100000
expect_fast nesting-flow-1e5 2 'description(\[0\]){64}: nested more than 64 levels deep' 3 100000 -- "$sf" check "$tmp/d.yaml"
"$py" $H scenario flowmap "$tmp/d.yaml" 100000
expect_fast nesting-flowmap-1e5 2 'description(\.a){64}: nested more than 64 levels deep' 3 100000 -- "$sf" check "$tmp/d.yaml"
"$py" $H scenario block "$tmp/d.yaml" 3000
expect_fast nesting-block-3000 2 'description(\.a){64}: nested more than 64 levels deep' 3 100000 -- "$sf" check "$tmp/d.yaml"
expect_fast alias-bomb 2 'expands to more than 1000000 values' 3 100000 -- "$sf" check tests/bad/limit-alias-bomb.yaml
"$py" $H scenario wide-alias "$tmp/a.yaml" 1001
expect_fast alias-wide 2 'expands to more than 1000000 values \(an alias counts every time' 3 100000 -- "$sf" check "$tmp/a.yaml"
"$py" $H scenario self-alias "$tmp/a.yaml"
expect_fast alias-self 2 'description(\[[01]\]){64}: nested more than 64 levels deep' 3 100000 -- "$sf" check "$tmp/a.yaml"
# Anchors used as intended load; YAML merge keys are not part of the schema.
sed 's/  - {id: cn_mine, kind: mine, country: CN, output: concentrate, capacity: 1000}/  - \&m {id: cn_mine, kind: mine, country: CN, output: concentrate, capacity: 1000}/; s/    duration_months: {dist: lognormal, median: 6, sigma: 0.7}/    duration_months: \&d {dist: lognormal, median: 6, sigma: 0.7}/' $toy >"$tmp/anch.yaml"
printf '  - id: extra\n    kind: outage\n    nodes: [cn_mine]\n    hazard_per_year: 0.1\n    duration_months: *d\n' >"$tmp/extra"
sed -i "/^triggers:/e cat $tmp/extra" "$tmp/anch.yaml"
expect anchors-shared 0 'extra +outage' -- "$sf" check "$tmp/anch.yaml"
printf '  - {<<: *m, id: cn_mine2}\n' >"$tmp/extra"
sed "/^  - {id: us_mine/e cat $tmp/extra" "$tmp/anch.yaml" >"$tmp/merge-key.yaml"
expect anchors-merge-key 2 "unknown key '<<'" -- "$sf" check "$tmp/merge-key.yaml"

# ---- Duplicates -------------------------------------------------------------
dup() {  # dup NAME SED-EXPRESSION PATTERN
  sed "$2" $toy >"$tmp/dup.yaml"
  expect "duplicate-$1" 2 "$3" -- "$sf" check "$tmp/dup.yaml"
}
dup node-id 's/id: us_mine,/id: cn_mine,/' "node id 'cn_mine' is already used by nodes\[0\]"
dup commodity-id 's/id: oxide, unit: t}/id: concentrate, unit: t}/' "commodity id 'concentrate' is already used"
dup shock-id 's/  - id: us_tariff/  - id: cn_controls/' "shock id 'cn_controls' is already used by shocks\[0\]"
dup policy-name 's/  - name: stockpile/  - name: baseline/' "policy name 'baseline' is already used"
dup yaml-key 's/capacity: 1000}/capacity: 1000, capacity: 5}/' "key 'capacity' appears twice in one mapping"
dup top-key 's/^seed: 7/seed: 7\nseed: 8/' "key 'seed' appears twice"
dup list-item 's/commodities: \[oxide, magnet\]/commodities: [oxide, oxide]/' "'oxide' is listed twice"
dup bloc-member 's/allies: \[US, JP\]/allies: [US, JP], allies: [US]/' "key 'allies' appears twice"
dup built-node 's/node: {id: us_plant,/node: {id: us_mine,/' "node id 'us_mine' is already used"

# ---- Results files ----------------------------------------------------------
# HDF5 1.10.8 itself leaks memory when its metadata cache fails to load a
# corrupt object header (424 bytes from H5Aexists -> H5O_protect, nothing of
# shortfall's on the stack); under ASan that leak is suppressed here as in
# `make fuzz` (fuzz/lsan.supp).  The sections above run without it.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
"$sf" run $toy -n 30 -o "$tmp/small.h5" $q >/dev/null 2>&1
"$sf" run $toy -n 100 -o "$tmp/full.h5" $q >/dev/null 2>&1
"$sf" run $toy --trials 0:20 -o "$tmp/s1.h5" $q >/dev/null 2>&1
"$sf" run $toy --trials 20:40 -o "$tmp/s2.h5" $q >/dev/null 2>&1
"$sf" merge "$tmp/ref.h5" "$tmp/s1.h5" "$tmp/s2.h5" >/dev/null 2>&1
# An incomplete file, deterministically: the 30-trial file claims 100.
cp "$tmp/small.h5" "$tmp/inc.h5"
"$py" $H setattr "$tmp/inc.h5" complete 0 trials 100
table() { "$sf" info "$1" 2>&1 | tail -n +2 | grep -v 'trials/s'; }
table "$tmp/s1.h5" >"$tmp/t_s1"; table "$tmp/ref.h5" >"$tmp/t_ref"; table "$tmp/full.h5" >"$tmp/t_full"
cp "$tmp/inc.h5" "$tmp/r.h5"
"$sf" run --resume "$tmp/r.h5" $q >/dev/null 2>&1
ok_if resume-baseline "[ -s $tmp/t_full ] && table $tmp/r.h5 | cmp -s - $tmp/t_full"

# checks FILE_FOR_INFO_AND_MERGE FILE_FOR_RESUME LABEL: info, merge --force
# over an existing file, and --resume each give one error line (status 2)
# and leave the existing file as it was, or succeed with the right answer.
checks() {
  local f=$1 r=$2 label=$3 rc sum verdict=""
  one_line "$sf" info "$f"; rc=$?
  if [ $rc -eq 0 ]; then table "$f" | cmp -s - "$tmp/t_s1" || verdict+=" info:wrong-answer"
  elif [ $rc -ne 2 ]; then verdict+=" info:exit-$rc"; fi
  cp "$tmp/ref.h5" "$tmp/m.h5"; sum=$(md5sum <"$tmp/m.h5")
  one_line "$sf" merge --force "$tmp/m.h5" "$f" "$tmp/s2.h5"; rc=$?
  if [ $rc -eq 0 ]; then table "$tmp/m.h5" | cmp -s - "$tmp/t_ref" || verdict+=" merge:wrong-answer"
  elif [ $rc -ne 2 ]; then verdict+=" merge:exit-$rc"
  elif [ "$(md5sum <"$tmp/m.h5")" != "$sum" ]; then verdict+=" merge:overwrote"; fi
  sum=$(md5sum <"$r")
  one_line "$sf" run --resume "$r" $q; rc=$?
  if [ $rc -eq 0 ]; then table "$r" | cmp -s - "$tmp/t_full" || verdict+=" resume:wrong-answer"
  elif [ $rc -ne 2 ]; then verdict+=" resume:exit-$rc"
  elif [ "$(md5sum <"$r")" != "$sum" ]; then verdict+=" resume:overwrote"; fi
  if [ -z "$verdict" ]; then echo "ok $label"; else echo "not ok $label:$verdict"; sed 's/^/    /' "$tmp/err"; fi
}
expect_refused() {  # expect_refused LABEL PATTERN FILE: all three refuse it
  local label=$1 pat=$2 f=$3 sum
  expect "$label-info" 2 "$pat" -- "$sf" info "$f"
  cp "$tmp/ref.h5" "$tmp/m.h5"; sum=$(md5sum <"$tmp/m.h5")
  expect "$label-merge" 2 "$pat" -- "$sf" merge --force "$tmp/m.h5" "$f" "$tmp/s2.h5"
  ok_if "$label-merge-kept" "[ \"\$(md5sum <$tmp/m.h5)\" = \"$sum\" ]"
  cp "$f" "$tmp/res.h5"; sum=$(md5sum <"$tmp/res.h5")
  expect "$label-resume" 2 "$pat" -- "$sf" run --resume "$tmp/res.h5" $q
  ok_if "$label-resume-kept" "[ \"\$(md5sum <$tmp/res.h5)\" = \"$sum\" ]"
}

# Bit flips at offsets spread over the file: the superblock, the root's
# metadata, attributes, chunk indexes, compressed data, the end.
size=$(stat -c %s "$tmp/s1.h5")
offsets="0 40 300 3000 20000 $((size / 3)) $((size / 2)) $((size * 3 / 4)) $((size - 5000)) $((size - 700)) $((size - 9))"
# Without the heavy cases (under ASan) six of them.
[ "$heavy" = 1 ] || offsets="0 300 20000 $((size / 2)) $((size - 5000)) $((size - 9))"
for off in $offsets; do
  "$py" $H flip "$tmp/s1.h5" "$tmp/f.h5" $off
  "$py" $H flip "$tmp/inc.h5" "$tmp/fr.h5" $off
  checks "$tmp/f.h5" "$tmp/fr.h5" "bitflip@$off"
done
# The scenario text inside the file: HDF5 checksums the root attributes.
# Every copy of it (the root's, and the policy groups' provenance).
cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
for off in $(grep -boa 'hazard_per_year: 0.4' "$tmp/s1.h5" | cut -d: -f1); do
  "$py" $H flip "$tmp/f.h5" "$tmp/f.h5" $((off + 19))
done
for off in $(grep -boa 'hazard_per_year: 0.4' "$tmp/inc.h5" | cut -d: -f1); do
  "$py" $H flip "$tmp/fr.h5" "$tmp/fr.h5" $((off + 19))
done
checks "$tmp/f.h5" "$tmp/fr.h5" "bitflip-scenario-text"
ok_if bitflip-scenario-text-refused "$sf info $tmp/f.h5 2>&1 | grep -q 'damaged results file'"

# A datatype message damaged with a valid checksum (found by the results
# fuzzer with its checksums resealed): per-trial data typed as 1,032-byte
# floats over chunks laid out for doubles.  HDF5 1.10.8 read past the
# chunk's buffer (merge: SIGSEGV); shortfall now reads only the types it
# writes.
cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
for f in f fr; do "$py" $H retype "$tmp/$f.h5" toy-magnets/baseline/tariff_paid 1032; done
checks "$tmp/f.h5" "$tmp/fr.h5" "retyped-float"
cp "$tmp/ref.h5" "$tmp/m.h5"
expect retyped-float-refused 2 "per-trial data of policy 'baseline' missing or of the wrong size" -- "$sf" merge --force "$tmp/m.h5" "$tmp/f.h5" "$tmp/s2.h5"

# One byte of the chunk index, which HDF5 does not checksum: the filter
# mask of a deflated chunk set to "stored raw" (found by the results
# fuzzer).  HDF5 1.10.8 copied a whole chunk out of the 12 bytes it read:
# merge went on with the bytes past them as per-trial values (valgrind:
# invalid read) and exit 0.  A raw chunk must now be one chunk's bytes.
# Mask 1 is one flipped bit (deflate is this dataset's only filter); mask
# 2 names a filter it does not have, so the chunk reads as it should.
for mask in 1 255; do
  cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
  for f in f fr; do "$py" $H chunkmask "$tmp/$f.h5" toy-magnets/baseline/tariff_paid $mask; done
  checks "$tmp/f.h5" "$tmp/fr.h5" "chunk-marked-raw-$mask"
  cp "$tmp/ref.h5" "$tmp/m.h5"
  expect chunk-marked-raw-$mask-refused 2 "per-trial data of policy 'baseline' missing or of the wrong size" -- "$sf" merge --force "$tmp/m.h5" "$tmp/f.h5" "$tmp/s2.h5"
done
# The same damage in the second shard, after merge has streamed the
# first one's rows into its temporary file: refused, the existing file
# kept, and no temporary file left behind.
cp "$tmp/s2.h5" "$tmp/f2.h5"; "$py" $H chunkmask "$tmp/f2.h5" toy-magnets/baseline/tariff_paid 1
cp "$tmp/ref.h5" "$tmp/m.h5"; sum=$(md5sum <"$tmp/m.h5")
expect second-shard-damaged-refused 2 "f2.h5: damaged results file \\(per-trial data of policy 'baseline'" -- "$sf" merge --force "$tmp/m.h5" "$tmp/s1.h5" "$tmp/f2.h5"
ok_if second-shard-damaged-kept "[ \"\$(md5sum <$tmp/m.h5)\" = \"$sum\" ] && ! ls -a $tmp | grep -q '^\.m\.h5\.tmp-'"
cp "$tmp/s1.h5" "$tmp/f.h5"; "$py" $H chunkmask "$tmp/f.h5" toy-magnets/baseline/tariff_paid 2
cp "$tmp/ref.h5" "$tmp/m.h5"
"$sf" merge --force "$tmp/m.h5" "$tmp/f.h5" "$tmp/s2.h5" >/dev/null 2>&1
ok_if chunk-mask-unknown-filter-read "[ -s $tmp/t_ref ] && table $tmp/m.h5 | cmp -s - $tmp/t_ref"

# Chunks of 20 x 1,000,000 doubles over a 20 x 2 dataset (its layout
# message rewritten, checksum valid; found by the results fuzzer): HDF5
# 1.10.8 unpacked the 320 bytes there were and copied on past them (merge:
# SIGSEGV).  No chunk may exceed the dataset's fixed maximum extent.
cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
for f in f fr; do "$py" $H rechunk "$tmp/$f.h5" toy-magnets/baseline/tariff_paid 1 1000000; done
checks "$tmp/f.h5" "$tmp/fr.h5" "chunk-beyond-extent"
cp "$tmp/ref.h5" "$tmp/m.h5"
expect chunk-beyond-extent-refused 2 "per-trial data of policy 'baseline' missing or of the wrong size" -- "$sf" merge --force "$tmp/m.h5" "$tmp/f.h5" "$tmp/s2.h5"

# A dataspace of 20 x (2^62 + 2) over 20 x 2 data, checksum valid: HDF5
# counts its points modulo 2^64, 40, as many as expected (found by the
# results fuzzer).  Walking its chunks never ended; the extent is now
# counted without overflow and within its maximum.
cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
for f in f fr; do "$py" $H redim "$tmp/$f.h5" toy-magnets/baseline/tariff_paid 1 0x4000000000000002; done
checks "$tmp/f.h5" "$tmp/fr.h5" "extent-wraps"
cp "$tmp/ref.h5" "$tmp/m.h5"
expect_fast extent-wraps-refused 2 "per-trial data of policy 'baseline' missing or of the wrong size" 5 200000 -- "$sf" merge --force "$tmp/m.h5" "$tmp/f.h5" "$tmp/s2.h5"

# The filter pipeline message turned into one HDF5 does not know and
# skips, checksum valid (found by the edit-list fuzzer): the deflated
# chunks are read as raw, and HDF5 1.10.8 copied a whole chunk out of the
# 12 bytes it read (valgrind: invalid read), merge exit 0.  A chunked
# variable must now be deflated, as shortfall writes every one.
cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
for f in f fr; do "$py" $H nofilters "$tmp/$f.h5" toy-magnets/baseline/tariff_paid; done
checks "$tmp/f.h5" "$tmp/fr.h5" "filters-hidden"
cp "$tmp/ref.h5" "$tmp/m.h5"
expect filters-hidden-refused 2 "per-trial data of policy 'baseline' missing or of the wrong size" -- "$sf" merge --force "$tmp/m.h5" "$tmp/f.h5" "$tmp/s2.h5"

# An attribute's integer type damaged with a valid checksum (found by the
# edit-list fuzzer): format_version as a 32-bit integer of 62,496-bit
# precision.  HDF5 1.10.8 converted it reading far past the value
# (valgrind: invalid read) and shortfall printed the garbage as a format
# version; an integer attribute must now be a plain integer type.
cp "$tmp/inc.h5" "$tmp/prec.h5"; "$py" $H attrprecision "$tmp/prec.h5" format_version 62496
expect_refused attr-precision 'damaged results file \(its format_version attribute is missing or not one integer\)' "$tmp/prec.h5"
# As h5py writes a Python int (int64): read when it fits, refused when it
# does not (HDF5 would have clamped 2^40 to 2147483647 without a word).
cp "$tmp/inc.h5" "$tmp/i64.h5"; "$py" $H attrretype "$tmp/i64.h5" format_version 2
expect attr-int64-read 0 'trials' -- "$sf" info "$tmp/i64.h5"
cp "$tmp/inc.h5" "$tmp/i64.h5"; "$py" $H attrretype "$tmp/i64.h5" format_version $((1 << 40))
expect_refused attr-int64-too-big 'damaged results file \(its format_version attribute is missing or not one integer\)' "$tmp/i64.h5"
cp "$tmp/inc.h5" "$tmp/i64.h5"; "$py" $H attrretype "$tmp/i64.h5" trials_done -1
expect_refused attr-u64-negative 'damaged results file \(root attributes missing' "$tmp/i64.h5"
# A floating-point attribute must be an IEEE double: wall_seconds as an
# int64 is refused, not converted.
cp "$tmp/inc.h5" "$tmp/i64.h5"; "$py" $H attrretype "$tmp/i64.h5" wall_seconds 5
expect_refused attr-double-as-int 'damaged results file \(root attributes missing' "$tmp/i64.h5"

# A fault inside HDF5 itself: the root's link info pointing at a fractal
# heap that is not there, checksum valid (found by the results fuzzer).
# HDF5 1.10.8 dies of SIGSEGV reading it, as h5dump and h5ls do; shortfall
# turns the signal into one error line and exit 2, the existing file kept.
# Under ASan the sanitizer's report is kept instead, so this is skipped.
if [ "$asan" = 0 ]; then
  cp "$tmp/s1.h5" "$tmp/f.h5"; cp "$tmp/inc.h5" "$tmp/fr.h5"
  for f in f fr; do "$py" $H linkheap "$tmp/$f.h5" 2; done
  expect_refused hdf5-fault 'damaged results file \(the HDF5 library failed on its metadata\)' "$tmp/fr.h5"
fi

# Truncated.
for n in 1000 $((size / 2)) $((size - 1)); do
  head -c $n "$tmp/s1.h5" >"$tmp/t.h5"; head -c $n "$tmp/inc.h5" >"$tmp/tr.h5"
  checks "$tmp/t.h5" "$tmp/tr.h5" "truncated-to-$n"
  expect "truncated-to-$n-refused" 2 'not a shortfall results file|damaged' -- "$sf" info "$tmp/t.h5"
done

# From another program, another format version, out of range.
echo "not hdf5" >"$tmp/text.h5"
expect_refused other-text 'not a shortfall results file \(not HDF5\)' "$tmp/text.h5"
"$py" -c "import h5py; h5py.File('$tmp/other.h5','w').create_dataset('x', data=[1,2,3])"
expect_refused other-hdf5 'not a shortfall results file \(its root has no software' "$tmp/other.h5"
# shortfall's own attribute types (a fixed-length string; h5py's int64
# for the version is read too), but nothing else.
"$py" -c "import h5py, numpy; f=h5py.File('$tmp/bare.h5','w'); f.attrs['software']=numpy.bytes_('shortfall'); f.attrs['format_version']=2"
expect_refused other-bare 'damaged results file \(root attributes missing' "$tmp/bare.h5"
# A variable-length string, as h5py writes Python bytes or str, is not
# read: its characters are in the global heap, which HDF5 1.10.8 reads
# past when it is damaged (fault 1 in docs/reliability.md).
"$py" -c "import h5py; f=h5py.File('$tmp/vlen.h5','w'); f.attrs['software']=b'shortfall'; f.attrs['format_version']=2"
expect_refused other-vlen-software 'not a shortfall results file \(its root has no software = "shortfall" attribute' "$tmp/vlen.h5"
cp "$tmp/inc.h5" "$tmp/v0.h5"; "$py" $H setattr "$tmp/v0.h5" format_version 0
expect_refused older-format 'results format version 0; this shortfall .* reads version 2' "$tmp/v0.h5"
cp "$tmp/inc.h5" "$tmp/v1.h5"; "$py" $H setattr "$tmp/v1.h5" format_version 1
expect_refused market-v1-format 'results format version 1; this shortfall .* reads version 2 \(version 1 files hold results of market version 1' "$tmp/v1.h5"
cp "$tmp/inc.h5" "$tmp/v9.h5"; "$py" $H setattr "$tmp/v9.h5" format_version 99
expect_refused newer-format 'results format version 99' "$tmp/v9.h5"
cp "$tmp/inc.h5" "$tmp/wrap.h5"; "$py" $H setattr "$tmp/wrap.h5" first_trial 18446744073709551606
expect_refused first-trial-wraps 'damaged results file \(root attributes out of range: trials 100 from 18446744073709551606' "$tmp/wrap.h5"
cp "$tmp/inc.h5" "$tmp/many.h5"; "$py" $H setattr "$tmp/many.h5" trials 4294967297
expect_refused trials-past-2e32 'out of range: trials 4294967297' "$tmp/many.h5"
# A version string with a newline and a terminal escape (a fuzzed file's
# version printed "# )" on a line of its own): strings that info and error
# messages print hold no control characters.  A wall time that is not a
# finite number of seconds is damage too.
cp "$tmp/inc.h5" "$tmp/ctl.h5"; "$py" $H setattr "$tmp/ctl.h5" version $'0\n\e[1'
expect_refused version-control-chars 'damaged results file \(root attributes missing or inconsistent\)' "$tmp/ctl.h5"
cp "$tmp/inc.h5" "$tmp/wall.h5"; "$py" $H setattr "$tmp/wall.h5" wall_seconds nan
expect_refused wall-seconds-nan 'damaged results file \(root attributes missing or inconsistent\)' "$tmp/wall.h5"
# The smallest wall time a file may carry: info prints no "inf trials/s".
cp "$tmp/inc.h5" "$tmp/wall.h5"; "$py" $H setattr "$tmp/wall.h5" wall_seconds 5e-324
expect wall-seconds-tiny 0 ', 0\.00 s \(rate not measured\)$' -- "$sf" info "$tmp/wall.h5"
# A policy group whose object header cannot be read (found by the edit-list
# fuzzer): the listing of the groups skipped it, and `info` printed the
# other mixes alone with exit 0.
cp "$tmp/inc.h5" "$tmp/grp.h5"; "$py" $H breakheader "$tmp/grp.h5" toy-magnets/stockpile
expect_refused policy-group-unreadable 'damaged results file \(its policy groups cannot be listed under /toy-magnets\)' "$tmp/grp.h5"
cp "$tmp/inc.h5" "$tmp/done.h5"; "$py" $H setattr "$tmp/done.h5" trials_done 31
expect done-mismatch 2 "per-trial data of policy 'baseline' missing or of the wrong size" -- "$sf" run --resume "$tmp/done.h5" $q

# A different scenario: shards of two scenarios, and a file whose stored
# scenario (same length, padded) has other policy mixes than its groups.
"$sf" run scenarios/replay-2010.yaml --trials 20:40 -o "$tmp/other-s2.h5" $q >/dev/null 2>&1
cp "$tmp/ref.h5" "$tmp/m.h5"; sum=$(md5sum <"$tmp/m.h5")
expect merge-other-scenario 2 'do not belong to one run: their scenario text differs' -- "$sf" merge --force "$tmp/m.h5" "$tmp/s1.h5" "$tmp/other-s2.h5"
ok_if merge-other-scenario-kept "[ \"\$(md5sum <$tmp/m.h5)\" = \"$sum\" ]"
sed '/^  - name: build/,$d' $toy >"$tmp/nobuild.yaml"
cp "$tmp/inc.h5" "$tmp/swap.h5"; "$py" $H setattr "$tmp/swap.h5" scenario_text "@$tmp/nobuild.yaml"
sum=$(md5sum <"$tmp/swap.h5")
expect resume-other-scenario 2 "policy group 'build' does not match the scenario stored in the file" -- "$sf" run --resume "$tmp/swap.h5" $q
ok_if resume-other-scenario-kept "[ \"\$(md5sum <$tmp/swap.h5)\" = \"$sum\" ]"

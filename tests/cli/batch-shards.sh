#!/usr/bin/env bash
# CLI tests of batch parts: variants and trial ranges of a batch run as
# separate parts (--variant, --trials, --shard) merge into the file one
# `run BATCH` writes, bitwise in every dataset, with shard boundaries
# inside 1024-trial blocks; parts that do not make one whole batch run
# are refused with one line, exit 2 and no file.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
q="--progress never"
cmp_ok() { "$py" tests/python/compare_results.py "$1" "$2" >"$tmp/cmp" 2>&1; grep -q ' 0 differences' "$tmp/cmp"; }

# A copy of the toy scenario, named relative to the batch file, so that it
# can be edited below.
cp scenarios/toy-magnets.yaml "$tmp/toy.yaml"
cat >"$tmp/b.yaml" <<YAML
batch: toy-zip
scenarios: [toy.yaml]
combine: zip
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: [0.1, 0.4, 1.6]
  - path: policies[stockpile].interventions[0].initial_months
    values: [3, 6, 12]
trials: 2500
YAML
b=$tmp/b.yaml
run() { "$sf" run "$b" --paths 2 $q "$@" >/dev/null 2>"$tmp/run.err" || { echo "not ok part $*"; cat "$tmp/run.err"; }; }

expect batch-check-lists-variants 0 'batch toy-zip: 3 variants' -- "$sf" check "$b"
"$sf" run "$b" --paths 2 -o "$tmp/whole.h5" $q >/dev/null 2>&1

# Parts: trials 0..699 of every variant in one part; the rest of variant
# 0 in two parts split inside block 1, variant 1 (named) in one, variant
# 2 as 1 trial and the rest.  1500 lies inside block 1, 2049 inside block 2.
expect part-all-variants 0 'a part of batch toy-zip: 3 of its 3 variants' -- "$sf" run "$b" --paths 2 --trials 0:700 -o "$tmp/all-0.h5" $q
run --variant 0 --trials 700:2049 -o "$tmp/v0-a.h5"
run --variant 0 --trials 2049:2500 -o "$tmp/v0-b.h5" --threads 1
expect part-by-name 0 'variant toy-magnets-1:.* \(trials 700\.\.2499 of 2500\)' -- "$sf" run "$b" --paths 2 --variant toy-magnets-1 --trials 700:2500 -o "$tmp/v1.h5" $q
run --variant 2 --trials 700:701 -o "$tmp/v2-a.h5"
run --variant 2 --trials 701:2500 -o "$tmp/v2-b.h5"
parts=("$tmp/v2-b.h5" "$tmp/v0-b.h5" "$tmp/all-0.h5" "$tmp/v1.h5" "$tmp/v0-a.h5" "$tmp/v2-a.h5")
expect batch-merge 0 'Merged 6 parts \(3 variants of batch toy-zip\)' -- "$sf" merge "$tmp/m.h5" "${parts[@]}"
cmp_ok "$tmp/m.h5" "$tmp/whole.h5"
ok_if batch-merge-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
# The comparison can fail: a part is not the whole.
ok_if batch-compare-sees-a-part "! cmp_ok $tmp/v1.h5 $tmp/whole.h5"

# --shard I/S: 3 shards of every variant (boundaries 833 and 1666).
for i in 0 1 2; do run --shard $i/3 -o "$tmp/sh$i.h5"; done
expect batch-merge-shards 0 'Merged 3 parts' -- "$sf" merge "$tmp/ms.h5" "$tmp/sh2.h5" "$tmp/sh0.h5" "$tmp/sh1.h5"
cmp_ok "$tmp/ms.h5" "$tmp/whole.h5"
ok_if batch-merge-shards-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
# One part of all the trials of every variant: "1 part".
run --shard 0/1 -o "$tmp/one.h5"
expect batch-merge-one-part 0 'Merged 1 part \(3 variants of batch toy-zip\)' -- "$sf" merge "$tmp/m1.h5" "$tmp/one.h5"
# Variant I, shard J, as the Slurm example runs them.
for v in 0 1 2; do for i in 0 1; do run --variant $v --shard $i/2 -o "$tmp/t$v$i.h5"; done; done
"$sf" merge "$tmp/mt.h5" "$tmp"/t??.h5 >/dev/null 2>&1
cmp_ok "$tmp/mt.h5" "$tmp/whole.h5"
ok_if batch-merge-variant-shards-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"

# Parts that do not make one batch run.
some=("$tmp/all-0.h5" "$tmp/v0-a.h5" "$tmp/v0-b.h5" "$tmp/v1.h5")
expect batch-merge-missing-variant 2 'variant toy-magnets-2 \(index 2 of 3\) is in no part' -- "$sf" merge "$tmp/x.h5" "$tmp"/t[01]?.h5
expect batch-merge-gap 2 'trials 700\.\.2048 of variant toy-magnets-0 are in no part' -- "$sf" merge "$tmp/x.h5" "$tmp/all-0.h5" "$tmp/v0-b.h5" "$tmp/v1.h5" "$tmp/v2-a.h5" "$tmp/v2-b.h5"
expect batch-merge-short 2 'trials 701\.\.2499 of variant toy-magnets-2 are in no part \(after' -- "$sf" merge "$tmp/x.h5" "${some[@]}" "$tmp/v2-a.h5"
run --variant 1 --trials 2000:2100 -o "$tmp/over.h5"
expect batch-merge-overlap 2 'over\.h5 \(variant toy-magnets-1, trials 2000\.\.2099\) overlaps .*v1\.h5' -- "$sf" merge "$tmp/x.h5" "${parts[@]}" "$tmp/over.h5"
sed 's/batch: toy-zip/batch: toy-zap/' "$b" >"$tmp/other.yaml"
"$sf" run "$tmp/other.yaml" --paths 2 --variant 2 --trials 701:2500 -o "$tmp/other.h5" $q >/dev/null 2>&1
expect batch-merge-other-batch 2 'do not belong to one batch run: their batch text differs' -- "$sf" merge "$tmp/x.h5" "${some[@]}" "$tmp/v2-a.h5" "$tmp/other.h5"
run --variant 2 --trials 701:2500 --seed 9 -o "$tmp/seed9.h5"
expect batch-merge-other-seed 2 "their run options differ \('--paths 2' and '--seed 9 --paths 2'\)" -- "$sf" merge "$tmp/x.h5" "${some[@]}" "$tmp/v2-a.h5" "$tmp/seed9.h5"
expect batch-merge-whole-file 2 'whole\.h5 is a whole batch file' -- "$sf" merge "$tmp/x.h5" "$tmp/whole.h5" "$tmp/v1.h5"
"$sf" run "$tmp/toy.yaml" --trials 0:10 -o "$tmp/single.h5" $q >/dev/null 2>&1
expect batch-merge-mixed-kinds 2 'single\.h5 is a single run.s file, not a batch part' -- "$sf" merge "$tmp/x.h5" "$tmp/v1.h5" "$tmp/single.h5"
# The scenario file changed after the other parts ran.
sed -i 's/capacity: 1000/capacity: 1001/' "$tmp/toy.yaml"
run --variant 2 --trials 701:2500 -o "$tmp/edited.h5"
expect batch-merge-edited-scenario 2 'their scenario files differ' -- "$sf" merge "$tmp/x.h5" "${some[@]}" "$tmp/v2-a.h5" "$tmp/edited.h5"
ok_if batch-merge-left-nothing "[ ! -e $tmp/x.h5 ] && ! ls $tmp/.x.h5* >/dev/null 2>&1"

# Usage.
expect part-needs-output 1 'a batch part .* needs -o FILE' -- "$sf" run "$b" --variant 0
expect part-variant-range 1 'has 3 variants \(0 \.\. 2' -- "$sf" run "$b" --variant 3 -o "$tmp/y.h5"
expect part-variant-name 1 "has no variant 'nope'" -- "$sf" run "$b" --variant nope -o "$tmp/y.h5"
expect part-trials-past-end 1 '--trials 0:3000 goes past the 2500 trials of variant toy-magnets-0' -- "$sf" run "$b" --trials 0:3000 -o "$tmp/y.h5"
expect part-more-shards-than-trials 1 'has only 2500 trials, fewer than the shards' -- "$sf" run "$b" --shard 0/3000 -o "$tmp/y.h5"
expect part-shard-syntax 1 '--shard needs I/S with 0 <= I < S' -- "$sf" run "$b" --shard 3/3 -o "$tmp/y.h5"
expect variant-on-scenario 1 '--variant is for batch files' -- "$sf" run scenarios/toy-magnets.yaml --variant 0
ok_if part-left-nothing "[ ! -e $tmp/y.h5 ]"

# A part whose global heap (where HDF5 keeps the variable-length variant
# coordinate) is damaged: reading those strings made HDF5 1.10 read out
# of bounds and `merge` crash (found by fuzz/fuzz_results.c).  merge reads
# the names from fixed-length attributes instead: the same merge works.
cp "$tmp/v1.h5" "$tmp/v1-heap.h5"
/usr/bin/python3 - "$tmp/v1-heap.h5" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.find(b'GCOL')
n = 0
while i >= 0:
    # Keep the collection's signature and size; scramble its objects.
    for k in range(i + 16, min(i + 4096, len(b))):
        b[k] ^= 0x5a
    n += 1
    i = b.find(b'GCOL', i + 4)
open(p, 'wb').write(b)
print(n, 'global heap collections damaged', file=sys.stderr)
PY
heap_parts=("${parts[@]/$tmp\/v1.h5/$tmp/v1-heap.h5}")
expect batch-merge-damaged-heap 0 'Merged 6 parts \(3 variants of batch toy-zip\)' -- "$sf" merge --force "$tmp/mh.h5" "${heap_parts[@]}"
# A part with the variant names but not their scenarios: one clear error
# (and, under ASan, no leak of the names already read).
cp "$tmp/v1.h5" "$tmp/v1-noscen.h5"
/usr/bin/python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); del f.attrs['variant_scenarios']" "$tmp/v1-noscen.h5"
expect batch-merge-no-scenarios 2 'v1-noscen.h5: damaged batch file' -- "$sf" merge --force "$tmp/mn.h5" "$tmp/v1-noscen.h5"
# A part whose `part` attribute is damaged (an integer type of 62,496-bit
# precision, checksum valid): damage, not a whole batch file.
cp "$tmp/v1.h5" "$tmp/v1-part.h5"
"$py" tests/python/hostile.py attrprecision "$tmp/v1-part.h5" part 62496
expect batch-merge-damaged-part 2 'v1-part.h5: damaged batch part \(its part attribute is not one integer\)' -- "$sf" merge --force "$tmp/mp.h5" "$tmp/v1-part.h5"
# A variant group whose object header cannot be read, its link intact
# (fault 13's damage, in a batch part): refused, not read as fewer groups.
cp "$tmp/v1.h5" "$tmp/v1-grp.h5"
"$py" tests/python/hostile.py breakheader "$tmp/v1-grp.h5" toy-magnets-1
expect batch-merge-unreadable-group 2 'v1-grp.h5: damaged batch file \(its groups cannot be listed\)' -- "$sf" merge --force "$tmp/mg.h5" "$tmp/v1-grp.h5"
ok_if batch-merge-unreadable-group-no-output "[ ! -e $tmp/mg.h5 ]"

# A Saltelli design in parts: variants split across parts, trials
# sharded, merge into the whole batch's file (design datasets, sweep
# attributes and all).
cat >"$tmp/sobol.yaml" <<YAML
batch: toy-sobol-parts
scenarios: [toy.yaml]
combine: sobol
samples: 2
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: {range: [0.05, 0.8], log: true}
  - path: policies[stockpile].interventions[0].initial_months
    values: {range: [1, 12]}
trials: 300
YAML
cp scenarios/toy-magnets.yaml "$tmp/toy.yaml"
b=$tmp/sobol.yaml
"$sf" run "$b" --paths 2 -o "$tmp/sobol-whole.h5" $q >/dev/null 2>&1
for i in 0 1; do run --shard $i/2 --variant 0 -o "$tmp/so-a$i.h5"; done
for v in 1 2 3 4 5 6 7; do run --variant $v --trials 0:300 -o "$tmp/so-v$v.h5"; done
expect batch-sobol-merge 0 'Merged 9 parts \(8 variants of batch toy-sobol-parts\)' -- "$sf" merge "$tmp/sobol-m.h5" "$tmp"/so-*.h5
cmp_ok "$tmp/sobol-m.h5" "$tmp/sobol-whole.h5"
ok_if batch-sobol-merge-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
# The comparison sees a sweep's units.
cp "$tmp/sobol-m.h5" "$tmp/sobol-u.h5"
"$py" -c "import h5py, sys; h5py.File(sys.argv[1], 'r+')['sweep_1'].attrs['units'] = '1'" "$tmp/sobol-u.h5"
ok_if batch-compare-sees-units "! cmp_ok $tmp/sobol-u.h5 $tmp/sobol-whole.h5"

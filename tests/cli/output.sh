#!/usr/bin/env bash
# CLI tests of the results file: it opens in xarray (both engines) with
# the right values, is written safely, `info` reads it back, bad files are
# refused, progress shows on request, and an interrupted run resumes to the
# identical file.
set -u
sf=${SHORTFALL:-bin/shortfall}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
toy=scenarios/toy-magnets.yaml

. tests/cli/lib.bash

# A file, its layout, its values in xarray against numpy and the C table.
expect write 0 "Results: $tmp/toy.h5" -- "$sf" run $toy -n 3000 -o "$tmp/toy.h5" --paths 4
expect info 0 '^stockpile ' -- "$sf" info "$tmp/toy.h5"
"$sf" info "$tmp/toy.h5" >"$tmp/info.txt"
"$py" tests/python/check_output.py "$tmp/toy.h5" "$tmp/info.txt" | grep -E '^(not )?ok '
h5dump -H "$tmp/toy.h5" >"$tmp/dump" 2>&1
ok_if h5dump-layout "grep -q 'GROUP \"toy-magnets\"' $tmp/dump && grep -q 'GROUP \"stockpile\"' $tmp/dump && grep -q 'DATASET \"shortfall_path\"' $tmp/dump"
ok_if no-temp-left "[ -z \"\$(ls -A $tmp | grep '^\\.')\" ]"
# No dataset is compact: HDF5 1.10 reads a damaged compact dataset past
# the end of its buffer (found by fuzz/fuzz_results.c), so shortfall writes
# small arrays contiguous.  And small arrays carry no chunk index.
layouts=$("$py" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
compact = small_chunked = 0
def visit(name, o):
    global compact, small_chunked
    if isinstance(o, h5py.Dataset):
        lay = o.id.get_create_plist().get_layout()
        compact += lay == h5py.h5d.COMPACT
        small_chunked += lay == h5py.h5d.CHUNKED and o.size * o.dtype.itemsize <= 1024 and o.maxshape == o.shape
f.visititems(visit)
print(compact, small_chunked)" "$tmp/toy.h5")
ok_if no-compact-datasets "[ '$layouts' = '0 0' ]" || echo "    compact, small chunked: $layouts"
# The run's table and info's table agree line for line.
"$sf" run $toy -n 3000 -o "$tmp/again.h5" --progress never | sed -n '/^policy/,/^$/p' >"$tmp/t_run"
"$sf" info "$tmp/again.h5" | sed -n '/^policy/,/^$/p' >"$tmp/t_info"
ok_if info-same-table "[ -s $tmp/t_run ] && cmp -s $tmp/t_run $tmp/t_info"

# Safe writing.
sum1=$(md5sum <"$tmp/toy.h5")
expect exists-no-force 3 'already exists; use --force' -- "$sf" run $toy -n 500 -o "$tmp/toy.h5"
ok_if exists-untouched "[ \"\$(md5sum <$tmp/toy.h5)\" = \"$sum1\" ]"
expect force 0 'Results:' -- "$sf" run $toy -n 500 -o "$tmp/toy.h5" --force
expect unwritable 3 'cannot write .*No such file or directory' -- "$sf" run $toy -n 500 -o "$tmp/no/such/dir/x.h5"
( ulimit -f 64; "$sf" run $toy -n 3000 -o "$tmp/big.h5" ) >"$tmp/out" 2>&1; rc=$?
ok_if file-size-limit "[ $rc -eq 3 ] && grep -q 'writing $tmp/big.h5 failed' $tmp/out && [ ! -e $tmp/big.h5 ] && [ -z \"\$(ls -A $tmp | grep '^\\.')\" ]"
expect no-trials 0 'Results:' -- "$sf" run $toy -n 2000 -o "$tmp/lean.h5" --no-trials
ok_if no-trials-layout "! h5dump -H $tmp/lean.h5 | grep -q 'DATASET \"shortfall_cum\"' && h5dump -H $tmp/lean.h5 | grep -q 'DATASET \"shortfall_cum_mean\"'"
expect no-trials-info 0 '^baseline ' -- "$sf" info "$tmp/lean.h5"

# Files that are not ours, or damaged.
echo "not hdf5" >"$tmp/text.h5"
expect info-text 2 'not a shortfall results file \(not HDF5\)' -- "$sf" info "$tmp/text.h5"
"$py" -c "import h5py; h5py.File('$tmp/other.h5','w').attrs['software']='other'"
expect info-other 2 'not a shortfall results file' -- "$sf" info "$tmp/other.h5"
head -c 20000 "$tmp/toy.h5" >"$tmp/cut.h5"
expect info-truncated 2 'damaged' -- "$sf" info "$tmp/cut.h5"
"$py" -c "import h5py, numpy; f=h5py.File('$tmp/old.h5','w'); f.attrs['software']=numpy.bytes_('shortfall'); f.attrs['format_version']=0"
expect info-old-format 2 'results format version 0; this shortfall' -- "$sf" info "$tmp/old.h5"
expect info-missing 3 'cannot read' -- "$sf" info "$tmp/none.h5"
expect info-usage 1 'usage: shortfall info' -- "$sf" info
expect resume-complete 0 'is complete .*nothing to resume' -- "$sf" run --resume "$tmp/toy.h5"
expect resume-with-options 1 'only --threads and --progress' -- "$sf" run --resume "$tmp/toy.h5" -n 5

# Progress: on request, a line with the rate; never when told not to.
"$sf" run $toy -n 5000 -o "$tmp/p1.h5" --progress always >/dev/null 2>"$tmp/err"
ok_if progress-always "grep -q 'trials/s' $tmp/err && grep -q '5000/5000 trials' $tmp/err"
"$sf" run $toy -n 5000 -o "$tmp/p2.h5" --progress never >/dev/null 2>"$tmp/err"
ok_if progress-never "[ ! -s $tmp/err ]"

# Interrupt and resume: the finished file equals an uninterrupted run's.
n=120000
"$sf" run $toy -n $n -o "$tmp/int.h5" --threads 2 --progress always >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 200); do grep -q 'trials/s' "$tmp/int.err" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
ok_if interrupt-exit-130 "[ $rc -eq 130 ] && grep -q 'interrupted after' $tmp/int.err"
done_n=$("$py" -c "import h5py; f=h5py.File('$tmp/int.h5'); print(int(f.attrs['trials_done']), int(f.attrs['complete']))")
ok_if interrupt-file-incomplete "[ \"\${done_n#* }\" = 0 ] && [ \"\${done_n% *}\" -gt 0 ] && [ \"\${done_n% *}\" -lt $n ]"
expect info-incomplete 0 'INCOMPLETE: [0-9]+ of 120000 trials' -- "$sf" info "$tmp/int.h5"
expect resume 0 'Results:' -- "$sf" run --resume "$tmp/int.h5" --threads 1
"$sf" run $toy -n $n -o "$tmp/whole.h5" --threads 2 >/dev/null 2>&1
"$py" tests/python/compare_results.py "$tmp/int.h5" "$tmp/whole.h5" >"$tmp/cmp" 2>&1
ok_if resume-identical "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"

# A second signal while the first one's clean stop is under way ends the
# run at once and removes its temporary file.  That the first signal has
# been handled shows in /proc: its handler makes SIGHUP caught too.
mkdir "$tmp/twice"
"$sf" run $toy -n 100000000 -o "$tmp/twice/t.h5" --threads 2 --progress always >/dev/null 2>"$tmp/twice.err" &
pid=$!
for _ in $(seq 1 400); do grep -q 'trials/s' "$tmp/twice.err" 2>/dev/null && break; sleep 0.05; done
sleep 3 # rows enough that the clean stop's statistics take a while
hup_caught() { local m; m=$(awk '/^SigCgt:/ {print $2}' /proc/$pid/status 2>/dev/null); [ -n "$m" ] && (( 16#$m & 1 )); }
kill -TERM $pid
for _ in $(seq 1 400); do hup_caught && break; sleep 0.01; done
kill -TERM $pid; wait $pid; rc=$?
ok_if interrupt-twice-exit-143 "[ $rc -eq 143 ]"
ok_if interrupt-twice-left-nothing "[ -z \"\$(ls -A $tmp/twice)\" ]"

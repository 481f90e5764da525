#!/usr/bin/env bash
# The MPI build: files written by `mpirun -np 1` and `-np 2` (2 ranks x 1
# thread, and 2 ranks x 2 threads) equal the serial build's in every
# dataset.
set -u
sf=${SHORTFALL:-bin/shortfall}
mpi=${SHORTFALL_MPI:-bin/shortfall-mpi}
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
toy=scenarios/toy-magnets.yaml
run="mpirun --allow-run-as-root --bind-to none --oversubscribe"
args="$toy -n 6000 --paths 2 --progress never"

"$sf" run $args -o "$tmp/serial.h5" >/dev/null 2>&1
expect mpi-np1 0 'Results:' -- $run -np 1 "$mpi" run $args -o "$tmp/np1.h5"
expect mpi-np2 0 'Results:' -- env OMP_NUM_THREADS=1 $run -np 2 "$mpi" run $args -o "$tmp/np2.h5"
ok_if mpi-no-hdf5-errors "! grep -q 'HDF5-DIAG' $tmp/out"
expect mpi-np2-threads 0 'Results:' -- $run -np 2 "$mpi" run $args --threads 2 -o "$tmp/np2t.h5"
for f in np1 np2 np2t; do
  "$py" tests/python/compare_results.py "$tmp/$f.h5" "$tmp/serial.h5" >"$tmp/cmp" 2>&1
  ok_if "mpi-$f-equals-serial" "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
done
ranks=$("$py" -c "import h5py; print(int(h5py.File('$tmp/np2.h5').attrs['ranks']))")
ok_if mpi-ranks-recorded "[ '$ranks' = 2 ]"

# Every rank writes its own rows collectively, a wave at a time: with 3
# ranks and 2 blocks one rank has no trials and still takes part in every
# collective write; ranks with more waves than others; --no-trials (the
# rows go to a scratch file that rank 0 removes); paths that span ranks.
"$sf" run $toy -n 1500 --paths 1100 --progress never -o "$tmp/s15.h5" >/dev/null 2>&1
expect mpi-np3-idle-rank 0 'Results:' -- env OMP_NUM_THREADS=1 $run -np 3 "$mpi" run $toy -n 1500 --paths 1100 --progress never -o "$tmp/np3.h5"
"$py" tests/python/compare_results.py "$tmp/np3.h5" "$tmp/s15.h5" >"$tmp/cmp" 2>&1
ok_if mpi-np3-idle-rank-equals-serial "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
"$sf" run $toy -n 7000 --no-trials --progress never -o "$tmp/s7.h5" >/dev/null 2>&1
expect mpi-np2-no-trials 0 'Results:' -- env OMP_NUM_THREADS=1 $run -np 2 "$mpi" run $toy -n 7000 --no-trials --progress never -o "$tmp/np2n.h5"
"$py" tests/python/compare_results.py "$tmp/np2n.h5" "$tmp/s7.h5" >"$tmp/cmp" 2>&1
ok_if mpi-np2-no-trials-equals-serial "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"
ok_if mpi-no-temporary-files-left "[ -z \"\$(ls -A $tmp | grep '^\\.')\" ]"
# The per-trial variables are the streamed ones: chunked by column (a
# gather to rank 0 or merge would write chunks of whole rows).
chunks=$("$py" -c "import h5py; c = h5py.File('$tmp/np2.h5')['toy-magnets/baseline/shortfall_cum'].chunks; print(len(c) == 2 and c[1] == 1)")
ok_if mpi-per-trial-rows-streamed "[ '$chunks' = True ]"

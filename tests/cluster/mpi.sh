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

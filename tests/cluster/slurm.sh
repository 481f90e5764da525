#!/usr/bin/env bash
# The Slurm example end to end: a single-node Slurm on this machine runs a
# job array of 3 shards and the dependent merge; the merged file must equal
# one unsharded run in every dataset.  Daemons are stopped afterwards.
set -u
sf=$(realpath "${SHORTFALL:-bin/shortfall}")
py=/usr/bin/python3
tmp=$(mktemp -d)
cleanup() { tests/cluster/slurm-down "$tmp/slurm"; rm -rf "$tmp"; }
trap cleanup EXIT
. tests/cli/lib.bash

if ! conf=$(tests/cluster/slurm-up "$tmp/slurm" 2>"$tmp/up.err"); then
  echo "not ok slurm-up"; cat "$tmp/up.err" "$tmp"/slurm/log/* 2>/dev/null | tail -20; exit 1
fi
export SLURM_CONF=$conf
echo "ok slurm-up"
ids=$(SHORTFALL=$sf SBATCH_EXTRA="--cpus-per-task=1" \
      examples/slurm/submit.sh scenarios/toy-magnets.yaml 7000 3 "$tmp/run" 2>"$tmp/sub.err")
ok_if slurm-submit "[ -n \"$ids\" ]" || cat "$tmp/sub.err"
for _ in $(seq 1 180); do
  [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break
  sleep 1
done
ok_if slurm-jobs-finished "[ -s $tmp/run/merged.h5 ]" \
  || { ls -la "$tmp/run"; cat "$tmp"/run/*.out 2>/dev/null | tail -20; }
"$sf" run scenarios/toy-magnets.yaml -n 7000 -o "$tmp/single.h5" --progress never >/dev/null 2>&1
"$py" tests/python/compare_results.py "$tmp/run/merged.h5" "$tmp/single.h5" >"$tmp/cmp" 2>&1
ok_if slurm-merged-equals-single-run "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"

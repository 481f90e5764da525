#!/usr/bin/env bash
# The Slurm examples end to end: a single-node Slurm on this machine runs a
# job array of 3 shards and the dependent merge, then a batch of 3
# variants x 2 shards (submit-batch.sh) and its merge; each merged file
# must equal one unsharded run in every dataset.  Daemons are stopped
# afterwards.
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
wait_jobs() {
  for _ in $(seq 1 180); do
    [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break
    sleep 1
  done
}
wait_jobs
ok_if slurm-jobs-finished "[ -s $tmp/run/merged.h5 ]" \
  || { ls -la "$tmp/run"; cat "$tmp"/run/*.out 2>/dev/null | tail -20; }
"$sf" run scenarios/toy-magnets.yaml -n 7000 -o "$tmp/single.h5" --progress never >/dev/null 2>&1
"$py" tests/python/compare_results.py "$tmp/run/merged.h5" "$tmp/single.h5" >"$tmp/cmp" 2>&1
ok_if slurm-merged-equals-single-run "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"

# A batch: 3 variants x 2 shards = a job array of 6 parts, then the merge.
here=$(pwd)
cat >"$tmp/b.yaml" <<YAML
batch: slurm-batch
scenarios: [$here/scenarios/toy-magnets.yaml]
sweeps:
  - path: shocks[cn_controls].hazard_per_year
    values: [0.1, 0.4, 1.6]
trials: 3000
YAML
ids=$(SHORTFALL=$sf SBATCH_EXTRA="--cpus-per-task=1" \
      examples/slurm/submit-batch.sh "$tmp/b.yaml" 2 "$tmp/batch" 2>"$tmp/sub.err")
ok_if slurm-batch-submit "[ -n \"$ids\" ]" || cat "$tmp/sub.err"
wait_jobs
ok_if slurm-batch-jobs-finished "[ -s $tmp/batch/merged.h5 ]" \
  || { ls -la "$tmp/batch"; cat "$tmp"/batch/*.out 2>/dev/null | tail -20; }
ok_if slurm-batch-six-parts "[ \$(ls $tmp/batch/part-*.h5 | wc -l) -eq 6 ] && [ -s $tmp/batch/part-2-1.h5 ]"
"$sf" run "$(realpath "$tmp/b.yaml")" -o "$tmp/batch-single.h5" --progress never >/dev/null 2>&1
"$py" tests/python/compare_results.py "$tmp/batch/merged.h5" "$tmp/batch-single.h5" >"$tmp/cmp" 2>&1
ok_if slurm-batch-merged-equals-single-run "grep -q ' 0 differences' $tmp/cmp" || cat "$tmp/cmp"

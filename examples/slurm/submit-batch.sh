#!/bin/bash
# submit-batch.sh BATCH SHARDS OUTDIR [TRIALS] [SEED] — submits a job array
# of VARIANTS x SHARDS tasks, task k running shard k % SHARDS of variant
# k / SHARDS of the batch, and a merge job that runs when all succeeded
# and writes OUTDIR/merged.h5.  TRIALS (-n) and SEED override the batch's.
# The batch is checked (`shortfall check`, which also counts its variants)
# before anything is submitted.  Prints the two job ids.  Extra sbatch
# options can be given in SBATCH_EXTRA, e.g. SBATCH_EXTRA="--partition=short".
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 BATCH SHARDS OUTDIR [TRIALS] [SEED]" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
# One absolute path for every task: scenario paths in the batch are
# relative to it, and the parts must agree on it.
export BATCH=$(realpath "$1") SHARDS=$2
mkdir -p "$3"
export OUTDIR=$(realpath "$3") TRIALS=${4:-} SEED=${5:-}
export SHORTFALL=${SHORTFALL:-$(realpath "$here/../../bin/shortfall")}
export VARIANTS=$("$SHORTFALL" check "$BATCH" |
  sed -n 's/^batch .*: \([0-9][0-9]*\) variants.*/\1/p')
[ -n "$VARIANTS" ] || { echo "submit-batch.sh: $BATCH: no variants found" >&2; exit 1; }
array=$(sbatch --parsable ${SBATCH_EXTRA:-} --chdir="$OUTDIR" \
  --array=0-$(( VARIANTS * SHARDS - 1 )) --export=ALL "$here/batch-parts.sbatch")
merge=$(sbatch --parsable ${SBATCH_EXTRA:-} --chdir="$OUTDIR" \
  --dependency=afterok:"$array" --export=ALL "$here/merge-batch.sbatch")
echo "$array $merge"

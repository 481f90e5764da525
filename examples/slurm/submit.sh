#!/bin/bash
# submit.sh SCENARIO TRIALS SHARDS OUTDIR [SEED] — submits a job array of
# SHARDS shortfall shards and a merge job that runs when all succeeded.
# Prints the two job ids.  Extra sbatch options (partition, account, time)
# can be given in SBATCH_EXTRA, e.g. SBATCH_EXTRA="--partition=short".
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 SCENARIO TRIALS SHARDS OUTDIR [SEED]" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
export SCENARIO=$(realpath "$1") TRIALS=$2 SHARDS=$3
mkdir -p "$4"
export OUTDIR=$(realpath "$4") SEED=${5:-}
export SHORTFALL=${SHORTFALL:-$(realpath "$here/../../bin/shortfall")}
array=$(sbatch --parsable ${SBATCH_EXTRA:-} --chdir="$OUTDIR" \
  --array=0-$(( SHARDS - 1 )) --export=ALL "$here/shards.sbatch")
merge=$(sbatch --parsable ${SBATCH_EXTRA:-} --chdir="$OUTDIR" \
  --dependency=afterok:"$array" --export=ALL "$here/merge.sbatch")
echo "$array $merge"

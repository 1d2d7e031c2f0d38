#!/bin/bash
# Grade SUBMISSIONS in N shards as a Slurm array job, then merge them in a job that waits for
# all of them:   SUBMISSIONS=/shared/course/submissions RUN=/shared/course/grades ./submit.sh 10
# Extra arguments go to both sbatch calls (for example --partition=short --account=course).
set -euo pipefail
N=${1:?usage: submit.sh N [sbatch options...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
: "${SUBMISSIONS:?set SUBMISSIONS}" "${RUN:?set RUN}"
mkdir -p "$RUN"
array=$(sbatch --parsable --array="0-$((N - 1))" --chdir="$RUN" "$@" "$here/grade-shards.sbatch")
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --chdir="$RUN" "$@" \
    "$here/merge.sbatch")
echo "shards: job $array (array 0-$((N - 1))); merge: job $merge"

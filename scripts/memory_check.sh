#!/usr/bin/env bash
# A long `tessel run` of the default convnet keeps its resident set flat (issue 8, section 6),
# run by .ci/run on the release build: the debug build of the test suite is too slow for a
# convnet of this size. Fails when, over the timed steps,
#  - the peak resident set exceeds the one after warm-up by more than LIMIT_MIB (64), or
#  - the steps page-fault more than FAULT_LIMIT (1000) pages each: the buffers are not reused.
# Both failed before the block cache: with glibc told to keep every block in its heap, runs of
# 80 steps peaked at 0.8-19 GB (+190 MiB or more over the warm-up), at about 4,900 faults/step.
# Usage: scripts/memory_check.sh [TESSEL_BINARY] [STEPS] (defaults .build/release/tessel, 80);
# EXTRA_RUN_FLAGS adds flags to `tessel run` (e.g. --no-buffer-cache).
set -euo pipefail
cd "$(dirname "$0")/.."
tessel=${1:-.build/release/tessel}
steps=${2:-80}
limit_mib=${LIMIT_MIB:-64}
fault_limit=${FAULT_LIMIT:-1000}
report=$(mktemp)
trap 'rm -f "$report"' EXIT

"$tessel" run config/default.json --steps "$steps" --threads 2 --json ${EXTRA_RUN_FLAGS:-} > "$report"
field() { grep -o "\"$1\" *: *[0-9.]*" "$report" | head -1 | sed 's/.*: *//'; }
warm=$(field residentBytesAfterWarmup)
peak=$(field peakResidentBytes)
faults=$(field pageFaultsPerStep)
growth_mib=$(( (peak - warm) / 1048576 ))
echo "memory_check: $steps steps of config/default.json: resident $(( warm / 1048576 )) MiB after warm-up," \
     "peak $(( peak / 1048576 )) MiB (+$growth_mib MiB), ${faults%.*} page faults/step"
if (( growth_mib > limit_mib )); then
    echo "memory_check: FAILED: the peak grew $growth_mib MiB over the warm-up (limit $limit_mib)"; exit 1
fi
if (( ${faults%.*} > fault_limit )); then
    echo "memory_check: FAILED: ${faults%.*} page faults per step (limit $fault_limit)"; exit 1
fi
echo "memory_check: passed"

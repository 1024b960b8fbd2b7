#!/usr/bin/env bash
# Checks that a release tessel runs its kernels specialized for the element type: samples
# (perf, cpu-clock) training steps of the default, fc and groupnorm configs and one
# `tessel bench` of every layer kind, and fails when more than LIMIT percent of a run's samples
# lie in the Swift runtime's protocol-witness dispatch thunks (symbols ending in `Tj` or `TW`).
# A kernel that runs generic, unspecialized code spends its time there (every SIMD element
# access and every `addingProduct` a witness call); a specialized one spends close to none.
# It is a share of samples, not a time: the load of the machine does not move it.
# Usage: scripts/specialization_check.sh [TESSEL_BINARY] [LIMIT, default 2]
# Needs perf (Debian: linux-perf). Prints a line per run and exits 1 on any run above LIMIT.
set -uo pipefail
cd "$(dirname "$0")/.."
tessel=${1:-.build/release/tessel}
limit=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# The percentage of the samples of `$@` (a tessel command) in witness dispatch thunks.
witness_share() {
    perf record -q -F 499 -e cpu-clock -o "$work/perf.data" -- "$tessel" "$@" >"$work/out.txt" 2>&1 || {
        echo "FAILED  tessel $*: the command or perf failed:" >&2
        tail -5 "$work/out.txt" >&2
        return 1
    }
    perf report -i "$work/perf.data" --no-children --stdio --sort sym 2>/dev/null | grep -v '^#' \
        | awk '$NF ~ /T[jW](@plt)?$/ { gsub("%", "", $1); share += $1 } END { printf "%.1f\n", share }'
}

for run in "run config/default.json --steps 2" "run config/fc.json --steps 2" "run config/groupnorm.json --steps 2" \
           "bench --repeats 2 --warmup 1"; do
    # shellcheck disable=SC2086 # the run's words are its arguments
    if ! share=$(witness_share $run); then
        failed=1
        continue
    fi
    if awk -v share="$share" -v limit="$limit" 'BEGIN { exit !(share > limit) }'; then
        echo "FAILED  tessel $run: $share% of the samples in witness dispatch thunks (limit $limit%): a kernel runs unspecialized"
        failed=1
    else
        echo "ok      tessel $run: $share% of the samples in witness dispatch thunks"
    fi
done
exit $failed

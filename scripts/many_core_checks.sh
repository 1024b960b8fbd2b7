#!/usr/bin/env bash
# Checks for a many-core machine without Swift (docs/scaling-16-cores/README.md), run from a
# copy of the repository with the static `tessel` (docs/BENCHMARKS.md) and libnuma.so.1:
#  1. determinism: one step of each shipped network config at 1 and at all workers, every
#     dumped parameter, gradient and running statistic compared byte for byte;
#  2. the default convnet's images/s at 1, 2, 4, … workers (block cache on);
#  3. the resident set over 1,000 default-convnet steps at all workers.
# Usage: scripts/many_core_checks.sh TESSEL_BINARY OUT_FOLDER (LD_LIBRARY_PATH may name the
# folder of libnuma.so.1). Every check runs even after one fails; the exit status is 1 when
# any failed (a run that fails, a dumped file that differs or is missing, an empty dump).
set -uo pipefail
cd "$(dirname "$0")/.."
tessel=$1
out=$2
mkdir -p "$out"
cores=$(nproc)
failures=0
# Reports a failed check and counts it.
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
echo "== machine"; echo "$cores CPUs"; lscpu | grep -E "Model name|NUMA node\(s\)"; uptime
"$tessel" topology > "$out/topology.txt" 2>&1

echo "== determinism: one step of each config at 1 and $cores workers"
for config in default fc groupnorm distributed; do
    for workers in 1 "$cores"; do
        "$tessel" run "$config" --steps 1 --threads "$workers" --dump "$out/dump-$config-$workers" > /dev/null \
            || fail "tessel run $config --threads $workers"
    done
    files=0 differ=0
    for file in "$out/dump-$config-1"/*; do
        [ -e "$file" ] || continue
        files=$((files + 1))
        cmp -s "$file" "$out/dump-$config-$cores/$(basename "$file")" || { differ=$((differ + 1)); fail "$config $(basename "$file") differs"; }
    done
    echo "$config: $files files, $differ differ"
    [ "$files" -gt 0 ] || fail "$config: nothing dumped"
done

echo "== default convnet: images/s against workers"
workers=1
while [ "$workers" -le "$cores" ]; do
    "$tessel" run --threads "$workers" --steps 10 --json > "$out/run-$workers.json" || fail "tessel run --threads $workers --steps 10"
    echo "workers=$workers $(grep -E '"imagesPerSecond"|"stepMilliseconds"|"pageFaultsPerStep"' "$out/run-$workers.json" | tr -d '\n ')"
    workers=$((workers * 2))
done

echo "== resident set over 1,000 steps at $cores workers"
/usr/bin/time -f "peak %M KB, %e s" "$tessel" run --threads "$cores" --steps 1000 --json > "$out/run-1000.json" 2> "$out/time-1000.txt" \
    || fail "tessel run --threads $cores --steps 1000"
grep -E '"residentBytes|"peakResident|"pageFaults' "$out/run-1000.json"; cat "$out/time-1000.txt"
uptime
if [ "$failures" -gt 0 ]; then
    echo "$failures checks FAILED" >&2
    exit 1
fi
echo "all checks passed"

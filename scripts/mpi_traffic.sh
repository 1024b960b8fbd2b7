#!/usr/bin/env bash
# The data-parallel exchange's traffic (docs/DISTRIBUTED.md, "Measurements"): `tessel run
# CONFIG --distributed --json` under mpirun at each rank count, printing per rank count the
# median step, the time inside MPI per step and the bytes rank 0 sent and received per step
# (means over the timed steps after the first), next to the weight-gradient bytes of one
# shard and an allreduce's 2·(R−1)/R of them.
# Usage: scripts/mpi_traffic.sh [TESSEL_BINARY] [CONFIG] [RANK_COUNTS...]
#   (defaults: .build/release/tessel, config/default.json with its run.shards, ranks 1 2 3 4)
set -euo pipefail
cd "$(dirname "$0")/.."
tessel=${1:-.build/release/tessel}
config=${2:-config/default.json}
shift $(( $# > 2 ? 2 : $# ))
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 2 3 4)
launch=(mpirun --oversubscribe --bind-to none)
if [ "$(id -u)" = 0 ]; then launch+=(--allow-run-as-root); fi
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg); $config"
# The weight-gradient bytes of one shard: the .grad.npy files of a --dump, less the batch
# norms' gamma and beta, which their own exchange makes global.
dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
"$tessel" run "$config" --steps 1 --dump "$dump" > /dev/null
gradient=$(python3 -c "
import glob, numpy, os
print(sum(numpy.load(f).nbytes for f in glob.glob('$dump/*.grad.npy') if 'batchnorm' not in os.path.basename(f)))")
printf '%-6s %12s %12s %16s %16s %18s %14s\n' ranks "step ms" "MPI ms" "sent B/step" "received B/step" "gradient B/shard" "allreduce B"
for ranks in "${counts[@]}"; do
    threads=$(( ranks >= $(nproc) ? 1 : $(nproc) / ranks ))
    "${launch[@]}" -np "$ranks" "$tessel" run "$config" --distributed --json --steps 5 --threads "$threads" > /tmp/mpi-traffic.json
    python3 - "$ranks" "$gradient" <<'PY'
import json, sys
ranks, gradient = int(sys.argv[1]), int(sys.argv[2])
report = json.load(open("/tmp/mpi-traffic.json"))
run, steps = report["report"], report["communication"]["steps"]
mean = lambda key: sum(step[key] for step in steps) / len(steps)
print(f"{ranks:<6} {run['stepMilliseconds']:12.1f} {mean('seconds') * 1e3:12.2f} {mean('bytesSent'):16.0f} "
      f"{mean('bytesReceived'):16.0f} {gradient:18.0f} {2 * (ranks - 1) / ranks * gradient:14.0f}")
PY
done

#!/usr/bin/env bash
# Data-parallel checks under Open MPI (docs/DISTRIBUTED.md), run by .ci/run:
#  1. equality: `tessel train` and `tessel run` on config/distributed.json (conv, spatial batch
#     norm, batch norm, dropout; 4 shards) in one plain process and under `mpirun -np 1`, `-np 2`
#     and `-np 4` (oversubscribed) write their parameters, last gradients, running statistics
#     (--dump) and checkpoints; every file must be byte-identical to the plain run's, and so
#     must the printed losses and accuracies.
#  2. failure: a rank killed with SIGKILL mid-run, and a rank stopped (SIGSTOP: a hung peer,
#     which the watchdog of --mpi-timeout must catch), must end the whole job within 30 s with
#     a non-zero status and a clear message.
# Usage: scripts/mpi_check.sh [TESSEL_BINARY] (default .build/release/tessel).
set -euo pipefail
cd "$(dirname "$0")/.."
tessel=${1:-.build/release/tessel}
config=config/distributed.json
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
launch=(mpirun --oversubscribe)
if [ "$(id -u)" = 0 ]; then launch+=(--allow-run-as-root); fi

# The printed lines without the timings, which differ from run to run.
untimed() { sed -E 's/ +[0-9.]+ s$//; s/, [0-9.]+ s;.*$//' "$1"; }

echo "== equality: tessel train $config, 1 epoch"
"$tessel" train "$config" --epochs 1 --checkpoint-dir "$out/plain/ck" --dump "$out/plain/dump" > "$out/plain.log"
for np in 1 2 4; do
    "${launch[@]}" -np $np "$tessel" train "$config" --distributed --epochs 1 --checkpoint-dir "$out/np$np/ck" \
        --dump "$out/np$np/dump" > "$out/np$np.log"
    files=0
    for file in "$out"/plain/dump/*.npy "$out"/plain/ck/epoch-0001/*.npy; do
        cmp "$file" "${file/\/plain\//\/np$np\/}"
        files=$((files + 1))
    done
    diff <(untimed "$out/plain.log" | grep -v "^distributed:") <(untimed "$out/np$np.log" | grep -v "^distributed:")
    echo "np $np: $files files byte-identical to the plain run; $(grep -o 'val [0-9.]*%' "$out/np$np.log")"
done

echo "== equality: tessel run $config (gradients of a step, $(grep -o '"shards": [0-9]*' $config | head -1))"
"$tessel" run "$config" --steps 2 --dump "$out/run-plain" > /dev/null
for np in 1 2 4; do
    "${launch[@]}" -np $np "$tessel" run "$config" --distributed --steps 2 --dump "$out/run-np$np" > /dev/null
    for file in "$out"/run-plain/*.npy; do cmp "$file" "$out/run-np$np/$(basename "$file")"; done
    echo "np $np: $(ls "$out"/run-plain/*.npy | wc -l) files byte-identical"
done

# Starts a long distributed training, waits until its ranks step (an epoch line in the log;
# 100 epochs of this config take under 4 s on a fast CPU, so the run is far longer and the wait
# is for the log, not a fixed time), sends `signal` to rank 1, and checks that the job ends
# within 30 s, non-zero, with `expected` in its output.
failure() {
    local signal=$1 expected=$2
    rm -rf "$out/failure-ck"
    "${launch[@]}" -np 2 "$tessel" train "$config" --distributed --epochs 100000 --mpi-timeout 5 \
        --checkpoint-dir "$out/failure-ck" > "$out/failure.log" 2>&1 &
    local job=$!
    local waited=0
    until grep -q "^epoch 2/" "$out/failure.log"; do
        if [ $waited -ge 300 ] || ! kill -0 $job 2>/dev/null; then
            echo "failure test: the job under mpirun $job did not reach epoch 2 within 30 s; output:" >&2
            cat "$out/failure.log" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    local ranks
    ranks=$(pgrep -P $job | tr '\n' ' ' || true)
    set -- $ranks
    if [ $# -lt 2 ]; then echo "failure test: expected 2 ranks under mpirun $job, found '$ranks'" >&2; exit 1; fi
    local start=$SECONDS
    kill -"$signal" "$2"
    local status=0
    timeout 60 tail --pid=$job -f /dev/null || { echo "SIG$signal: the job still runs after 60 s" >&2; exit 1; }
    wait $job || status=$?
    local elapsed=$((SECONDS - start))
    if [ "$status" = 0 ] || [ $elapsed -gt 30 ] || ! grep -q "$expected" "$out/failure.log"; then
        echo "SIG$signal to rank 1: status $status after $elapsed s; output:" >&2
        cat "$out/failure.log" >&2
        exit 1
    fi
    for pid in $ranks; do
        # A zombie has ended; in a container nobody may reap it.
        case $(ps -o stat= -p "$pid" 2>/dev/null) in
            "" | Z*) ;;
            *) echo "SIG$signal: rank process $pid outlived the job" >&2; exit 1 ;;
        esac
    done
    echo "SIG$signal to rank 1: job ended with status $status in $elapsed s: $(grep -m1 "$expected" "$out/failure.log")"
}

echo "== failure: a rank dies or hangs mid-run"
failure KILL "exited on signal 9"
failure STOP "no answer from the other ranks"
echo "mpi_check: all passed"

#!/usr/bin/env bash
# The golden check (README, "Reproducibility"): every digest in golden/ must come out of the
# given tessel binary under every order-neutral setting.
#  - golden/layers.sha256: every layer and direction, float32 and float64 (`tessel golden`),
#    at 1, 2, 3, 4 and 8 workers, with tiles small enough that each call runs as many tiles,
#    and under every NUMA mode;
#  - golden/runs.sha256: one step's --dump of every shipped config, at 1 worker with the
#    config's own settings and at 2 and 3 workers with small tiles;
#  - golden/train.sha256: the checkpoints (.npy files) of `tessel train digits --epochs 3` and
#    `tessel train distributed --epochs 2`, at 1 and 3 workers; where Open MPI is installed,
#    also the distributed run at 1, 2, 3 and 4 ranks (3 ranks hold 1, 1 and 2 of the 4 shards), and an elastic resume: epoch 1 at 2 workers
#    in one process, epoch 2 resumed at 1 worker on 2 ranks.
# Prints a line per check and `golden: N passed, M failed`; exits 1 on any failure.
# Usage: scripts/golden_check.sh [TESSEL_BINARY] [--write]
#   --write: write the three files from this binary at 1 worker first (only in a commit that
#   says why the bits changed), then check them as above.
set -uo pipefail
cd "$(dirname "$0")/.."
tessel=.build/release/tessel
write=0
for argument in "$@"; do
    case $argument in
        --write) write=1 ;;
        *) tessel=$argument ;;
    esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
launch=(mpirun --oversubscribe --bind-to none)
if [ "$(id -u)" = 0 ]; then launch+=(--allow-run-as-root); fi

cat > "$work/small-tiles.json" <<'JSON'
{ "grainSize": 0, "tiles": { "elementsPerTile": 61, "gemmRowBlock": 7, "gemmColumnBlock": 17 } }
JSON
cat > "$work/odd-tiles.json" <<'JSON'
{ "grainSize": 0, "tiles": { "elementsPerTile": 1000, "gemmRowBlock": 13, "gemmColumnBlock": 101, "streamingOutputBytes": 1 } }
JSON
configs=$(ls config/*.json | xargs -n1 basename | sed 's/\.json$//' | grep -v '^runtime$')

# Records a check's outcome: `result NAME STATUS [DETAILS_FILE]`.
result() {
    if [ "$2" = 0 ]; then
        passed=$((passed + 1)); echo "ok      $1"
    else
        failed=$((failed + 1)); echo "FAILED  $1"
        if [ -n "${3:-}" ]; then sed 's/^/        /' "$3" | head -20; fi
    fi
}

# `digests FOLDER PREFIX`: sha256sum lines of FOLDER's .npy files (recursively), named PREFIX/relative path.
digests() {
    (cd "$1" && find . -name '*.npy' | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) | sed "s|  |  $2/|"
}

# `compare NAME GOLDEN PREFIX FOLDER`: the digests of FOLDER against GOLDEN's lines under PREFIX/.
compare() {
    local name=$1 golden=$2 prefix=$3 folder=$4
    digests "$folder" "$prefix" > "$work/actual"
    grep -F "  $prefix/" "$golden" > "$work/expected"
    if [ -s "$work/expected" ] && diff "$work/expected" "$work/actual" > "$work/diff"; then
        result "$name" 0
    else
        [ -s "$work/expected" ] || echo "no lines for $prefix/ in $golden" > "$work/diff"
        result "$name" 1 "$work/diff"
    fi
}

# `train_digests CONFIG EPOCHS OUT [tessel train options]`: trains, leaves checkpoints in OUT.
train() {
    local config=$1 epochs=$2 out=$3
    shift 3
    "$tessel" train "$config" --epochs "$epochs" --checkpoint-dir "$out" "$@" > "$work/train.log" 2>&1
}

if [ $write = 1 ]; then
    echo "== writing golden/ from $tessel at 1 worker"
    "$tessel" golden --write --threads 1 || exit 1
    : > "$work/runs"
    for config in $configs; do
        "$tessel" run "$config" --steps 1 --threads 1 --dump "$work/write/run/$config" > /dev/null || exit 1
        digests "$work/write/run/$config" "$config" >> "$work/runs"
    done
    cp "$work/runs" golden/runs.sha256
    train digits 3 "$work/write/digits" --threads 1 || { cat "$work/train.log"; exit 1; }
    train distributed 2 "$work/write/distributed" --threads 1 || { cat "$work/train.log"; exit 1; }
    { digests "$work/write/digits" digits; digests "$work/write/distributed" distributed; } > golden/train.sha256
    echo "wrote golden/layers.sha256, golden/runs.sha256 ($(wc -l < golden/runs.sha256) files), golden/train.sha256 ($(wc -l < golden/train.sha256) files)"
fi

echo "== layers (golden/layers.sha256)"
for workers in 1 2 3 4 8; do
    "$tessel" golden --threads $workers --settings "$work/small-tiles.json" > "$work/golden.log" 2>&1
    result "layers, $workers workers, small tiles" $? "$work/golden.log"
done
for numa in local interleave partitioned; do
    TESSEL_NUMA=$numa "$tessel" golden --threads 3 --settings "$work/odd-tiles.json" > "$work/golden.log" 2>&1
    result "layers, 3 workers, odd tiles, numa $numa" $? "$work/golden.log"
done

echo "== one step's --dump of every shipped config (golden/runs.sha256)"
for config in $configs; do
    for setting in "1" "2 small-tiles" "3 odd-tiles"; do
        set -- $setting
        options=(--threads "$1")
        label="$1 workers"
        if [ $# -gt 1 ]; then options+=(--settings "$work/$2.json"); label+=", $2"; fi
        rm -rf "$work/run"
        if "$tessel" run "$config" --steps 1 "${options[@]}" --dump "$work/run" > "$work/run.log" 2>&1; then
            compare "run $config, $label" golden/runs.sha256 "$config" "$work/run"
        else
            result "run $config, $label" 1 "$work/run.log"
        fi
    done
done

echo "== checkpoints of short trainings (golden/train.sha256)"
for setting in "1" "3 small-tiles"; do
    set -- $setting
    options=(--threads "$1")
    label="$1 workers"
    if [ $# -gt 1 ]; then options+=(--settings "$work/$2.json"); label+=", $2"; fi
    for run in "digits 3" "distributed 2"; do
        set -- $run
        rm -rf "$work/ck"
        if train "$1" "$2" "$work/ck" "${options[@]}"; then
            compare "train $1, $2 epochs, $label" golden/train.sha256 "$1" "$work/ck"
        else
            result "train $1, $label" 1 "$work/train.log"
        fi
    done
done
rm -rf "$work/ck"
if train digits 1 "$work/ck" --threads 2 && train digits 3 "$work/ck" --threads 1 --resume "$work/ck"; then
    compare "train digits, epoch 1 at 2 workers, resumed at 1 worker to epoch 3" golden/train.sha256 digits "$work/ck"
else
    result "train digits, resumed at another worker count" 1 "$work/train.log"
fi

if command -v mpirun > /dev/null && "$tessel" train --help 2>&1 | grep -q -- --distributed \
    && "${launch[@]}" -np 1 "$tessel" train distributed --distributed --epochs 1 --checkpoint-dir "$work/probe" > /dev/null 2>&1; then
    echo "== data-parallel runs under Open MPI (golden/train.sha256)"
    for np in 1 2 3 4; do
        rm -rf "$work/ck"
        if "${launch[@]}" -np $np "$tessel" train distributed --distributed --epochs 2 --threads 1 --checkpoint-dir "$work/ck" > "$work/train.log" 2>&1; then
            compare "train distributed, $np ranks" golden/train.sha256 distributed "$work/ck"
        else
            result "train distributed, $np ranks" 1 "$work/train.log"
        fi
    done
    rm -rf "$work/ck"
    if train distributed 1 "$work/ck" --threads 2 \
        && "${launch[@]}" -np 2 "$tessel" train distributed --distributed --epochs 2 --threads 1 --resume "$work/ck" > "$work/train.log" 2>&1; then
        compare "train distributed, epoch 1 at 2 workers and 1 rank, resumed at 1 worker on 2 ranks" golden/train.sha256 distributed "$work/ck"
    else
        result "train distributed, elastic resume" 1 "$work/train.log"
    fi
else
    echo "== data-parallel runs: skipped (this tessel was built without MPI, or mpirun is missing)"
fi

echo "golden: $passed passed, $failed failed"
[ $failed = 0 ]

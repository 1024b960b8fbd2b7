#!/bin/sh
# NUMA checks of a tessel binary on the machine it runs on: what scripts/numa_vm_check.sh runs
# inside its 2- and 4-node QEMU guests (under busybox sh), and what to run natively on a real
# multi-socket machine (docs/NUMA.md, "Checked on a multi-node kernel"). Each check prints
# `check: ok NAME` or `check: FAIL NAME: why`; the last line is `numa-checks: N passed, M failed`,
# and the exit status is 1 when a check failed.
#  - topology: `tessel topology --json` reports NUMA available, numa_balancing off, and, where
#    given, the expected nodes' CPUs, memory and distances;
#  - placement: `tessel numa-check` (every policy, pages read back with move_pages), one check
#    per line it prints;
#  - runs: `tessel run --steps 1 --dump` of every network config in CONFIGS under every NUMA mode
#    writes files with the digests of DIGESTS/NAME.sha256 (`sha256sum` lines, sorted by file
#    name) or, without DIGESTS, the same files as the `disabled` run here;
#  - scale: `tessel scale --workers 1,2,4` on two small workloads writes its three files;
#  - bad settings: a node or a CPU the machine does not have, and an unknown TESSEL_NUMA, each
#    give exit status 2 and one line on stderr naming it.
# Usage: scripts/numa_placement_checks.sh [options]
#   --tessel PATH            the binary (default: tessel on PATH)
#   --configs DIR            network configs to run (default: config; small batches run faster)
#   --digests DIR            expected dump digests per config (default: compare with mode disabled)
#   --work DIR               scratch folder (default: a new one under /tmp)
#   --expect-cpus LIST       each node's CPUs, nodes separated by ';', e.g. '0-1;2-3'
#   --expect-memory-mib LIST each node's memory as given to the machine, e.g. '384;384'
#   --expect-distances LIST  the distance matrix by rows, e.g. '10,21;21,10'
set -u
tessel=tessel configs=config digests= work= expect_cpus= expect_memory= expect_distances=
while [ $# -gt 0 ]; do
    case $1 in
        --tessel) tessel=$2 ;;
        --configs) configs=$2 ;;
        --digests) digests=$2 ;;
        --work) work=$2 ;;
        --expect-cpus) expect_cpus=$2 ;;
        --expect-memory-mib) expect_memory=$2 ;;
        --expect-distances) expect_distances=$2 ;;
        *) echo "numa_placement_checks.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$work" ] || work=$(mktemp -d /tmp/numa-checks.XXXXXX)
mkdir -p "$work"
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "check: ok $1"; }
fail() { failed=$((failed + 1)); echo "check: FAIL $1: $2"; }
# expect_equal NAME GOT EXPECTED: passes when the two texts are equal.
expect_equal() { if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1" "got '$2', expected '$3'"; fi; }

# --- topology
if "$tessel" topology --json > "$work/topology.json" 2> "$work/topology.err"; then
    json=$(tr -d ' \n' < "$work/topology.json")
    expect_equal "topology: NUMA available" "$(echo "$json" | grep -o '"isAvailable":[a-z]*')" '"isAvailable":true'
    expect_equal "topology: numa_balancing" "$(echo "$json" | grep -o '"numaBalancing":[0-9]*')" '"numaBalancing":0'
    if [ -n "$expect_cpus" ]; then
        # Each node's "cpus" array as a range list such as 0-1, nodes joined by ';'.
        got=$(echo "$json" | grep -o '"cpus":\[[0-9,]*\]' | sed 's/"cpus":\[//; s/\]//' | awk -F, '{
            out = ""; i = 1
            while (i <= NF) { j = i; while (j < NF && $(j+1) == $j + 1) j++
                out = out (out == "" ? "" : ",") (i == j ? $i : $i "-" $j); i = j + 1 }
            print out }' | paste -s -d ';')
        expect_equal "topology: CPUs per node" "$got" "$expect_cpus"
    fi
    if [ -n "$expect_memory" ]; then
        # The kernel keeps some of each node for itself: the node must report 70-100 % of what it was given.
        got=$(echo "$json" | grep -o '"memoryBytes":[0-9]*' | sed 's/.*://' | paste -s -d ';')
        verdict=$(echo "$got|$expect_memory" | awk -F'|' '{ n = split($1, g, ";"); m = split($2, e, ";")
            if (n != m) { print "node count " n " != " m; exit }
            for (i = 1; i <= n; i++) { mib = g[i] / 1048576
                if (mib < 0.7 * e[i] || mib > e[i]) { printf "node %d has %.0f MiB of %d\n", i - 1, mib, e[i]; exit } }
            print "ok" }')
        if [ "$verdict" = ok ]; then pass "topology: memory per node (bytes $got, given MiB $expect_memory)"
        else fail "topology: memory per node" "$verdict"; fi
    fi
    if [ -n "$expect_distances" ]; then
        got=$(echo "$json" | grep -o '"distances":\[[][0-9,]*\]' | sed 's/"distances":\[\[//; s/\]\]$//; s/\],\[/;/g')
        expect_equal "topology: distances" "$got" "$expect_distances"
    fi
else
    fail "topology" "tessel topology --json: $(cat "$work/topology.err")"
fi

# --- placement under every policy
"$tessel" numa-check > "$work/numa-check.out" 2>&1
status=$?
while IFS= read -r line; do
    case $line in
        "ok    "*) pass "numa-check: ${line#ok    }" ;;
        "FAIL  "*) fail "numa-check" "${line#FAIL  }" ;;
        *) echo "$line" ;;
    esac
done < "$work/numa-check.out"
expect_equal "numa-check: exit status" "$status" 0

# --- runs under every mode give the same dumps
for config in "$configs"/*.json; do
    grep -q '"network"' "$config" || continue
    name=$(basename "$config" .json)
    for mode in disabled local interleave partitioned; do
        dump=$work/dump-$name-$mode
        rm -rf "$dump"
        if ! TESSEL_NUMA=$mode "$tessel" run "$config" --steps 1 --dump "$dump" > "$work/run.out" 2>&1; then
            fail "run $name, TESSEL_NUMA=$mode" "$(tail -1 "$work/run.out")"
            continue
        fi
        (cd "$dump" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r file; do sha256sum "$file"; done) \
            > "$work/$name-$mode.sha256"
        if [ -n "$digests" ]; then reference=$digests/$name.sha256; else reference=$work/$name-disabled.sha256; fi
        if cmp -s "$work/$name-$mode.sha256" "$reference"; then
            pass "run $name, TESSEL_NUMA=$mode: $(wc -l < "$reference") dumped files identical to the reference"
        else
            fail "run $name, TESSEL_NUMA=$mode" "dump differs from $reference: $(diff "$reference" "$work/$name-$mode.sha256" | grep '^[-+][0-9a-f]' | head -2 | tr '\n' ' ')"
        fi
    done
done

# --- tessel scale with 1, 2 and 4 workers
cat > "$work/shapes.json" <<'EOF'
{ "affine": { "x": [16, 256], "w": [256, 128] }, "relu": { "x": [64, 1024] } }
EOF
if "$tessel" scale --layers affine,relu --shapes "$work/shapes.json" --workers 1,2,4 --repeats 1 --warmup 0 \
        --out "$work/scale" > "$work/scale.out" 2>&1; then
    missing=
    for file in scaling.csv scaling.json scaling.svg; do [ -s "$work/scale/$file" ] || missing="$missing $file"; done
    if [ -z "$missing" ]; then pass "scale --workers 1,2,4: scaling.csv, scaling.json, scaling.svg written"
    else fail "scale --workers 1,2,4" "missing:$missing"; fi
else
    fail "scale --workers 1,2,4" "$(tail -1 "$work/scale.out")"
fi

# --- bad NUMA settings: exit status 2, one line on stderr that names the problem
# expect_refusal NAME NEEDLE COMMAND...
expect_refusal() {
    name=$1 needle=$2
    shift 2
    "$@" > "$work/refusal.out" 2> "$work/refusal.err"
    status=$?
    lines=$(wc -l < "$work/refusal.err")
    message=$(cat "$work/refusal.err")
    if [ "$status" = 2 ] && [ "$lines" = 1 ] && [ ! -s "$work/refusal.out" ] && grep -q -- "$needle" "$work/refusal.err"; then
        pass "$name: $message"
    else
        fail "$name" "exit status $status, $lines stderr lines (expected 2 and one line naming '$needle'): $message"
    fi
}
last_node=$(tr -d ' \n' < "$work/topology.json" | grep -o '"id":[0-9]*' | tail -1 | sed 's/.*://')
last_cpu=$(tr -d ' \n' < "$work/topology.json" | grep -o '"cpus":\[[0-9,]*\]' | grep -o '[0-9]*' | sort -n | tail -1)
missing_node=$(( ${last_node:-0} + 1 )) missing_cpu=$(( ${last_cpu:-0} + 1 ))
expect_refusal "refused: node $missing_node" "node $missing_node is not a node of this machine" "$tessel" numa-check --nodes "0,$missing_node"
expect_refusal "refused: CPU $missing_cpu" "CPU $missing_cpu is not a CPU of this machine" "$tessel" numa-check --cpus "0-$missing_cpu"
expect_refusal "refused: TESSEL_NUMA=node1" "TESSEL_NUMA" env TESSEL_NUMA=node1 "$tessel" topology

echo "numa-checks: $passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs each for a given time.
#
#   scripts/fuzz.sh npy|config|all SECONDS [libFuzzer options…]
#
# How it builds: SwiftPM compiles the Tessel and TesselBenchmarking libraries (and
# swift-numerics) in debug with coverage instrumentation and AddressSanitizer
# (`-sanitize=fuzzer,address`, build folder .build-fuzz), then `swiftc` compiles the target file and links it with those
# objects and libFuzzer. The target cannot be a SwiftPM executable: on Linux SwiftPM links
# executables with `--defsym main=<Module>_main`, which libFuzzer's own `main` rules out; and
# it must not be a target of Package.swift, where `swift build` would try to link it without
# libFuzzer. Debug, not release: release builds of Tessel are `-Ounchecked`, which removes
# the overflow and bounds checks whose traps the fuzzer is looking for.
#
# How it runs: on a copy of the seeds in .build-fuzz/corpus/TARGET (the repository stays
# clean): Fuzz/corpus/TARGET, Fuzz/regressions/TARGET, and the fixtures the tests already use
# (Tests/Fixtures/npy/*.npy for npy, config/*.json for config), with the dictionary
# Fuzz/TARGET.dict. A crash, a trap, an ASan report, an input slower than 10 s or a run
# above 2 GiB stops the fuzzer: its input is saved under .build-fuzz/artifacts/TARGET/ and
# the script fails. Add that input to Fuzz/regressions/TARGET/ once the bug is fixed: the
# test FuzzRegressionTests runs every file there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 npy|config|all SECONDS [libFuzzer options…]" >&2
    exit 2
fi
case $1 in
    npy | config) targets=("$1") ;;
    all) targets=(npy config) ;;
    *) echo "$0: unknown target '$1' (npy, config or all)" >&2; exit 2 ;;
esac
seconds=$2
shift 2

build=.build-fuzz
echo "== building Tessel with -sanitize=fuzzer,address ($build)"
mkdir -p "$build"
# One -sanitize= list, not SwiftPM's `--sanitize=fuzzer --sanitize=address`: given twice, swiftc
# keeps only the last, and the library would have no coverage counters.
if ! swift build --build-path "$build" -Xswiftc -sanitize=fuzzer,address --target TesselBenchmarking > "$build/build.log" 2>&1; then
    tail -n 40 "$build/build.log"
    echo "$0: the instrumented build of Tessel failed (full log: $build/build.log)" >&2
    exit 1
fi
binaries=$(swift build --build-path "$build" --show-bin-path)

# The objects of the current sources only (the output file maps list them), not stale ones
# that an incremental build leaves behind.
objects=()
for module in Tessel TesselBenchmarking TesselSystem RealModule; do
    while IFS= read -r object; do objects+=("$object"); done \
        < <(grep -o '"object": "[^"]*"' "$binaries/$module.build/output-file-map.json" | cut -d'"' -f4)
done
objects+=("$binaries"/_NumericsShims.build/*.o)
# The C modules that the Swift modules import, shown to the compiler as SwiftPM shows them.
moduleMaps=()
for map in Sources/CNuma/module.modulemap Sources/CCacheHints/module.modulemap "$build"/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap; do
    moduleMaps+=(-Xcc "-fmodule-map-file=$map")
done

status=0
for target in "${targets[@]}"; do
    case $target in
        npy) source=Fuzz/NPYFuzzer.swift; fixtures=(Tests/Fixtures/npy/*.npy) ;;
        config) source=Fuzz/ConfigFuzzer.swift; fixtures=(config/*.json) ;;
    esac
    fuzzer=$build/fuzzers/$target
    mkdir -p "$build/fuzzers" "$build/artifacts/$target" "$build/corpus/$target"
    echo "== linking $fuzzer"
    # lld, because gold warns about every ASan symbol that the Swift objects keep local.
    swiftc -sanitize=fuzzer,address -parse-as-library -swift-version 6 -g -use-ld=lld \
        -I "$binaries/Modules" "${moduleMaps[@]}" \
        "$source" "${objects[@]}" -lnuma -o "$fuzzer"

    corpus=$build/corpus/$target
    cp -n Fuzz/corpus/"$target"/* Fuzz/regressions/"$target"/* "${fixtures[@]}" "$corpus"/ 2>/dev/null || true
    echo "== fuzzing $target for $seconds s ($(find "$corpus" -type f | wc -l) inputs in $corpus)"
    log=$build/$target.log
    if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$fuzzer" "$corpus" -dict="Fuzz/$target.dict" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$target/" "$@" > "$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || tail -n 5 "$log"
        grep -E 'stat::number_of_executed_units' "$log" || true
    else
        status=1
        tail -n 60 "$log"
        echo "$0: the $target fuzzer found a problem; its input is in $build/artifacts/$target/ (full log: $log)" >&2
    fi
done
exit $status

#!/usr/bin/env bash
# Tessel's NUMA code on a kernel with several nodes, whatever this machine has (issue 19): boots
# Debian's kernel in QEMU twice, as 2 nodes × 2 CPUs and as 4 nodes × 1 CPU with unequal node
# distances, into an initramfs holding the static portable tessel, libnuma and busybox (no disk
# image, no network), turns automatic NUMA balancing off there, and runs
# scripts/numa_placement_checks.sh in the guest: topology and distances, placement under every
# policy read back with move_pages, `tessel run` of every network config under every NUMA mode
# against the dumps of this machine's run, `tessel scale --workers 1,2,4`, and refused bad
# settings. The guest's results come back over its serial console.
# Prints `numa-vm: N passed, M failed` and exits 1 when a check failed or a guest gave no result;
# skips (exit 0, with the reason) only when QEMU cannot start at all.
# Plain emulation (TCG, -cpu max: AVX2 and FMA), not KVM: on the CI's machine kind a KVM guest
# hangs after the BIOS. Emulation runs tessel about 100× slower than native, hence batches of
# BATCH (8) examples and one step per run.
# Usage: scripts/numa_vm_check.sh   (as root where packages are missing: it installs them)
# Environment: BATCH (8), GUEST_TIMEOUT seconds per guest (420), KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
batch=${BATCH:-8}
guest_timeout=${GUEST_TIMEOUT:-420}
started=$(date +%s)

install_missing() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}"
    fi
}
# Where they cannot be installed, the probe below decides: no QEMU is a skip, anything else a failure.
install_missing qemu-system-x86 busybox-static linux-image-amd64 cpio jq libnuma-dev \
    || echo "numa-vm: could not install every package; going on with what is here"

qemu=qemu-system-x86_64
probe=$(timeout 10 "$qemu" -machine none -accel tcg -nodefaults -display none -monitor none -S 2>&1) && status=0 || status=$?
if [ "$status" != 124 ]; then
    echo "numa-vm: skipped: QEMU cannot start here (exit status $status): $(echo "$probe" | head -1)"
    exit 0
fi
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
[ -n "$kernel" ] || { echo "numa-vm: FAILED: no kernel in /boot (linux-image-amd64)" >&2; exit 1; }
for tool in /bin/busybox cpio jq; do
    command -v "$tool" >/dev/null || { echo "numa-vm: FAILED: $tool is missing (busybox-static, cpio, jq)" >&2; exit 1; }
done

echo "== numa-vm: the static portable tessel (.build-portable-static, shared with .ci/run's golden check)"
TESSEL_PORTABLE=1 swift build -c release --product tessel --static-swift-stdlib --build-path .build-portable-static 2>&1 | tail -2
tessel=$PWD/.build-portable-static/release/tessel

work=$(mktemp -d /tmp/numa-vm.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "numa-vm: work folder $work" || trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,config,digests,scripts}

echo "== numa-vm: small copies of the network configs (batch $batch, no warm-up) and this machine's dumps"
cp config/runtime.json "$root/config/"
cp -r data "$root/data"
for config in config/*.json; do
    jq -e '.network' "$config" >/dev/null || continue
    jq --argjson batch "$batch" '.run.batchSize = $batch | .run.warmup = 0' "$config" > "$root/config/$(basename "$config")"
done
# The digest listing of a dump folder, as numa_placement_checks.sh writes it in the guest.
for config in "$root"/config/*.json; do
    jq -e '.network' "$config" >/dev/null || continue
    name=$(basename "$config" .json)
    TESSEL_NUMA=disabled "$tessel" run "$config" --steps 1 --dump "$work/dump-$name" >/dev/null
    (cd "$work/dump-$name" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r file; do sha256sum "$file"; done) \
        > "$root/digests/$name.sha256"
done

echo "== numa-vm: initramfs"
cp /bin/busybox "$root/bin/busybox"
cp "$tessel" "$root/bin/tessel"
cp scripts/numa_placement_checks.sh "$root/scripts/"
# The shared libraries tessel needs (libnuma, libstdc++, libgcc_s, libm, libc) and the loader, at their paths.
ldd "$tessel" | grep -o '/[^ ]*' | while IFS= read -r library; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
done
cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 0 > /proc/sys/kernel/numa_balancing
echo; echo "numa-vm-guest: kernel $(uname -r), $(nproc) CPUs, numa_balancing $(cat /proc/sys/kernel/numa_balancing)"
cd /
/scripts/numa_placement_checks.sh --tessel /bin/tessel --configs /config --digests /digests --work /tmp/checks \
    --expect-cpus "$numa_cpus" --expect-memory-mib "$numa_memory" --expect-distances "$numa_distances"
echo "numa-vm-guest: exit status $?"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"
echo "initramfs: $(( $(stat -c %s "$work/initramfs.cpio") >> 20 )) MiB, kernel $kernel"

passed=0 failed=0
# boot NAME CPUS-PER-NODE MIB-PER-NODE DISTANCES: DISTANCES is the matrix by rows ('10,21;21,10').
boot() {
    local name=$1 cpus_per_node=$2 mib=$3 distances=$4
    local -a rows
    IFS=';' read -r -a rows <<< "$distances"
    local nodes=${#rows[@]} args=() distance_args=() cpus_list=() memory_list=()
    for ((node = 0; node < nodes; node++)); do
        local first=$((node * cpus_per_node)) last=$(((node + 1) * cpus_per_node - 1))
        args+=(-object "memory-backend-ram,id=mem$node,size=${mib}M" -numa "node,nodeid=$node,cpus=$first-$last,memdev=mem$node")
        cpus_list+=("$([ "$first" = "$last" ] && echo "$first" || echo "$first-$last")")
        memory_list+=("$mib")
        local -a row
        IFS=',' read -r -a row <<< "${rows[node]}"
        for ((to = 0; to < nodes; to++)); do
            [ "$to" = "$node" ] || distance_args+=(-numa "dist,src=$node,dst=$to,val=${row[to]}")
        done
    done
    local expect_cpus expect_memory
    expect_cpus=$(IFS=';'; echo "${cpus_list[*]}")
    expect_memory=$(IFS=';'; echo "${memory_list[*]}")
    echo "== numa-vm: $name guest: $nodes nodes × $cpus_per_node CPUs, $mib MiB each, distances $distances"
    local log=$work/$name.log boot_start
    boot_start=$(date +%s)
    touch "$log"
    timeout "$guest_timeout" "$qemu" -accel tcg -cpu max -machine q35 \
        -smp "$((nodes * cpus_per_node)),sockets=$nodes,cores=$cpus_per_node,threads=1" -m "$((nodes * mib))M" "${args[@]}" "${distance_args[@]}" \
        -kernel "$kernel" -initrd "$work/initramfs.cpio" -nodefaults -nographic -no-reboot -nic none -serial "file:$log" \
        -append "console=ttyS0 loglevel=1 panic=-1 numa_cpus=$expect_cpus numa_memory=$expect_memory numa_distances=$distances" \
        > "$work/$name.qemu" 2>&1 || echo "qemu: exit status $? (124: the guest ran past ${guest_timeout} s); $(tail -1 "$work/$name.qemu")"
    tr -d '\r' < "$log" | grep -E '^(check: |numa-checks:|numa-vm-guest:|warning:)' | sed "s/^/$name /" || true
    local ok bad
    ok=$(tr -d '\r' < "$log" | grep -c '^check: ok ' || true)
    bad=$(tr -d '\r' < "$log" | grep -c '^check: FAIL ' || true)
    if ! tr -d '\r' < "$log" | grep -q '^numa-checks: '; then
        echo "$name FAIL: the guest gave no result; the end of its console:"
        tr -d '\r' < "$log" | tail -15
        bad=$((bad + 1))
    fi
    passed=$((passed + ok)) failed=$((failed + bad))
    echo "$name: $ok passed, $bad failed in $(( $(date +%s) - boot_start )) s"
}
boot 2x2 2 384 '10,21;21,10'
boot 4x1 1 256 '10,16,21,31;16,10,31,21;21,31,10,16;31,21,16,10'

echo "numa-vm: $passed passed, $failed failed ($(( $(date +%s) - started )) s)"
[ "$failed" = 0 ]

// Allocation cost (4 KiB … 256 MiB) of Tessel's allocator under each placement policy against
// posix_memalign, and ReLU forward+backward (Float32, 16 MiB) under each NUMA mode, with the
// modes taking turns so that a busy machine slows them all alike. Medians per operation.
//
//     swift run -c release AllocationBenchmark [alloc] [relu]      (from Benchmarks/)
//
// For every layer under each NUMA mode, use `tessel scale --settings FILE` with "numa" set.
import Glibc
import Tessel

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func format(_ seconds: Double) -> String {
    if seconds < 1e-6 { return String(Int((seconds * 1e9).rounded())) + " ns" }
    if seconds < 1e-3 { return String((seconds * 1e7).rounded() / 10) + " µs" }
    return String((seconds * 1e4).rounded() / 10) + " ms"
}

func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

/// Median time of one `operation`, from batches sized so that small ones are not timer noise.
func measure(size: Int, _ operation: () -> Void) -> Double {
    let batch = max(1, min(256, (1 << 20) / size))
    let batches = size >= 64 << 20 ? 7 : 21
    operation()
    return median((0..<batches).map { _ in
        let start = now()
        for _ in 0..<batch { operation() }
        return (now() - start) / Double(batch)
    })
}

let page = Allocator.pageSize
func touch(_ p: UnsafeMutableRawPointer, _ size: Int) {
    for offset in stride(from: 0, to: size, by: page) { p.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
}

let variants: [(String, Allocator?)] = [
    ("posix_memalign", nil),
    ("standard", .standard),
    ("local", try! Allocator(policy: .local)),
    ("bind(0)", try! Allocator(policy: .bind(node: 0))),
    ("interleave(0)", try! Allocator(policy: .interleave(nodes: [0]))),
    ("partitioned(0)", try! Allocator(policy: .partitioned(nodes: [0]))),
    ("hugepages", try! Allocator(policy: nil, hugePages: true)),
]
let sizes = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20]
let sizeNames = ["4 KiB", "16 KiB", "64 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB", "64 MiB", "256 MiB"]

let arguments = CommandLine.arguments.dropFirst()
print("topology: \(Topology.current.nodes.count) node(s), NUMA available: \(Topology.current.isAvailable)")

if arguments.isEmpty || arguments.contains("alloc") {
    for touched in [false, true] {
        print("\n## allocate\(touched ? " + write one byte per page" : "") + free, median per operation")
        print(pad("size", 8) + variants.map { pad($0.0, 16) }.joined())
        for (size, name) in zip(sizes, sizeNames) {
            var row = pad(name, 8)
            for (_, allocator) in variants {
                let time: Double
                if let allocator {
                    time = measure(size: size) {
                        let block = try! allocator.allocate(byteCount: size, rows: 8)
                        if touched { touch(block.baseAddress, size) }
                    }
                } else {
                    time = measure(size: size) {
                        var p: UnsafeMutableRawPointer?
                        posix_memalign(&p, 64, size)
                        if touched { touch(p!, size) }
                        free(p)
                    }
                }
                row += pad(format(time), 16)
            }
            print(row)
        }
    }
}

if arguments.isEmpty || arguments.contains("relu") {
    let shape = [64, 64, 32, 32]  // N, C, H, W: 16 MiB of Float32
    let count = shape.reduce(1, *)
    var generator = SystemRandomNumberGenerator()
    let values = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    let gradient = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    let workers = Scheduler.onlineCPUCount
    print("\n## ReLU forward+backward, Float32 \(shape), \(workers) workers, median of 31")
    let forced = Topology.current
    let modes: [(String, Allocator, TilePlacement?)] = NumaMode.allCases.map {
        ("\($0.rawValue) (as set)", Allocator(mode: $0), TilePlacement(mode: $0))
    } + NumaMode.allCases.filter { $0 != .disabled }.map {
        ("\($0.rawValue) (forced)", try! Allocator(policy: $0.policy(overNodes: forced.nodeIDs)),
         $0 == .partitioned ? TilePlacement(topology: forced) : nil)
    }
    // Modes take turns round by round, so that a busy machine slows them all alike.
    let inputs = modes.map { mode in
        (try! Tensor(shape: shape, scalars: values, allocator: mode.1), try! Tensor(shape: shape, scalars: gradient, allocator: mode.1),
         try! Scheduler(workers: workers, placement: mode.2))
    }
    var times = [[Double]](repeating: [], count: modes.count)
    var results = [Tensor<Float>?](repeating: nil, count: modes.count)
    for _ in 0..<31 {
        for (index, (x, dout, scheduler)) in inputs.enumerated() {
            let start = now()
            let out = try! ReLU.forward(x, scheduler: scheduler)
            let dx = try! ReLU.backward(dout: dout, x: out, scheduler: scheduler)
            times[index].append(now() - start)
            results[index] = dx
        }
    }
    for (index, mode) in modes.enumerated() {
        let same = results[index]!.isBitwiseEqual(to: results[0]!)
        print(pad(mode.0, 24) + pad(format(median(times[index])), 12) + "   min " + format(times[index].min()!)
              + (same ? "   bitwise equal" : "   DIFFERENT"))
    }
}

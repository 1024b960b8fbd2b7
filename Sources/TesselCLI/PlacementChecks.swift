import Tessel

/// The placement checks of `tessel numa-check`: each allocates through Tessel's allocator
/// under one policy, touches the pages, and compares the node of every page (`PagePlacement`)
/// with the node the policy promises, computed here from the policy's definition.
struct PlacementChecks {
    /// The outcome of one check, printed as one line.
    struct Result {
        let name: String
        /// What was found (pages per node, policy).
        let found: String
        /// Why the check failed; nil when it passed.
        let failure: String?

        var passed: Bool { failure == nil }
        var line: String { (passed ? "ok    " : "FAIL  ") + name + ": " + (failure.map { "\($0); found \(found)" } ?? found) }
    }

    let topology: Topology
    /// The nodes checked, ascending.
    let nodes: [Int]

    /// Pages of one row of the tile-placement block: 64 KiB, so each row's pages belong to one tile alone.
    private static let tileRowPages = 16

    /// The CPUs of the nodes checked that this process may run on, ascending.
    var allowedCPUs: [Int] {
        let allowed = CPUSet.currentThread()
        return topology.nodes.filter { nodes.contains($0.id) }.flatMap(\.cpus).filter(allowed.contains).sorted()
    }

    /// Runs every check: local on each of `localCPUs`, bind on each node, interleave and
    /// partitioned over all the nodes, and tile placement.
    /// - Throws: the allocator's errors, `PagePlacement`'s when the kernel refuses a query.
    func run(localCPUs: [Int]) throws -> [Result] {
        var results: [Result] = []
        for cpu in localCPUs { results.append(try local(onCPU: cpu)) }
        for node in nodes { results.append(try bind(node)) }
        results.append(try interleave())
        results.append(try partitioned())
        results.append(try tilePlacement())
        return results
    }

    /// `local`: a thread bound to `cpu` allocates and touches a block; every page must be on
    /// `cpu`'s node.
    func local(onCPU cpu: Int) throws -> Result {
        let original = CPUSet.currentThread()
        try CPUSet.bindCurrentThread(to: CPUSet([cpu]))
        defer { try? CPUSet.bindCurrentThread(to: original) }
        let node = topology.nodes.first { $0.cpus.contains(cpu) }?.id ?? -1
        let block = try Allocator(policy: .local, topology: topology).allocate(byteCount: Allocator.minimumPlacedByteCount)
        let pages = try touchedPages(block)
        return try result("local on CPU \(cpu) (node \(node))", block, pages, policy: "local") { _ in node }
    }

    /// `bind(node)`: every page on `node`, whichever CPU touches it.
    func bind(_ node: Int) throws -> Result {
        let block = try Allocator(policy: .bind(node: node), topology: topology).allocate(byteCount: Allocator.minimumPlacedByteCount)
        let pages = try touchedPages(block)
        return try result("bind(\(node))", block, pages, policy: "bind") { _ in node }
    }

    /// `interleave(nodes)`: consecutive pages cycle through the nodes in order, from the node
    /// of the first page (the kernel starts the cycle at the page's offset in the mapping).
    func interleave() throws -> Result {
        let policy = NumaPolicy.interleave(nodes: nodes)
        let block = try Allocator(policy: policy, topology: topology).allocate(byteCount: 4 * nodes.count * Allocator.minimumPlacedByteCount)
        let pages = try touchedPages(block)
        let start = nodes.firstIndex(of: pages.first ?? -1) ?? 0
        return try result(policy.description, block, pages, policy: "interleave") { nodes[(start + $0) % nodes.count] }
    }

    /// `partitioned(nodes)`: a block of `2 · nodes + 1` rows, each a little over 8 pages, so
    /// that slices are uneven and pages straddle rows; each page must be on the node of the
    /// part holding its first byte (`Partition` of the rows over the nodes).
    func partitioned() throws -> Result {
        let policy = NumaPolicy.partitioned(nodes: nodes)
        let rows = 2 * nodes.count + 1, rowBytes = 8 * Allocator.pageSize + 256
        let block = try Allocator(policy: policy, topology: topology).allocate(byteCount: rows * rowBytes, rows: rows)
        // partitioned places and touches the pages while allocating; nothing to touch here.
        let pages = try PagePlacement.nodes(ofPages: block.baseAddress, count: pageCount(block))
        let partition = Partition(count: rows, parts: nodes.count)
        let expected = { (page: Int) in nodes[partition.part(ofRow: page * Allocator.pageSize / rowBytes)] }
        var found = try result(policy.description, block, pages, policy: "preferred", expected)
        // Each slice has a mapping policy of its own: check it at every slice's first page.
        for part in 0..<nodes.count where found.passed {
            let firstPage = (partition.rows(ofPart: part).lowerBound * rowBytes + Allocator.pageSize - 1) / Allocator.pageSize
            let name = try PagePlacement.policyName(at: block.baseAddress + firstPage * Allocator.pageSize)
            if name != "preferred" {
                found = Result(name: found.name, found: found.found, failure: "slice \(part) (page \(firstPage)) has policy \(name), expected preferred")
            }
        }
        return found
    }

    /// Tile placement: a scheduler placing tiles on the nodes runs one tile per row of a
    /// `local` block; each tile checks that its thread is bound to its node's CPUs and touches
    /// its row first, so the row's pages must be on the node of the part holding the row.
    func tilePlacement() throws -> Result {
        let nodesChecked = topology.nodes.filter { nodes.contains($0.id) }
        let ids = nodesChecked.map(\.id)
        let indices = ids.map { id in topology.nodeIDs.firstIndex(of: id)! }
        let sub = try Topology(isAvailable: true, nodes: nodesChecked,
                               distances: indices.map { i in indices.map { j in topology.distances[i][j] } })
        let placement = TilePlacement(topology: sub)
        let rows = 2 * ids.count + 1, rowBytes = Self.tileRowPages * Allocator.pageSize
        let tiling = Tiling(rows: rows, tileRows: 1)
        let scheduler = try Scheduler(workers: max(1, allowedCPUs.count), grainSize: 0, placement: placement)
        let block = try Allocator(policy: .local, topology: topology).allocate(byteCount: rows * rowBytes, rows: rows)
        var boundOutside = [Int](repeating: -1, count: rows)
        boundOutside.withUnsafeMutableBufferPointer { outside in
            scheduler.forEachTile(tiling, workPerTile: rowBytes) { tile in
                let row = tile.rows.lowerBound
                let cpus = CPUSet(nodesChecked[placement.part(of: tile, in: tiling)].cpus)
                let running = CPUSet.currentThread()
                if cpus.count > 0, running.intersection(cpus) != running { outside[row] = running.cpus.first { !cpus.contains($0) } ?? -1 }
                for page in 0..<Self.tileRowPages { (block.baseAddress + row * rowBytes + page * Allocator.pageSize).storeBytes(of: 1, as: UInt8.self) }
            }
        }
        let pages = try PagePlacement.nodes(ofPages: block.baseAddress, count: pageCount(block))
        let partition = Partition(count: rows, parts: ids.count)
        let expected = { (page: Int) in ids[partition.part(ofRow: page / Self.tileRowPages)] }
        let found = try result("tile placement over nodes \(ids.map(String.init).joined(separator: ",")) (\(rows) tiles, "
                               + "\(scheduler.workers) workers)", block, pages, policy: "local", expected)
        if let row = boundOutside.firstIndex(where: { $0 >= 0 }), found.passed {
            return Result(name: found.name, found: found.found,
                          failure: "the tile of row \(row) ran on CPU \(boundOutside[row]), outside its node's CPUs")
        }
        return found
    }

    /// The number of pages `block` spans.
    private func pageCount(_ block: MemoryBlock) -> Int {
        (block.byteCount + Allocator.pageSize - 1) / Allocator.pageSize
    }

    /// Writes one byte into every page of `block` from the calling thread, then reads their nodes.
    private func touchedPages(_ block: MemoryBlock) throws -> [Int] {
        for page in 0..<pageCount(block) { (block.baseAddress + page * Allocator.pageSize).storeBytes(of: 1, as: UInt8.self) }
        return try PagePlacement.nodes(ofPages: block.baseAddress, count: pageCount(block))
    }

    /// The result of comparing each page's node in `pages` with `expected(page)` and the
    /// policy of `block`'s mapping with `policy`.
    private func result(_ name: String, _ block: MemoryBlock, _ pages: [Int], policy: String,
                        _ expected: (Int) -> Int) throws -> Result {
        let actualPolicy = try PagePlacement.policyName(at: block.baseAddress)
        var counts: [Int: Int] = [:]
        for node in pages { counts[node, default: 0] += 1 }
        let found = "\(pages.count) pages: " + counts.keys.sorted().map { $0 >= 0 ? "\(counts[$0]!) on node \($0)" : "\(counts[$0]!) with error \(-$0)" }
            .joined(separator: ", ") + ", policy \(actualPolicy)"
        if let page = pages.indices.first(where: { pages[$0] != expected($0) }) {
            return Result(name: name, found: found, failure: "page \(page) is on node \(pages[page]), expected node \(expected(page))")
        }
        if actualPolicy != policy {
            return Result(name: name, found: found, failure: "the mapping's policy is \(actualPolicy), expected \(policy)")
        }
        return Result(name: name, found: found, failure: nil)
    }
}

import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// `DiffReport`, `DiffEntry` and `ElementDifference`: what `tessel diff` finds, from Swift.
@Suite struct DiffReportTests {
    /// Writes `tensor` as `name` (a relative path) under `folder`, creating subfolders.
    static func write<T: TesselScalar>(_ tensor: Tensor<T>, _ name: String, in folder: String) throws {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try NPY.write(tensor, to: path)
    }

    static func writeBytes(_ bytes: [UInt8], _ name: String, in folder: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    /// An int64 `.npy` file of `values` (labels).
    static func integers(_ values: [Int64]) -> [UInt8] {
        NPYHeader(descr: "<i8", fortranOrder: false, shape: [values.count]).encoded()
            + values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }

    /// `tensor` with bit `bit` of element `flat` flipped.
    static func flipping<T: TesselScalar>(bit: Int, of flat: Int, in tensor: Tensor<T>) throws -> Tensor<T> {
        var scalars = tensor.scalars
        switch scalars[flat] {
        case let value as Float: scalars[flat] = Float(bitPattern: value.bitPattern ^ (1 << UInt32(bit))) as! T
        case let value as Double: scalars[flat] = Double(bitPattern: value.bitPattern ^ (1 << UInt64(bit))) as! T
        default: Issue.record("unexpected scalar type")
        }
        return try Tensor(shape: tensor.shape, scalars: scalars)
    }

    static let plantedCases: [(shape: [Int], flat: Int, bit: Int)] = [
        ([3, 4, 5], 37, 0), ([7], 6, 0), ([1, 1, 2, 3], 0, 0), ([2, 3, 4], 23, 5), ([5, 5], 12, 20), ([], 0, 0),
    ]

    @Test(arguments: plantedCases)
    func aPlantedBitFlipIsFoundWithItsIndexAndULPDistance(shape: [Int], flat: Int, bit: Int) throws {
        try checkPlanted(Float.self, shape: shape, flat: flat, bit: bit)
        try checkPlanted(Double.self, shape: shape, flat: flat, bit: bit)
    }

    private func checkPlanted<T: TesselScalar>(_: T.Type, shape: [Int], flat: Int, bit: Int) throws {
        let folder = try TemporaryFolder()
        // Values in [1, 2): every significand bit flip moves the value by 2^bit ULPs, within the binade.
        let original: Tensor<T> = try TestData.uniform(shape, in: 1...1.9, seed: UInt64(flat + 1))
        let planted = try Self.flipping(bit: bit, of: flat, in: original)
        try NPY.write(original, to: folder.path + "/a.npy")
        try NPY.write(planted, to: folder.path + "/b.npy")
        let report = try DiffReport(comparing: folder.path + "/a.npy", folder.path + "/b.npy")
        #expect(!report.comparesFolders && report.entries.count == 1 && !report.isIdentical)
        let entry = try #require(report.entries.first)
        #expect(entry.status == .different && entry.dtypeA == T.dtype.rawValue && entry.shapeA == shape)
        let d = try #require(entry.elements)
        var expectedIndex: [Int] = [], rest = flat
        for size in shape.reversed() {
            expectedIndex.insert(rest % size, at: 0)
            rest /= size
        }
        #expect(d.differing == 1 && d.elements == original.count)
        #expect(d.firstFlatIndex == flat && d.firstIndex == expectedIndex, "\(d.firstIndex)")
        #expect(d.firstULPs == 1 << UInt64(bit) && d.largestULPs == 1 << UInt64(bit))
        #expect(d.firstA == "\(original[flat: flat])" && d.firstB == "\(planted[flat: flat])")
        #expect(d.firstBitsA ^ d.firstBitsB == 1 << UInt64(bit))
        #expect(d.largestAbsolute == abs(Double(original[flat: flat]) - Double(planted[flat: flat])))
        #expect(d.nonFinite == 0)
        // Against itself: identical.
        #expect(try DiffReport(comparing: folder.path + "/a.npy", folder.path + "/a.npy").isIdentical)
    }

    @Test func identicalFoldersAreIdenticalThroughSubfolders() throws {
        let a = try TemporaryFolder(), b = try TemporaryFolder()
        for folder in [a.path, b.path] {
            try Self.write(try TestData.uniform([4, 3], seed: 1, as: Float.self), "conv0.w.npy", in: folder)
            try Self.write(try TestData.uniform([3], seed: 2, as: Double.self), "epoch-0002/conv0.b.npy", in: folder)
            try Self.writeBytes(Array(#"{"epoch": 2}"#.utf8), "epoch-0002/manifest.json", in: folder)
            try Self.writeBytes(Self.integers([0, 2, 1]), "labels.npy", in: folder)
            try Self.write(try Tensor<Float>(shape: [0, 5]), "empty.npy", in: folder)
        }
        // A temporary file of an interrupted write is not a result.
        try Self.writeBytes([1, 2, 3], ".conv0.w.npy.tmp-999999-abc", in: a.path)
        let report = try DiffReport(comparing: a.path, b.path)
        #expect(report.comparesFolders && report.isIdentical && report.firstDifference == nil)
        #expect(report.entries.map(\.name) == ["conv0.w.npy", "empty.npy", "epoch-0002/conv0.b.npy", "epoch-0002/manifest.json", "labels.npy"])
        #expect(report.entries.first { $0.name.hasSuffix("manifest.json") }?.bytesA == 12)
        let empty = try TemporaryFolder(), alsoEmpty = try TemporaryFolder()
        #expect(try DiffReport(comparing: empty.path, alsoEmpty.path).entries.isEmpty)
    }

    @Test func missingAndExtraTensorsAreNamed() throws {
        let a = try TemporaryFolder(), b = try TemporaryFolder()
        let x = try TestData.uniform([2, 2], seed: 3, as: Float.self)
        try Self.write(x, "x.npy", in: a.path)
        try Self.write(x, "x.npy", in: b.path)
        try Self.write(x, "y.npy", in: a.path)
        try Self.write(x, "z.npy", in: b.path)
        let report = try DiffReport(comparing: a.path, b.path)
        #expect(report.entries.map(\.name) == ["x.npy", "y.npy", "z.npy"])
        #expect(report.entries.map(\.status) == [.identical, .onlyInA, .onlyInB])
        #expect(report.firstDifference?.name == "y.npy" && !report.isIdentical)
    }

    @Test func shapeAndDtypeMismatchesAreNamed() throws {
        let a = try TemporaryFolder(), b = try TemporaryFolder()
        let x = try TestData.uniform([2, 3], seed: 4, as: Float.self)
        try Self.write(x, "dtype.npy", in: a.path)
        try Self.write(try x.converted(to: Double.self), "dtype.npy", in: b.path)
        try Self.write(x, "shape.npy", in: a.path)
        try Self.write(try x.reshaped([3, 2]), "shape.npy", in: b.path)
        try Self.write(x, "labels.npy", in: a.path)
        try Self.writeBytes(Self.integers([1, 2, 3, 4, 5, 6]), "labels.npy", in: b.path)
        let report = try DiffReport(comparing: a.path, b.path)
        let byName = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.name, $0) })
        #expect(byName["dtype.npy"]?.status == .dtypeMismatch)
        #expect(byName["dtype.npy"]?.dtypeA == "float32" && byName["dtype.npy"]?.dtypeB == "float64")
        #expect(byName["labels.npy"]?.status == .dtypeMismatch && byName["labels.npy"]?.dtypeB == "int64")
        #expect(byName["shape.npy"]?.status == .shapeMismatch)
        #expect(byName["shape.npy"]?.shapeA == [2, 3] && byName["shape.npy"]?.shapeB == [3, 2])
        #expect(report.entries.allSatisfy { $0.elements == nil })
    }

    @Test func otherFilesAreComparedByteForByte() {
        let entry = DiffEntry(name: "manifest.json", bytesA: Array("{\"epoch\": 2}".utf8), bytesB: Array("{\"epoch\": 3}".utf8))
        #expect(entry.status == .different && entry.firstDifferingByte == 10 && entry.bytesA == 12 && entry.bytesB == 12)
        let prefix = DiffEntry(name: "log", bytesA: [1, 2, 3], bytesB: [1, 2])
        #expect(prefix.status == .different && prefix.firstDifferingByte == 2)
        #expect(DiffEntry(name: "same", bytesA: [7], bytesB: [7]).status == .identical)
    }

    @Test func signedZerosNaNsAndInfinitiesAreDifferencesWithoutAbsoluteSize() throws {
        let a = try Tensor<Float>(shape: [5], scalars: [0, Float(bitPattern: 0x7FC0_0001), 1, .infinity, 2])
        let b = try Tensor<Float>(shape: [5], scalars: [-0.0, Float(bitPattern: 0x7FC0_0002), 1, -.infinity, 2.5])
        let d = try #require(ElementDifference.between(.float32(a), .float32(b)))
        #expect(d.differing == 4 && d.firstFlatIndex == 0)
        #expect(d.firstA == "0.0" && d.firstB == "-0.0" && d.firstULPs == 0)
        #expect(d.nonFinite == 2)
        #expect(d.largestULPs == 2 * UInt64(0x7F80_0000), "inf against -inf is the largest; the NaN pair has no distance")
        #expect(d.largestAbsolute == 0.5 && d.largestRelative == 0.2)
        let nan = try #require(ElementDifference.between(.float32(try Tensor(shape: [1], scalars: [Float.nan])),
                                                         .float32(try Tensor(shape: [1], scalars: [Float(1)]))))
        #expect(nan.firstA == "nan" && nan.firstULPs == nil && nan.largestULPs == nil && nan.nonFinite == 1)
        // The same NaN bits are identical.
        #expect(ElementDifference.between(.float64(try Tensor(shape: [1], scalars: [Double.nan])),
                                          .float64(try Tensor(shape: [1], scalars: [Double.nan]))) == nil)
    }

    @Test func largestDifferencesAreOverAllDifferingElements() throws {
        let a = try Tensor<Double>(shape: [2, 2], scalars: [1, 2, 4, -8])
        let b = try Tensor<Double>(shape: [2, 2], scalars: [1, 2.5, 3, -8])
        let d = try #require(ElementDifference.between(.float64(a), .float64(b)))
        #expect(d.differing == 2 && d.firstIndex == [0, 1] && d.firstFlatIndex == 1)
        #expect(d.largestAbsolute == 1 && d.largestRelative == 0.25)
        #expect(d.largestULPs == ULPDistance.between(4.0, 3.0))
        let labels = try #require(ElementDifference.between(.int64(shape: [3], values: [0, 1, 2]), .int64(shape: [3], values: [0, 1, -3])))
        #expect(labels.firstFlatIndex == 2 && labels.firstA == "2" && labels.firstB == "-3" && labels.firstULPs == nil)
        #expect(labels.firstBitsB == UInt64(bitPattern: -3) && labels.largestAbsolute == 5)
        let small = try #require(ElementDifference.between(.int32(shape: [1], values: [-1]), .int32(shape: [1], values: [1])))
        #expect(small.firstBitsA == 0xFFFF_FFFF)
    }

    @Test func entriesAreInTheByteOrderOfTheirPaths() throws {
        let a = try TemporaryFolder(), b = try TemporaryFolder()
        let x = try TestData.uniform([2], seed: 5, as: Float.self)
        for name in ["10-b.npy", "09-a.npy", "B.npy", "a.npy", "sub/c.npy"] {
            try Self.write(x, name, in: a.path)
            try Self.write(name == "10-b.npy" || name == "a.npy" ? try Self.flipping(bit: 0, of: 1, in: x) : x, name, in: b.path)
        }
        let report = try DiffReport(comparing: a.path, b.path)
        #expect(report.entries.map(\.name) == ["09-a.npy", "10-b.npy", "B.npy", "a.npy", "sub/c.npy"])
        #expect(report.firstDifference?.name == "10-b.npy")
    }

    @Test func badInputThrows() throws {
        let folder = try TemporaryFolder()
        let a = folder.path + "/a.npy", text = folder.path + "/text.npy"
        try NPY.write(try Tensor<Float>(shape: [2], scalars: [1, 2]), to: a)
        try Self.writeBytes(Array("not numpy".utf8), "text.npy", in: folder.path)
        #expect(throws: TesselError.system(operation: "read '\(folder.path)/nowhere.npy'", reason: "No such file or directory")) {
            try DiffReport(comparing: folder.path + "/nowhere.npy", a)
        }
        #expect(throws: TesselError.npy(path: text, reason: "not a .npy file: it does not start with the bytes \\x93NUMPY")) {
            try DiffReport(comparing: text, a)
        }
        do {
            _ = try DiffReport(comparing: folder.path, a)
            Issue.record("a folder against a file was accepted")
        } catch let TesselError.invalidParameter(layer, parameter, _, reason) {
            #expect(layer == "diff" && parameter == "B" && reason.contains("two .npy files or two folders"))
        }
        // An invalid .npy inside compared folders is bad input too.
        let other = try TemporaryFolder()
        try Self.writeBytes(Array("not numpy".utf8), "text.npy", in: other.path)
        try NPY.write(try Tensor<Float>(shape: [2], scalars: [1, 2]), to: other.path + "/a.npy")
        #expect(throws: TesselError.self) { try DiffReport(comparing: folder.path, other.path) }
    }
}

import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// The committed fixtures written by NumPy (see `Tests/Fixtures/npy/generate.py`).
private let fixtureFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/npy").path

private func fixture(_ name: String) -> String { fixtureFolder + "/" + name }

/// The shapes of the fixtures by rank, as in `generate.py`.
private let fixtureShapes: [[Int]] = [[], [5], [2, 3], [2, 3, 4]]

/// Element `i` of the fixtures, as `generate.py` computes it.
private func fixtureFloat(_ i: Int) -> Double { Double(i - 7) / 3 }

/// A `.npy` file with `header` as its dictionary text (padded like NumPy's) and `data` after it.
private func npyFile(version: (UInt8, UInt8) = (1, 0), header: String, data: [UInt8] = []) -> [UInt8] {
    var text = Array(header.utf8)
    let lengthFieldSize = version.0 == 1 ? 2 : 4
    while (8 + lengthFieldSize + text.count + 1) % 64 != 0 { text.append(UInt8(ascii: " ")) }
    text.append(UInt8(ascii: "\n"))
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
    for index in 0..<lengthFieldSize { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * index))) }
    return bytes + text + data
}

private func header(descr: String = "<f4", fortran: String = "False", shape: String = "(2, 3)") -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
}

/// Expects `body` to throw `TesselError.npy(path: path, …)` whose reason contains `fragment`.
private func expectNPYError(path: String, containing fragment: String, _ body: () throws -> Void,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected an error containing \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch let TesselError.npy(errorPath, reason) {
        #expect(errorPath == path, sourceLocation: sourceLocation)
        #expect(reason.contains(fragment), "reason: \(reason)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct NPYTests {
    @Test(arguments: [[], [5], [2, 3], [2, 3, 4], [1, 2, 3, 2], [0, 3]])
    func roundTripIsBitwise(shape: [Int]) throws {
        let float = try TestData.normal(shape, seed: 11, as: Float.self)
        let double = try TestData.normal(shape, seed: 12, as: Double.self)
        guard case let .float32(readFloat) = try NPY.decode(NPY.encode(float), source: "f") else {
            Issue.record("float32 came back as another type")
            return
        }
        guard case let .float64(readDouble) = try NPY.decode(NPY.encode(double), source: "d") else {
            Issue.record("float64 came back as another type")
            return
        }
        #expect(readFloat.isBitwiseEqual(to: float))
        #expect(readDouble.isBitwiseEqual(to: double))
    }

    @Test func roundTripKeepsSpecialValuesBitwise() throws {
        let specials: [Double] = [.nan, -.nan, .infinity, -.infinity, -0.0, 0, .leastNonzeroMagnitude,
                                  .greatestFiniteMagnitude, -.ulpOfOne]
        let double = try Tensor(shape: [specials.count], scalars: specials)
        let float = try Tensor(shape: [specials.count], scalars: specials.map(Float.init))
        #expect(try NPY.decode(NPY.encode(double), source: "d").tensor(as: Double.self).isBitwiseEqual(to: double))
        #expect(try NPY.decode(NPY.encode(float), source: "f").tensor(as: Float.self).isBitwiseEqual(to: float))
    }

    @Test(arguments: [1, 2], ["f4", "f8", "i4", "i8"])
    func readsWhatNumPyWrote(version: Int, code: String) throws {
        for (rank, shape) in fixtureShapes.enumerated() {
            let array = try NPY.read(from: fixture("\(code)_rank\(rank)_v\(version).npy"))
            #expect(array.shape == shape)
            let count = try Shape.elementCount(shape)
            switch array {
            case let .float32(tensor):
                #expect(code == "f4")
                #expect(tensor.scalars == (0..<count).map { Float(fixtureFloat($0)) })
            case let .float64(tensor):
                #expect(code == "f8")
                #expect(tensor.scalars == (0..<count).map(fixtureFloat))
            case let .int32(_, values):
                #expect(code == "i4")
                #expect(values == (0..<count).map { Int32($0 - 7) * 1_000_003 })
            case let .int64(_, values):
                #expect(code == "i8")
                #expect(values == (0..<count).map { Int64($0 - 7) * 10_000_000_019 })
            }
        }
    }

    @Test func readsAnEmptyArray() throws {
        let array = try NPY.read(from: fixture("f4_empty_v1.npy"))
        #expect(array.shape == [0, 3])
        #expect(try array.tensor(as: Float.self).count == 0)
    }

    /// The encoder writes the very bytes `numpy.save` writes, header padding included.
    @Test(arguments: ["f4", "f8"])
    func encodesExactlyAsNumPy(code: String) throws {
        for (rank, shape) in fixtureShapes.enumerated() {
            let numpy = try FileBytes.read(from: fixture("\(code)_rank\(rank)_v1.npy"))
            let values = (0..<(try Shape.elementCount(shape))).map(fixtureFloat)
            let tensor = try Tensor<Double>(shape: shape, scalars: values)
            let encoded = code == "f4" ? NPY.encode(try tensor.converted(to: Float.self)) : NPY.encode(tensor)
            #expect(encoded == numpy, "rank \(rank)")
        }
        let empty = try FileBytes.read(from: fixture("f4_empty_v1.npy"))
        #expect(NPY.encode(try Tensor<Float>(shape: [0, 3])) == empty)
    }

    @Test func dataStartsAtAMultipleOf64Bytes() throws {
        for shape in [[], [7], [123_456_789, 0], [1, 2, 3, 4, 5, 6, 7, 8]] {
            let tensor = try Tensor<Float>(shape: shape)
            let bytes = NPY.encode(tensor)
            #expect((bytes.count - tensor.count * 4) % 64 == 0, "shape \(shape)")
        }
    }

    /// A header too long for version 1.0 (a 65535-byte limit) is written as version 2.0, as NumPy does.
    @Test func writesVersion2WhenTheHeaderNeedsIt() throws {
        let tensor = try Tensor<Double>(shape: [Int](repeating: 1, count: 25_000), repeating: 2.5)
        let bytes = NPY.encode(tensor)
        #expect(Array(bytes[6..<8]) == [2, 0])
        #expect(try NPY.decode(bytes, source: "big").tensor(as: Double.self) == tensor)
        #expect(Array(NPY.encode(try Tensor<Double>(shape: [3])).prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
    }

    /// Header forms NumPy's reader accepts that Tessel's writer never produces.
    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
        "{'shape':(2,3),'descr':'<f4','fortran_order':False}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 3L), }",
        "  {'descr': '<f4',\n 'fortran_order': False, 'shape': (2, 3,), }\t\r",
    ])
    func acceptsOtherHeaderSpellings(header: String) throws {
        let data = (0..<24).map { UInt8($0) }
        let array = try NPY.decode(npyFile(header: header, data: data), source: "spelling")
        #expect(array.shape == [2, 3])
        #expect(array.dtype == .float32)
    }

    @Test func readsVersion2HeadersAndRankZero() throws {
        let bytes = npyFile(version: (2, 0), header: header(descr: "<f8", shape: "()"), data: Array(repeating: 0, count: 7) + [0x40])
        #expect(try NPY.decode(bytes, source: "scalar").tensor(as: Double.self).scalars == [2])
    }

    static let malformed: [(name: String, bytes: [UInt8], fragment: String)] = {
        let f4x6 = [UInt8](repeating: 0, count: 24)
        return [
            ("empty file", [], "not a .npy file"),
            ("bad magic", Array("NUMPY".utf8) + [1, 0] + f4x6, "not a .npy file"),
            ("magic only", [0x93] + Array("NUMPY".utf8), "ends inside the format version"),
            ("version 3.0", Array(npyFile(header: header(), data: f4x6)[0..<6]) + [3, 0] + Array(npyFile(header: header(), data: f4x6)[8...]),
             "unsupported .npy format version 3.0"),
            ("version 1.1", Array(npyFile(header: header(), data: f4x6)[0..<6]) + [1, 1] + Array(npyFile(header: header(), data: f4x6)[8...]),
             "unsupported .npy format version 1.1"),
            ("length cut", [0x93] + Array("NUMPY".utf8) + [1, 0, 0x40], "ends inside the header length"),
            ("header beyond file", [0x93] + Array("NUMPY".utf8) + [1, 0, 0xC8, 0x00] + Array("{'descr'".utf8),
             "header length 200 extends beyond the end of the file (18 bytes)"),
            ("absurd header length", [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF] + f4x6,
             "header length 4294967295 exceeds the limit of 1048576 bytes"),
            ("big-endian f4", npyFile(header: header(descr: ">f4"), data: f4x6), "big-endian data ('>f4') is not supported: save it with a.astype('<f4')"),
            ("big-endian i8", npyFile(header: header(descr: ">i8", shape: "(3,)"), data: f4x6), "big-endian data ('>i8')"),
            ("Fortran order", npyFile(header: header(fortran: "True"), data: f4x6), "Fortran-order (column-major) data is not supported"),
            ("int16", npyFile(header: header(descr: "<i2", shape: "(12,)"), data: f4x6), "dtype '<i2' is not supported"),
            ("complex64", npyFile(header: header(descr: "<c8", shape: "(3,)"), data: f4x6), "dtype '<c8' is not supported"),
            ("bool", npyFile(header: header(descr: "|b1", shape: "(24,)"), data: f4x6), "dtype '|b1' is not supported"),
            ("float16", npyFile(header: header(descr: "<f2", shape: "(12,)"), data: f4x6), "dtype '<f2' is not supported"),
            ("truncated data", npyFile(header: header(), data: Array(f4x6.prefix(20))),
             "truncated data: shape (2, 3) of '<f4' needs 24 bytes of data, the file has 20"),
            ("no data", npyFile(header: header()), "truncated data"),
            ("too much data", npyFile(header: header(), data: f4x6 + [1, 2, 3, 4]), "4 unexpected bytes after the data"),
            ("shape larger than data", npyFile(header: header(shape: "(3, 3)"), data: f4x6), "needs 36 bytes of data, the file has 24"),
            ("shape smaller than data", npyFile(header: header(shape: "(2, 2)"), data: f4x6), "8 unexpected bytes after the data"),
            ("negative dimension", npyFile(header: header(shape: "(2, -3)"), data: f4x6), "invalid shape (2, -3): dimension -3 is negative"),
            ("overflowing shape", npyFile(header: header(shape: "(4294967296, 4294967296)"), data: f4x6),
             "invalid shape (4294967296, 4294967296): element count overflows Int"),
            ("overflowing byte count", npyFile(header: header(descr: "<f8", shape: "(2305843009213693952,)"), data: f4x6),
             "the data size overflows Int"),
            ("dimension beyond 64 bits", npyFile(header: header(shape: "(99999999999999999999,)"), data: f4x6),
             "the integer 99999999999999999999 does not fit in 64 bits"),
            ("header not a dictionary", npyFile(header: "['descr', '<f4']", data: f4x6), "the header is not a dictionary"),
            ("blank header", npyFile(header: "", data: f4x6), "the header is not a dictionary"),
            ("missing key", npyFile(header: "{'descr': '<f4', 'fortran_order': False, }", data: f4x6), "missing key 'shape'"),
            ("extra key", npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1, }", data: f4x6),
             "unexpected key 'x'"),
            ("duplicate key", npyFile(header: "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", data: f4x6),
             "duplicate key 'descr'"),
            ("garbage after the dictionary", npyFile(header: header() + " x", data: f4x6), "expected nothing but white space after the dictionary"),
            ("non-ASCII header", npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'é': 1}", data: f4x6),
             "byte 0xC3 at character 59 is not ASCII"),
            ("shape not a tuple", npyFile(header: header(shape: "6"), data: f4x6), "'shape' must be a tuple of integers"),
            ("parenthesized integer", npyFile(header: header(shape: "(6)"), data: f4x6), "found the integer 6"),
            ("shape of strings", npyFile(header: header(shape: "('2', 3)"), data: f4x6), "expected an integer or ')'"),
            ("shape of floats", npyFile(header: header(shape: "(2.0, 3)"), data: f4x6), "expected ',' or ')' at character"),
            ("fortran_order a string", npyFile(header: header(fortran: "'False'"), data: f4x6), "'fortran_order' must be True or False"),
            ("descr an integer", npyFile(header: "{'descr': 4, 'fortran_order': False, 'shape': (2, 3), }", data: f4x6),
             "'descr' must be a type string"),
            ("structured dtype", npyFile(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", data: f4x6),
             "lists are not supported"),
            ("None value", npyFile(header: header(fortran: "None"), data: f4x6), "expected a string, True, False"),
            ("misspelled True", npyFile(header: header(fortran: "Truth"), data: f4x6), "expected a string, True, False"),
            ("unterminated string", npyFile(header: "{'descr: '<f4', 'fortran_order': False, 'shape': (6,), }", data: f4x6),
             "expected ':' after the key"),
            ("string to the end", npyFile(header: "{'descr", data: f4x6), "unterminated string"),
            ("escaped string", npyFile(header: "{'de\\scr': '<f4'}", data: f4x6), "escape sequences in strings are not supported"),
            ("header cut short", npyFile(header: "{'descr': '<f4', ", data: f4x6), "expected a string key or '}' at character"),
            ("missing comma", npyFile(header: "{'descr': '<f4' 'fortran_order': False}", data: f4x6), "expected ',' or '}'"),
            ("value cut short", npyFile(header: "{'descr':", data: f4x6), "found the end of the header"),
            ("sign without digits", npyFile(header: header(shape: "(-)"), data: f4x6), "expected a digit"),
        ]
    }()

    @Test(arguments: NPYTests.malformed)
    func rejectsMalformedFiles(name: String, bytes: [UInt8], fragment: String) {
        expectNPYError(path: name, containing: fragment) { _ = try NPY.decode(bytes, source: name) }
    }

    /// Every prefix and every one-byte corruption of a valid file decodes or throws; none traps.
    @Test func neverTrapsOnCutOrCorruptedFiles() throws {
        let valid = NPY.encode(try TestData.normal([2, 3], seed: 13, as: Float.self))
        for length in 0..<valid.count {
            #expect(throws: TesselError.self) { try NPY.decode(Array(valid.prefix(length)), source: "cut") }
        }
        var generator = SeededGenerator(seed: 14)
        for index in 0..<valid.count {
            for _ in 0..<4 {
                var corrupted = valid
                corrupted[index] = UInt8.random(in: 0...255, using: &generator)
                _ = try? NPY.decode(corrupted, source: "corrupted")
            }
        }
    }

    @Test(arguments: [
        ("reject_big_endian.npy", "big-endian data ('>f4')"),
        ("reject_fortran.npy", "Fortran-order"),
        ("reject_int16.npy", "dtype '<i2' is not supported"),
        ("reject_complex64.npy", "dtype '<c8' is not supported"),
        ("reject_bool.npy", "dtype '|b1' is not supported"),
        ("reject_structured.npy", "lists are not supported"),
        ("reject_version3.npy", "unsupported .npy format version 3.0"),
    ])
    func rejectsUnsupportedArraysNumPyWrote(name: String, fragment: String) {
        expectNPYError(path: fixture(name), containing: fragment) { _ = try NPY.read(from: fixture(name)) }
    }

    @Test func readingAMissingFileNamesIt() {
        let path = fixture("no_such_file.npy")
        #expect(throws: TesselError.system(operation: "read '\(path)'", reason: "No such file or directory")) {
            try NPY.read(from: path)
        }
    }

    @Test func tensorConvertsBetweenFloatTypes() throws {
        let double = try Tensor<Double>(shape: [3], scalars: [1.0 / 3, 2, -0.1])
        let float = try double.converted(to: Float.self)
        #expect(try NPYArray.float64(double).tensor(as: Double.self).isBitwiseEqual(to: double))
        #expect(try NPYArray.float64(double).tensor(as: Float.self).isBitwiseEqual(to: float))
        #expect(try NPYArray.float32(float).tensor(as: Double.self).scalars == float.scalars.map(Double.init))
        #expect(NPYArray.float32(float).dtype == .float32)
        #expect(NPYArray.int64(shape: [2, 1], values: [1, 2]).shape == [2, 1])
    }

    @Test func tensorRefusesIntegers() {
        expectNPYError(path: "array", containing: "holds int64 data of shape (2,), expected float32 or float64") {
            _ = try NPYArray.int64(shape: [2], values: [1, 2]).tensor(as: Float.self)
        }
        let path = fixture("i4_rank2_v1.npy")
        expectNPYError(path: path, containing: "holds int32 data of shape (2, 3)") { _ = try NPY.readTensor(from: path, as: Double.self) }
    }

    @Test func labelsAreRankOneIntegers() throws {
        #expect(try NPYArray.int32(shape: [3], values: [2, 0, -1]).labels() == [2, 0, -1])
        #expect(try NPY.readLabels(from: fixture("i8_rank1_v2.npy")) == (0..<5).map { ($0 - 7) * 10_000_000_019 })
        #expect(try NPY.readTensor(from: fixture("f8_rank1_v1.npy"), as: Double.self).scalars == (0..<5).map(fixtureFloat))
    }

    @Test(arguments: [
        ("f4_rank1_v1.npy", "labels must be int32 or int64, found float32 data"),
        ("f8_rank1_v2.npy", "labels must be int32 or int64, found float64 data"),
        ("i4_rank2_v1.npy", "labels must have rank 1, found shape (2, 3)"),
        ("i8_rank0_v1.npy", "labels must have rank 1, found shape ()"),
    ])
    func labelsRefuseOtherArrays(name: String, fragment: String) {
        expectNPYError(path: fixture(name), containing: fragment) { _ = try NPY.readLabels(from: fixture(name)) }
    }

    @Test func writeThenReadFromDisk() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/x.npy"
        let tensor = try TestData.normal([3, 1, 4], seed: 15, as: Float.self)
        try NPY.write(tensor, to: path)
        #expect(try NPY.readTensor(from: path, as: Float.self).isBitwiseEqual(to: tensor))
        #expect(try folder.contents() == ["x.npy"])
    }
}

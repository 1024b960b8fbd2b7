import Testing
@testable import Tessel
@testable import TesselBenchmarking

@Suite struct DecimalTextTests {
    @Test(arguments: [
        (1.2345, 2, "1.23"), (1.235, 0, "1"), (0.5, 0, "1"), (-0.004, 2, "0.00"), (-2.5, 1, "-2.5"),
        (1234.5678, 3, "1234.568"), (0.05, 3, "0.050"), (7, 0, "7"), (.nan, 2, "nan"), (-.infinity, 1, "-inf"),
    ] as [(Double, Int, String)])
    func fixed(value: Double, digits: Int, text: String) {
        #expect(DecimalText.fixed(value, digits) == text)
    }

    @Test func durationsPickTheirUnit() {
        #expect(DecimalText.duration(2.5) == "2.500 s")
        #expect(DecimalText.duration(0.25) == "250.00 ms")
        #expect(DecimalText.duration(0.0125) == "12.50 ms")
        #expect(DecimalText.duration(2.5e-5) == "25.00 µs")
        #expect(DecimalText.duration(1.25e-6) == "1.25 µs")
    }

    @Test func padding() {
        #expect(DecimalText.right("ab", 4) == "  ab")
        #expect(DecimalText.left("ab", 4) == "ab  ")
        #expect(DecimalText.right("abcdef", 4) == "abcdef")
    }
}

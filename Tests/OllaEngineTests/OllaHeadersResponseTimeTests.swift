import Testing
@testable import OllaEngine

@Suite struct OllaHeadersResponseTimeTests {
    /// `X-Olla-Response-Time`'s text is what `String(_:) + "ms"` wrote.
    @Test func millisecondsTextIsTheDecimalNumberAndMs() {
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 101, 999, 1_000, 12_345, -1, -10, -987, Int64.max, Int64.min]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power]
        }
        for value in values {
            #expect(OllaHeaders.millisecondsText(value) == String(value) + "ms", "\(value)")
        }
    }
}

import Testing
@testable import OllaCore

@Suite struct LogLineBytesTests {
    /// What the String formatter wrote: `String(value)` after zeros up to `width` characters.
    private func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    @Test func timestampAsRFC3339WithMilliseconds() {
        var bytes: [UInt8] = []
        LogLineBytes.appendTimestamp(year: 2026, month: 11, day: 30, hour: 9, minute: 5, second: 7, millisecond: 42, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "2026-11-30T09:05:07.042Z")
        bytes.removeAll()
        LogLineBytes.appendTimestamp(year: 999, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "0999-01-01T00:00:00.000Z")
    }

    @Test func fieldsAreWhatPaddedStringsWere() {
        for value in [0, 1, 9, 10, 99, 100, 999, 1000, 12345, -1, -12, Int.max, Int.min] {
            var bytes: [UInt8] = []
            LogLineBytes.appendTimestamp(year: value, month: value, day: 1, hour: 1, minute: 1, second: 1,
                                         millisecond: value, to: &bytes)
            let expected = padded(value, 4) + "-" + padded(value, 2) + "-01T01:01:01." + padded(value, 3) + "Z"
            #expect(String(decoding: bytes, as: UTF8.self) == expected, "\(value)")
        }
    }

    @Test func decimalsAreWhatStringWrites() {
        for value in [0, 7, 10, 1_234_567, -1, -9_876, Int.max, Int.min] {
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            LogLineBytes.appendDecimal(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "x" + String(value))
        }
    }
}

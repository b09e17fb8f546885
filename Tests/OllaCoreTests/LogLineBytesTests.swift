import Glibc
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

    /// The calendar arithmetic against the C library's `gmtime_r`, over leap days, century
    /// and era boundaries, the epoch, times before it and far after it.
    @Test func unixTimesAreWhatGmtimeGives() {
        var seconds: [Int] = [0, -1, 59, 86_399, 86_400, 951_782_400, 951_868_799, 951_868_800, 4_107_542_399,
                              4_107_542_400, 1_796_083_200, -62_135_596_800, -2_208_988_800, 253_402_300_799]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            seconds.append(Int(truncatingIfNeeded: state >> 29) % 20_000_000_000 - 4_000_000_000)
        }
        for second in seconds {
            var time = second
            var parts = tm()
            gmtime_r(&time, &parts)
            var expected: [UInt8] = []
            LogLineBytes.appendTimestamp(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1,
                                         day: Int(parts.tm_mday), hour: Int(parts.tm_hour), minute: Int(parts.tm_min),
                                         second: Int(parts.tm_sec), millisecond: 123, to: &expected)
            var bytes: [UInt8] = []
            LogLineBytes.appendTimestamp(unixSeconds: second, nanoseconds: 123_999_999, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "\(second)")
        }
    }

    @Test func logfmtValuesAreBareUnlessTheyNeedQuotes() {
        let cases: [(String, String)] = [
            ("llama3:8b", "llama3:8b"), ("/api/chat?x=1", #""/api/chat?x=1""#), ("", #""""#), ("a b", #""a b""#),
            ("say \"hi\"", #""say \"hi\"""#), ("tab\there", #""tab\there""#), ("héllo", "héllo"), ("<&>", "<&>"),
        ]
        for (text, expected) in cases {
            var bytes: [UInt8] = []
            LogLineBytes.appendLogfmtValue(text, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == expected, "\(text)")
        }
    }

    @Test func int64DecimalsAreWhatStringWrites() {
        for value: Int64 in [0, 42, -7, .max, .min] {
            var bytes: [UInt8] = []
            LogLineBytes.appendDecimal(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }
}

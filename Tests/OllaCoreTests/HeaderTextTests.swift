import Testing
@testable import OllaCore

@Suite struct HeaderTextTests {
    /// Every spelling the table knows, and a few it must not take for one of them.
    static let common = [
        "Date", "Host", "close", "Server", "Accept", "chunked", "Connection", "keep-alive", "Content-Type",
        "Content-Length", "application/json", "Transfer-Encoding", "text/event-stream", "application/x-ndjson",
        "application/json; charset=utf-8",
    ]

    private func decode(_ text: String) -> String {
        Array(text.utf8).withUnsafeBytes { HeaderText.decode($0) }
    }

    private func common(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { HeaderText.common($0) }
    }

    @Test func commonSpellingsComeBackAsThemselves() {
        for text in Self.common {
            #expect(common(Array(text.utf8)) == text, "\(text)")
            #expect(decode(text) == text)
        }
    }

    /// Other letter cases, one byte off anywhere (a word's first, middle or last byte), one byte
    /// shorter or longer: not taken from the table, decoded exactly as received.
    @Test func nearSpellingsAreDecodedAsReceived() {
        for text in Self.common {
            let bytes = Array(text.utf8)
            var variants = [Array(text.lowercased().utf8), Array(text.uppercased().utf8), Array(bytes.dropLast()), bytes + [0x20]]
            for index in bytes.indices {
                var changed = bytes
                changed[index] ^= 0x01
                variants.append(changed)
            }
            for variant in variants where variant != bytes {
                #expect(common(variant) == nil, "\(String(decoding: variant, as: UTF8.self))")
                #expect(variant.withUnsafeBytes { HeaderText.decode($0) } == String(decoding: variant, as: UTF8.self))
            }
        }
    }

    @Test func otherBytesAreDecodedAsStringDecodingDoes() {
        for bytes: [UInt8] in [[], Array("X-Custom".utf8), Array("nginx/1.22.1".utf8), [0xC3, 0xA4], [0xFF, 0x41], [0x41, 0x00, 0x42]] {
            #expect(bytes.withUnsafeBytes { HeaderText.decode($0) } == String(decoding: bytes, as: UTF8.self))
        }
    }
}

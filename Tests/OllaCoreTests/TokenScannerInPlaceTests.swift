import Testing
@testable import OllaCore

/// `TokenScanner.scan(_:flavor:)` on a raw buffer (the request's kept tail, read where it
/// lies) and the early answer for tails that cannot hold counts.
@Suite struct TokenScannerInPlaceTests {
    static let flavors: [APIFlavor] = [.native, .openAI, .openAIResponses, .anthropic]

    static let tails = [
        #"{"model":"m","done":false}"# + "\n" + #"{"model":"m","done":true,"prompt_eval_count":26,"eval_count":40,"eval_duration":1200000000}"# + "\n",
        "data: " + #"{"choices":[],"usage":{"prompt_tokens":26,"completion_tokens":40}}"# + "\n\ndata: [DONE]\n\n",
        "data: " + #"{"choices":[{"delta":{"content":"tok"}}]}"# + "\n\ndata: [DONE]\n\n",
        // Count names spelled with escapes are still read (the marker search also stops at `\u`).
        #"{"usage":{"prompt\u005ftokens":3,"completion\u005Ftokens":4}}"#,
        #"{"usage":{"input\u005ftokens":5,"output\u005ftokens":6}}"#,
        #"{"done":true,"eval\u005fcount":7}"#,
        // `usage` objects without any count name: no usage, in every flavor.
        #"{"usage":{"total":3}}"#,
        "",
    ]

    @Test func aWindowOfALargerBufferReadsLikeACopy() {
        for tail in Self.tails {
            let window = Array(tail.utf8)
            let kept = Array(repeating: UInt8(ascii: "x"), count: 100) + window
            for flavor in Self.flavors {
                let inPlace = kept.withUnsafeBytes { kept in
                    TokenScanner.scan(UnsafeRawBufferPointer(rebasing: kept.suffix(window.count)), flavor: flavor)
                }
                #expect(inPlace == TokenScanner.scan(window, flavor: flavor), "\(flavor): \(tail)")
                #expect(inPlace == TokenScannerReference.scan(window, flavor: flavor), "\(flavor): \(tail)")
            }
        }
    }

    @Test func escapedCountNamesAreRead() {
        #expect(TokenScanner.scanOpenAI(Array(Self.tails[3].utf8)) == TokenUsage(promptTokens: 3, completionTokens: 4))
        #expect(TokenScanner.scanResponses(Array(Self.tails[4].utf8)) == TokenUsage(promptTokens: 5, completionTokens: 6))
        #expect(TokenScanner.scanAnthropic(Array(Self.tails[4].utf8)) == TokenUsage(promptTokens: 5, completionTokens: 6))
    }

    @Test func aTailWithoutCountNamesHasNoUsage() {
        for flavor in Self.flavors {
            #expect(TokenScanner.scan(Array(Self.tails[2].utf8), flavor: flavor) == nil)
            #expect(TokenScanner.scan(Array(Self.tails[6].utf8), flavor: flavor) == nil)
        }
        let bytes = Array(Self.tails[2].utf8)
        #expect(bytes.withUnsafeBytes { TokenScanner.mayHold("_tokens", in: $0) } == false)
        let escaped = Array(Self.tails[3].utf8)
        #expect(escaped.withUnsafeBytes { TokenScanner.mayHold("_tokens", in: $0) })
    }
}

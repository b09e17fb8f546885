import Testing
@testable import OllaCore
import OllaTestSupport

/// `TokenScanner.openAIUsageInOnePass` (an OpenAI chunk's or body's usage read in one pass)
/// decides the records Ollama's OpenAI-compatible API writes, and whatever it decides is what
/// the walks of `openAIUsageWalking` answer: on shapes, every cut and seeded mutations.
@Suite struct TokenScannerOnePassOpenAITests {
    static let usageChunk = #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764489600,"model":"llama3.2:1b","choices":[],"usage":{"prompt_tokens":26,"completion_tokens":298,"total_tokens":324}}"#

    static let records: [String] = [
        usageChunk,
        #"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi \"x\" \u00e9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}"#,
        #"{"id":"c","choices":[{"delta":{"content":"x"}}],"usage":null}"#,
        #"{"id":"c","choices":[{"delta":{"content":"x"}}]}"#,
        #"{"usage":{"prompt_tokens":1},"usage":{"completion_tokens":2}}"#,
        #"{"usage":{"prompt_tokens":1},"usage":null}"#,
        #"{"usage":null,"usage":{"prompt_tokens":3}}"#,
        #"{"usage":{}}"#,
        #"{"usage":{"total_tokens":3}}"#,
        #"{"usage":{"prompt_tokens":-0,"completion_tokens":-1}}"#,
        #"{"usage":{"prompt_tokens":1.5,"completion_tokens":2e1}}"#,
        #"{"usage":{"prompt_tokens":"1","completion_tokens":true}}"#,
        #"{"usage":{"prompt_tokens":1,"completion_tokens":2,"prompt_tokens":7}}"#,
        #"{"usage":{"prompt_tokens":1,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":0}}}"#,
        #"{"usage":[1,2]}"#,
        #"{"us\u0061ge":{"prompt_tokens":1,"completion_tokens":2}}"#,
        #"{"usage":{"prompt\u005ftokens":1,"completion_tokens":2}}"#,
        " { \"usage\" : { \"prompt_tokens\" : 5 , \"completion_tokens\" :\t6 } } ",
        #"{"usage":{"prompt_tokens":1,}}"#,
        #"{"usage":{"prompt_tokens":1}"#,
        #"{"usage":{"prompt_tokens":1}},"#,
        #"{"usage":{"prompt_tokens" 1}}"#,
        #"{"usage":{"prompt_tokens":01}}"#,
        #"{"x":"\"usage\": {\"prompt_tokens\": 5}"}"#,
        #"{"done":true,"eval_count":1,"usage":{"prompt_tokens":1,"input_tokens":2}}"#,
        "{}",
        "[]",
        "",
    ]

    private func expectAgreement(_ record: [UInt8], _ label: @autoclosure () -> String) {
        record.withUnsafeBytes { bytes in
            let walked = TokenScanner.openAIUsageWalking(TailObject(bytes: bytes))
            if let decided = TokenScanner.openAIUsageInOnePass(bytes) {
                #expect(decided == walked, "\(label()): \(String(decoding: record, as: UTF8.self))")
            }
        }
    }

    @Test func ollamasRecordsAreDecidedInOnePass() {
        for record in Self.records.prefix(4) {
            let decided = Array(record.utf8).withUnsafeBytes { TokenScanner.openAIUsageInOnePass($0) }
            #expect(decided != nil, "\(record)")
        }
        let usage = Array(Self.usageChunk.utf8).withUnsafeBytes { TokenScanner.openAIUsageInOnePass($0) }
        #expect(usage == .some(TokenUsage(promptTokens: 26, completionTokens: 298)))
    }

    @Test func escapedKeysAndNestedUsageAreLeftToTheWalk() {
        for record in [Self.records[13], Self.records[15], Self.records[16]] {
            #expect(Array(record.utf8).withUnsafeBytes { TokenScanner.openAIUsageInOnePass($0) } == nil, "\(record)")
        }
        #expect(TokenScanner.scanOpenAI(Array(Self.records[13].utf8)) == TokenUsage(promptTokens: 1, completionTokens: 2))
    }

    @Test func everyRecordAgrees() {
        for record in Self.records {
            expectAgreement(Array(record.utf8), "record")
        }
    }

    @Test func everyCutAgrees() {
        for record in Self.records {
            for cut in JSONVariants.cuts(of: Array(record.utf8)) {
                expectAgreement(cut.bytes, cut.label)
            }
        }
    }

    @Test func seededMutationsAgree() {
        var random = SplitMix64(seed: 1415)
        for record in Self.records where !record.isEmpty {
            for bytes in JSONVariants.mutations(of: Array(record.utf8), random: &random) {
                expectAgreement(bytes, "mutation")
            }
        }
    }
}

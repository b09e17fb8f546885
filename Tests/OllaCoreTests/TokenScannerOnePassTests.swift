import Testing
@testable import OllaCore
import OllaTestSupport

/// `TokenScanner.ollamaUsageInOnePass` (Ollama's final line read in one pass) decides the
/// lines Ollama writes, and whatever it decides is what the walk of the members
/// (`ollamaUsageWalking`) answers: on final lines, on every spelling JSON allows, on every
/// cut of them and on seeded byte mutations.
@Suite struct TokenScannerOnePassTests {
    static let final = #"{"model":"llama3.2:1b","created_at":"2026-11-30T08:00:01.5Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":5191566416,"load_duration":2154458,"prompt_eval_count":26,"prompt_eval_duration":383809000,"eval_count":298,"eval_duration":4799921000}"#

    static let lines: [String] = [
        final,
        #"{"model":"m","created_at":"2024-01-01T00:00:00Z","response":"Hello! \"Hi\" \u00e9 ✓","done":true,"done_reason":"stop","context":[128006,9125,128007],"total_duration":1,"eval_count":2}"#,
        #"{"model":"m","message":{"role":"assistant","content":""},"done":true}"#,
        #"{"model":"m","done":false,"eval_count":5}"#,
        #"{"done":true,"eval_count":5}"#,
        #"{"done":true,"prompt_eval_count":5}"#,
        #"{"done":true}"#,
        "{}",
        " { } ",
        "{ \"done\" : true ,\r\n \"eval_count\" :\t12 , \"load_duration\" : 0 }\r\n",
        // Repeated keys: the last one counts.
        #"{"done":true,"eval_count":7,"eval_count":8,"done":false}"#,
        #"{"done":false,"eval_count":7,"done":true}"#,
        // Numbers: what counts as a count, and what is only valid JSON.
        #"{"done":true,"eval_count":-0,"prompt_eval_count":-1,"total_duration":0}"#,
        #"{"done":true,"eval_count":7.0,"prompt_eval_count":1e2,"load_duration":1E+2,"total_duration":2e-1}"#,
        #"{"done":true,"eval_count":999999999999999999,"prompt_eval_count":1000000000000000000}"#,
        #"{"done":true,"eval_count":9223372036854775807,"prompt_eval_count":9223372036854775808}"#,
        #"{"done":true,"eval_count":99999999999999999999,"prompt_eval_count":-9223372036854775808}"#,
        #"{"done":true,"eval_count":"3","prompt_eval_count":null,"eval_duration":true,"load_duration":[1],"total_duration":{"a":1}}"#,
        // Keys with escapes: left to the walk.
        #"{"done":true,"eval\u005fcount":7,"prompt_eval_count":"3"}"#,
        #"{"d\u006fne":true,"eval_count":7}"#,
        // Nesting up to the limit and past it.
        #"{"done":true,"eval_count":1,"deep":"# + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + "}",
        #"{"done":true,"eval_count":1,"deep":"# + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + "}",
        #"{"done":true,"eval_count":1,"deep":"# + String(repeating: #"{"a":"#, count: 31) + "0" + String(repeating: "}", count: 31) + "}",
        // Malformed: the walk says why.
        #"{"done":true,"eval_count":4,}"#,
        #"{"done":true,"eval_count":4"#,
        #"{"done":true,"eval_count":04}"#,
        #"{"done":true,"eval_count":-}"#,
        #"{"done":true,"eval_count":1.}"#,
        #"{"done":true,"eval_count":1e}"#,
        #"{"done":tru,"eval_count":1}"#,
        #"{"done":true "eval_count":1}"#,
        #"{"done":true,"eval_count":1}x"#,
        #"{"done":true,"eval_count":1}{}"#,
        #"{"done" true,"eval_count":1}"#,
        #"{done:true,"eval_count":1}"#,
        "{\"done\":true,\"eval_count\":1,\"s\":\"tab\there\"}",
        "{\"done\":true,\"eval_count\":1,\"s\":\"\u{FF}\"}",
        "[1,2]",
        "",
        // The compact pass (`ollamaUsageCompact`): what it reads, and what it leaves.
        #"{"model":"llama3.2","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"The sky is blue because of Rayleigh scattering."},"done_reason":"stop","done":true,"total_duration":1,"load_duration":1,"prompt_eval_count":1,"prompt_eval_duration":1,"eval_count":1,"eval_duration":1}"#,
        #"{"model":"m","message":{"content":"\"eval_count\":5,\"done\":true"},"done":true,"eval_count":1}"#,
        #"{"model":"m","message":{"content":"eval_count":5, "done":true"},"done":true,"prompt_eval_count":2}"#,
        #"{"model":"m","message":{"content":"x","eval_count":9,"done":true},"done":false}"#,
        #"{"message":{"eval_count":9},"done":true,"eval_count":3}"#,
        #"{"message":{},"done":true,"eval_count":3}"#,
        #"{"message":{"a":{"eval_count":9}},"done":true,"eval_count":3}"#,
        #"{"message":{"a":1,},"done":true,"eval_count":3}"#,
        #"{"message":{"a" :1},"done":true,"eval_count":3}"#,
        #"{"done":true,"eval_count":3,"total_duration":5191566416,"load_duration":0}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":4}  "# + "\r\n",
        #"{"done":true,"eval_count":3,"prompt_eval_count":4}}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":4"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":4,"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":00}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":-5}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":-}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":123456789012345678}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":1234567890123456789}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":1.5}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":2e3}"#,
        #"{"done":true,"eval_count":3,"prompt_eval_count":true}"#,
        #"{"done":"true","eval_count":3}"#,
        #"{"done":true,"eval_count":3,"done":null}"#,
        #"{"done":true,"eval_count":3,"x":tru}"#,
        #"{"done":true,"eval_count":3,"x":nul}"#,
        #"{"done":true,"eval_count":3,"x":falsey}"#,
        #"{"done":true,"eval_count":3,"x":"\#u{7F}"}"#,
        #"{"done":true,"eval_count":3,"x":"é"}"#,
        "{\"done\":true,\"eval_count\":3,\"x\":\"a\tb\"}",
        "{\"done\":true,\"eval_count\":3}\n{\"done\":true,\"eval_count\":4}\n",
        #"{"done":true,"eval_count":3,"x":"unterminated}"#,
        #"{"done":true,"eval_count":3,"":1}"#,
        #"{"done":true,"eval_count":3,"x":[1,2]}"#,
        "{}",
        "{",
        "}",
    ]

    private func expectAgreement(_ line: [UInt8], _ label: @autoclosure () -> String) {
        line.withUnsafeBytes { bytes in
            let walked = TokenScanner.ollamaUsageWalking(TailObject(bytes: bytes))
            if let decided = TokenScanner.ollamaUsageInOnePass(bytes) {
                #expect(decided == walked, "\(label()): \(String(decoding: line, as: UTF8.self))")
            }
            if let decided = TokenScanner.ollamaUsageCompact(bytes) {
                #expect(decided == walked, "compact, \(label()): \(String(decoding: line, as: UTF8.self))")
            }
        }
    }

    /// The compact pass decides the lines Ollama writes (the bench's fixed answer among
    /// them), with the counts of the walk, and leaves what it does not read to the one pass.
    @Test func ollamasCompactLinesAreDecidedByTheCompactPass() {
        let benchAnswer = Self.lines.first { $0.contains("Rayleigh") }!
        for line in [Self.final, Self.lines[2], Self.lines[3], benchAnswer, Self.final + "\n", Self.final + "\r\n"] {
            let bytes = Array(line.utf8)
            let (compact, walked) = bytes.withUnsafeBytes {
                (TokenScanner.ollamaUsageCompact($0), TokenScanner.ollamaUsageWalking(TailObject(bytes: $0)))
            }
            #expect(compact == .some(walked), "\(line)")
        }
        #expect(Array(Self.final.utf8).withUnsafeBytes { TokenScanner.ollamaUsageCompact($0) } == .some(TokenUsage(
            promptTokens: 26, completionTokens: 298, evalDuration: .nanoseconds(4_799_921_000),
            loadDuration: .nanoseconds(2_154_458), totalDuration: .nanoseconds(5_191_566_416),
            promptEvalDuration: .nanoseconds(383_809_000))))
        // Keys inside a string, counts only inside the message, a count that is a string, a
        // repeated key: read as the walk reads them, not by where the bytes are.
        for (line, expected) in [
            (#"{"message":{"content":"\"eval_count\":5"},"done":true,"eval_count":1}"#, TokenUsage(promptTokens: 0, completionTokens: 1)),
            (#"{"message":{"content":"eval_count:5"},"done":true,"eval_count":1}"#, TokenUsage(promptTokens: 0, completionTokens: 1)),
            (#"{"message":{"eval_count":9},"done":true}"#, nil),
            (#"{"done":true,"eval_count":"3"}"#, nil),
            (#"{"done":true,"eval_count":3,"eval_count":4}"#, TokenUsage(promptTokens: 0, completionTokens: 4)),
            (#"{"eval_count":3,"done":false}"#, nil),
        ] as [(String, TokenUsage?)] {
            let bytes = Array(line.utf8)
            let compact = bytes.withUnsafeBytes { TokenScanner.ollamaUsageCompact($0) }
            // The first line holds backslashes: left to the one pass, which agrees.
            if line.contains("\\") { #expect(compact == nil) } else { #expect(compact == .some(expected), "\(line)") }
            #expect(TokenScanner.scanOllama(bytes) == expected, "\(line)")
        }
        // Whitespace between tokens, fractions, exponents, arrays, escapes, non-ASCII: undecided.
        for line in [#"{ "done":true,"eval_count":3}"#, #"{"done": true,"eval_count":3}"#, #"{"done":true,"eval_count":3.0}"#,
                     #"{"done":true,"eval_count":3e0}"#, #"{"done":true,"eval_count":3,"x":[]}"#, #"{"done":true,"x":"\u00e9","eval_count":3}"#,
                     #"{"done":true,"x":"é","eval_count":3}"#, #"{"done":true,"eval_count":1234567890123456789}"#] {
            #expect(Array(line.utf8).withUnsafeBytes { TokenScanner.ollamaUsageCompact($0) } == nil, "\(line)")
        }
    }

    @Test func ollamasLinesAreDecidedInOnePass() {
        for line in [Self.final, Self.lines[1], Self.lines[2], Self.lines[3]] {
            let decided = Array(line.utf8).withUnsafeBytes { TokenScanner.ollamaUsageInOnePass($0) }
            #expect(decided != nil, "\(line)")
        }
        let usage = Array(Self.final.utf8).withUnsafeBytes { TokenScanner.ollamaUsageInOnePass($0) }
        #expect(usage == .some(TokenUsage(
            promptTokens: 26, completionTokens: 298, evalDuration: .nanoseconds(4_799_921_000),
            loadDuration: .nanoseconds(2_154_458), totalDuration: .nanoseconds(5_191_566_416),
            promptEvalDuration: .nanoseconds(383_809_000))))
    }

    @Test func keysWithEscapesAreLeftToTheWalk() {
        let line = Array(#"{"done":true,"eval\u005fcount":7}"#.utf8)
        #expect(line.withUnsafeBytes { TokenScanner.ollamaUsageInOnePass($0) } == nil)
        #expect(TokenScanner.scanOllama(line) == TokenUsage(promptTokens: 0, completionTokens: 7))
    }

    @Test func everyLineAgrees() {
        for line in Self.lines {
            expectAgreement(Array(line.utf8), "line")
        }
    }

    @Test func everyCutAgrees() {
        for line in Self.lines {
            for cut in JSONVariants.cuts(of: Array(line.utf8)) {
                expectAgreement(cut.bytes, cut.label)
            }
        }
    }

    @Test func seededMutationsAgree() {
        var random = SplitMix64(seed: 1414)
        for line in Self.lines where !line.isEmpty {
            for bytes in JSONVariants.mutations(of: Array(line.utf8), random: &random) {
                expectAgreement(bytes, "mutation")
            }
        }
    }
}

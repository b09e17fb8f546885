import Testing
@testable import OllaCore

/// `prompt_eval_duration` of Ollama's final chunk (`TokenUsage.promptEvalDuration`), read in
/// the same walk as the counts: every spelling the other fields accept, and never from the
/// OpenAI-compatible shapes, which do not report it.
@Suite struct TokenScannerPromptEvalTests {
    static let flavors: [APIFlavor] = [.native, .openAI, .openAIResponses, .anthropic]

    static func usage(_ line: String) -> TokenUsage? {
        let tail = #"{"model":"m","done":false}"# + "\n" + line + "\n"
        return TokenScanner.scan(Array(tail.utf8), flavor: .native)
    }

    @Test func aFinalLineWithItReadsIt() {
        let line = #"{"model":"m","done":true,"total_duration":900,"load_duration":100,"prompt_eval_count":26,"prompt_eval_duration":383809000,"eval_count":298,"eval_duration":4799921000}"#
        #expect(Self.usage(line) == TokenUsage(
            promptTokens: 26, completionTokens: 298, evalDuration: .nanoseconds(4_799_921_000),
            loadDuration: .nanoseconds(100), totalDuration: .nanoseconds(900), promptEvalDuration: .nanoseconds(383_809_000)))
    }

    @Test func aFinalLineWithoutItHasNone() {
        // A prompt Ollama had cached whole reports no prompt evaluation.
        let usage = Self.usage(#"{"done":true,"eval_count":5,"eval_duration":100}"#)
        #expect(usage == TokenUsage(promptTokens: 0, completionTokens: 5, evalDuration: .nanoseconds(100)))
        #expect(usage?.promptEvalDuration == nil)
    }

    @Test func escapedRepeatedAndMalformedValuesReadAsTheReferenceDoes() {
        let cases: [(String, Duration?)] = [
            (#"{"done":true,"eval_count":1,"prompt\u005feval_duration":42}"#, .nanoseconds(42)),
            (#"{"done":true,"eval_count":1,"prompt_eval_duration":1,"prompt_eval_duration":2}"#, .nanoseconds(2)),
            (#"{"done":true,"eval_count":1,"prompt_eval_duration":1.5}"#, nil),
            (#"{"done":true,"eval_count":1,"prompt_eval_duration":"7"}"#, nil),
            (#"{"done":true,"eval_count":1,"prompt_eval_duration":-3}"#, nil),
            (#"{"done":true,"eval_count":1,"prompt_eval_durations":9}"#, nil),
            (#"{"done":true,"eval_count":1,"message":{"prompt_eval_duration":9}}"#, nil),
        ]
        for (line, expected) in cases {
            let usage = Self.usage(line)
            #expect(usage != nil, "\(line)")
            #expect(usage?.promptEvalDuration == expected, "\(line)")
            let tail = Array((line + "\n").utf8)
            #expect(TokenScanner.scan(tail, flavor: .native) == TokenScannerReference.scan(tail, flavor: .native), "\(line)")
        }
    }

    @Test func onlyOllamasShapeReportsIt() {
        let tails = [
            "data: " + #"{"choices":[],"usage":{"prompt_tokens":26,"completion_tokens":40,"prompt_eval_duration":5}}"# + "\n\ndata: [DONE]\n\n",
            #"{"usage":{"input_tokens":5,"output_tokens":6,"prompt_eval_duration":5}}"#,
            #"{"done":true,"eval_count":1,"prompt_eval_duration":5,"usage":{"prompt_tokens":1,"input_tokens":2}}"#,
        ]
        for tail in tails {
            for flavor in Self.flavors where flavor != .native {
                let usage = TokenScanner.scan(Array(tail.utf8), flavor: flavor)
                #expect(usage?.promptEvalDuration == nil, "\(flavor): \(tail)")
                #expect(usage == TokenScannerReference.scan(Array(tail.utf8), flavor: flavor), "\(flavor): \(tail)")
            }
        }
        #expect(TokenScanner.scan(Array(tails[2].utf8), flavor: .native)?.promptEvalDuration == .nanoseconds(5))
    }
}

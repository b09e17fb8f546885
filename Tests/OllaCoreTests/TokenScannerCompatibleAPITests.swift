import Testing
@testable import OllaCore

/// Token usage of Anthropic Messages and OpenAI Responses answers, as Ollama writes them
/// (ollama/ollama anthropic/anthropic.go, openai/responses.go).
@Suite struct TokenScannerCompatibleAPITests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func anthropicMessage() {
        let body = #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":34}}"#
        #expect(TokenScanner.scan(bytes(body), flavor: .anthropic) == TokenUsage(promptTokens: 12, completionTokens: 34))
    }

    @Test func anthropicStreamReadsTheFinalDelta() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":9,"output_tokens":0}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":21}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        // Anthropic's own delta carries only output_tokens: the input comes from message_start.
        #expect(TokenScanner.scan(bytes(stream), flavor: .anthropic) == TokenUsage(promptTokens: 9, completionTokens: 21))
        let ollama = stream.replacing(#""usage":{"output_tokens":21}"#, with: #""usage":{"input_tokens":11,"output_tokens":21}"#)
        #expect(TokenScanner.scan(bytes(ollama), flavor: .anthropic) == TokenUsage(promptTokens: 11, completionTokens: 21))
    }

    @Test func responsesBodyAndStream() {
        let body = #"{"id":"resp_1","object":"response","output":[],"usage":{"input_tokens":5,"output_tokens":6,"total_tokens":11}}"#
        #expect(TokenScanner.scan(bytes(body), flavor: .openAIResponses) == TokenUsage(promptTokens: 5, completionTokens: 6))
        let stream = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"delta\":\"x\"}\n\n"
            + "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":5,\"response\":{\"id\":\"r\",\"usage\":{\"input_tokens\":3,\"output_tokens\":8}}}\n\n"
        #expect(TokenScanner.scan(bytes(stream), flavor: .openAIResponses) == TokenUsage(promptTokens: 3, completionTokens: 8))
        #expect(TokenScanner.lastSequenceNumber(in: bytes(stream)) == 5)
    }

    /// `response.completed` repeats the whole output: a long answer's last event is longer
    /// than the tail Olla keeps, and its usage (near the end) must still be found.
    @Test func usageOfAnEventLongerThanTheTail() {
        let text = String(repeating: "word ", count: 2000)
        let event = "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"text\":\"\(text)\"}],"
            + "\"usage\":{\"input_tokens\":30,\"output_tokens\":2000,\"output_tokens_details\":{\"reasoning_tokens\":0}},\"user\":null}}\n\n"
        let tail = Array(bytes(event).suffix(4096))
        #expect(TokenScanner.scan(tail, flavor: .openAIResponses) == TokenUsage(promptTokens: 30, completionTokens: 2000))
        let chat = #"{"choices":[{"message":{"content":"\#(text)"}}],"usage":{"prompt_tokens":4,"completion_tokens":2000}}"#
        #expect(TokenScanner.scan(Array(bytes(chat).suffix(4096)), flavor: .openAI) == TokenUsage(promptTokens: 4, completionTokens: 2000))
    }

    /// Counts-only answers teach the scheduler a speed only when they were streamed.
    @Test func countsOnlyUsageTimesTheStream() {
        var usage = TokenUsage(promptTokens: 9, completionTokens: 21)
        #expect(usage.timings == nil)
        usage.streamDuration = .seconds(2)
        #expect(usage.timings == GenerationTimings(evalCount: 20, evalDuration: .seconds(2)))
        #expect(usage.timings?.wasColdLoad == false)
        usage.completionTokens = 1
        #expect(usage.timings == nil)
        let ollama = TokenUsage(promptTokens: 1, completionTokens: 5, evalDuration: .seconds(1))
        #expect(ollama.timings == GenerationTimings(evalCount: 5, evalDuration: .seconds(1)))
    }

    @Test func garbageGivesNil() {
        #expect(TokenScanner.scan(bytes(#"event: error\#ndata: {"type":"error"}"#), flavor: .anthropic) == nil)
        #expect(TokenScanner.scan(bytes(#""usage": {"input_tokens": 1"#), flavor: .openAIResponses) == nil)
        #expect(TokenScanner.scan(bytes(#""usage":"#), flavor: .anthropic) == nil)
        #expect(TokenScanner.lastSequenceNumber(in: bytes(#""sequence_number":"#)) == nil)
    }
}

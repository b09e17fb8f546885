import Testing
@testable import OllaCore

/// Errors Olla makes on the Anthropic Messages and OpenAI Responses routes.
@Suite struct CompatibleAPIErrorTests {
    @Test(arguments: [
        (ProxyError.Kind.badRequest, "invalid_request_error"), (.unauthorized, "authentication_error"),
        (.forbidden, "permission_error"), (.notFound, "not_found_error"), (.payloadTooLarge, "request_too_large"),
        (.tooManyRequests, "rate_limit_error"), (.internalError, "api_error"), (.serviceUnavailable, "overloaded_error"),
        (.badGateway, "api_error"), (.gatewayTimeout, "api_error"), (.headersTooLarge, "invalid_request_error"),
    ])
    func anthropicTypesFollowTheStatus(kind: ProxyError.Kind, type: String) {
        let body = ProxyError(kind, "m").body(for: .anthropic, requestID: "r1")
        #expect(body == #"{"type":"error","error":{"type":"\#(type)","message":"m"},"request_id":"r1"}"#)
    }

    @Test func responsesErrorsUseTheOpenAIObject() {
        #expect(ProxyError(.notFound, "gone").body(for: .openAIResponses)
            == #"{"error":{"message":"gone","type":"not_found_error","param":null,"code":null}}"#)
    }

    @Test func brokenAnthropicStreamsEndWithAnErrorEvent() {
        let trailer = ProxyError(.badGateway, "backend died").streamTrailer(contentType: "text/event-stream", flavor: .anthropic)
        #expect(trailer == "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"backend died\"}}\n\n")
    }

    @Test func brokenResponsesStreamsEndWithAnErrorEvent() {
        let trailer = ProxyError(.gatewayTimeout, "stalled")
            .streamTrailer(contentType: "text/event-stream; charset=utf-8", flavor: .openAIResponses, sequenceNumber: 7)
        #expect(trailer == "event: error\ndata: {\"type\":\"error\",\"sequence_number\":7,\"code\":\"gateway_timeout\","
            + "\"message\":\"stalled\",\"param\":null,\"error\":{\"type\":\"timeout_error\",\"code\":\"gateway_timeout\","
            + "\"message\":\"stalled\",\"param\":null}}\n\n")
        #expect(ProxyError(.badGateway, "x").streamTrailer(contentType: "application/json", flavor: .anthropic) == nil)
    }
}

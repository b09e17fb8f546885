import Testing
@testable import OllaCore

/// The one header type's name comparisons and the rules built on them.
@Suite struct HTTPHeaderTests {
    @Test func namesMatchLowercaseLiteralsIgnoringASCIICase() {
        #expect(HTTPHeaderName.matches("Content-Type", "content-type"))
        #expect(HTTPHeaderName.matches("CONTENT-TYPE", "content-type"))
        #expect(HTTPHeaderName.matches("te", "te"))
        #expect(!HTTPHeaderName.matches("Content-Typ", "content-type"))
        #expect(!HTTPHeaderName.matches("Content-Types", "content-type"))
        #expect(!HTTPHeaderName.matches("", "te"))
        // Only A-Z fold: '@' and '`', '[' and '{' differ in the 0x20 bit but are not letters.
        #expect(!HTTPHeaderName.matches("@", "`"))
        #expect(!HTTPHeaderName.matches("[", "{"))
        // Non-ASCII never folds to ASCII (U+212A KELVIN SIGN lowercases to 'k' in Unicode).
        #expect(!HTTPHeaderName.matches("\u{212A}eep-alive", "keep-alive"))
    }

    @Test func stringComparisonFoldsOnlyASCIILetters() {
        #expect("X-Request-ID".equalsIgnoringASCIICase("x-request-id"))
        #expect(!"X-Request-ID".equalsIgnoringASCIICase("x-request-i"))
        #expect(!"É".equalsIgnoringASCIICase("é"))
        #expect(Substring("Via").equalsIgnoringASCIICase("VIA"))
    }

    @Test func connectionOptionsAreTrimmedNotCopied() {
        let options = HeaderRules.connectionOptions([HTTPHeader("Connection", " keep-alive ,\tX-Secret"), HTTPHeader("connection", "Close")])
        #expect(options == ["keep-alive", "X-Secret", "Close"])
        #expect(HeaderRules.isListed("x-secret", in: options))
        #expect(!HeaderRules.isListed("x-secre", in: options))
    }

    @Test func trimmingSpacesTrimsSpacesAndTabsOnly() {
        #expect(" a ".trimmingSpaces() == "a")
        #expect("\tb\t ".trimmingSpaces() == "b")
        #expect("c".trimmingSpaces() == "c")
        #expect("".trimmingSpaces() == "")
        #expect(" \t ".trimmingSpaces() == "")
        #expect("a b".trimmingSpaces() == "a b")
        #expect(Substring(" 12 ").trimmingSpaces() == "12")
        // A space followed by a combining mark is one Character, not a space: kept.
        #expect(" \u{301}x".trimmingSpaces() == " \u{301}x")
        #expect("x \u{301}".trimmingSpaces() == "x \u{301}")
        #expect("\r\n1".trimmingSpaces() == "\r\n1")
    }

    @Test func connectionListsMatchesOptionsInPlace() {
        let headers: [HTTPHeader] = [HTTPHeader("Connection", " keep-alive ,\tX-Secret"), HTTPHeader("Via", "x"), HTTPHeader("connection", "Close,")]
        #expect(HeaderRules.connectionLists("x-secret", in: headers))
        #expect(HeaderRules.connectionLists("KEEP-ALIVE", in: headers))
        #expect(HeaderRules.connectionLists("close", in: headers))
        #expect(!HeaderRules.connectionLists("x-secre", in: headers))
        #expect(!HeaderRules.connectionLists("x-secrets", in: headers))
        #expect(!HeaderRules.connectionLists("via", in: headers), "only Connection headers list options")
        #expect(!HeaderRules.connectionLists("x-secret", in: [HTTPHeader("X-Secret", "1")]))
        // The same answers as splitting the values (connectionOptions, isListed).
        for name in ["keep-alive", "X-Secret", "close", "x", "keep-alive ,"] {
            #expect(HeaderRules.connectionLists(name, in: headers)
                == HeaderRules.isListed(name, in: HeaderRules.connectionOptions(headers)))
        }
    }

    @Test func valueFindsTheFirstHeaderByLowercaseName() {
        let headers: [HTTPHeader] = [HTTPHeader("X-A", "1"), HTTPHeader("Content-Type", "text/plain"), HTTPHeader("content-type", "second")]
        #expect(HeaderRules.value(of: "content-type", in: headers) == "text/plain")
        #expect(HeaderRules.value(of: "x-a", in: headers) == "1")
        #expect(HeaderRules.value(of: "x-b", in: headers) == nil)
        #expect(HeaderRules.value(of: "x-a", in: []) == nil)
    }

    @Test(arguments: [
        ("Host", HeaderRules.Outbound.host), ("X-Forwarded-For", .forwardedFor), ("VIA", .via),
        ("x-olla-request-id", .replaced), ("X-Forwarded-Proto", .replaced), ("Origin", .dropped), ("Expect", .dropped),
        ("Content-Length", .dropped), ("Transfer-Encoding", .dropped), ("Keep-Alive", .dropped), ("TE", .dropped),
        ("Authorization", .kept), ("Content-Type", .kept), ("X-Olla-Model", .kept), ("Hostname", .kept),
    ])
    func outboundRulesByName(name: String, rule: HeaderRules.Outbound) {
        #expect(HeaderRules.outboundRule(name) == rule)
    }

    @Test func ollaPrefixIgnoresCase() {
        #expect(HeaderRules.hasOllaPrefix("X-OLLA-Endpoint"))
        #expect(HeaderRules.hasOllaPrefix("x-olla-"))
        #expect(!HeaderRules.hasOllaPrefix("x-oll"))
        #expect(!HeaderRules.hasOllaPrefix("X-Ollama-Version"))
    }

    @Test func corsAndRateLimitHeadersAreHTTPHeaders() {
        let decision = RateDecision(allowed: false, limit: 60, remaining: 0, resetSeconds: 3, retryAfterSeconds: 1)
        let headers: [HTTPHeader] = decision.headers
        #expect(headers.map(\.name) == ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"])
    }

    /// `EndpointConfig.==` is written out (headers are tuples): it must name every stored
    /// property. A new property fails this count until `==` compares it too.
    @Test func endpointEqualityCoversEveryStoredProperty() {
        let base = EndpointConfig.localOllama
        #expect(Mirror(reflecting: base).children.count == 13)
        var other = base
        other.headers = [HTTPHeader("Authorization", "Bearer a")]
        #expect(base != other)
        var same = base
        same.headers = []
        #expect(base == same)
        other = base
        other.maxLoadedModels = 2
        #expect(base != other)
    }
}

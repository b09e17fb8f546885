import Testing
@testable import OllaCore

@Suite struct HeaderRulesTests {
    private func names(_ headers: [HTTPHeader]) -> [String] { headers.map { $0.name.lowercased() } }

    @Test func framingFieldsAreTheFirstOfEachInAnyCase() {
        let headers: [HTTPHeader] = [
            HTTPHeader("Host", "a"), HTTPHeader("CONTENT-LENGTH", " 12 "), HTTPHeader("x-content-length", "1"), HTTPHeader("Content-Length", "99"),
            HTTPHeader("transfer-encoding", "chunked"), HTTPHeader("Transfer-Encoding", "gzip"),
        ]
        let fields = HeaderRules.framingFields(in: headers)
        #expect(fields.contentLength == " 12 ")
        #expect(fields.transferEncoding == "chunked")
        let none = HeaderRules.framingFields(in: [HTTPHeader("Content-Lengthy", "3"), HTTPHeader("Host", "a")])
        #expect(none.contentLength == nil && none.transferEncoding == nil)
    }

    @Test func dropsHopByHopOriginAndRecomputedHeaders() {
        let client: [HTTPHeader] = [
            HTTPHeader("Host", "olla.local:40114"), HTTPHeader("Connection", "keep-alive, X-Secret"), HTTPHeader("Keep-Alive", "timeout=5"),
            HTTPHeader("TE", "trailers"), HTTPHeader("Upgrade", "h2c"), HTTPHeader("Proxy-Authorization", "Basic x"), HTTPHeader("X-Secret", "1"),
            HTTPHeader("Origin", "http://evil.example"), HTTPHeader("Content-Length", "12"), HTTPHeader("Transfer-Encoding", "chunked"),
            HTTPHeader("Expect", "100-continue"), HTTPHeader("Authorization", "Bearer k"), HTTPHeader("User-Agent", "ollama-python"),
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Foo", "bar"),
        ]
        let out = HeaderRules.upstreamRequestHeaders(client: client, peerAddress: "10.0.0.9", requestID: "abc")
        let kept = names(out)
        for dropped in ["host", "connection", "keep-alive", "te", "upgrade", "proxy-authorization", "x-secret",
                        "origin", "content-length", "transfer-encoding", "expect"] {
            #expect(!kept.contains(dropped), "\(dropped) must not reach the backend")
        }
        for passed in ["authorization", "user-agent", "content-type", "x-foo"] {
            #expect(kept.contains(passed), "\(passed) must reach the backend")
        }
        #expect(HeaderRules.value(of: "x-olla-request-id", in: out) == "abc")
        #expect(HeaderRules.value(of: "x-forwarded-for", in: out) == "10.0.0.9")
        #expect(HeaderRules.value(of: "x-forwarded-host", in: out) == "olla.local:40114")
        #expect(HeaderRules.value(of: "x-forwarded-proto", in: out) == "http")
        #expect(HeaderRules.value(of: "via", in: out) == "1.1 olla")
    }

    @Test func extendsAnExistingForwardingChain() {
        let client: [HTTPHeader] = [HTTPHeader("X-Forwarded-For", "203.0.113.7"), HTTPHeader("X-Forwarded-For", "198.51.100.2"),
                                    HTTPHeader("Via", "1.1 edge"), HTTPHeader("X-Olla-Request-ID", "spoofed")]
        let out = HeaderRules.upstreamRequestHeaders(client: client, peerAddress: "127.0.0.1", requestID: "id1")
        #expect(HeaderRules.value(of: "x-forwarded-for", in: out) == "203.0.113.7, 198.51.100.2, 127.0.0.1")
        #expect(HeaderRules.value(of: "via", in: out) == "1.1 edge, 1.1 olla")
        #expect(out.filter { $0.name.lowercased() == "x-olla-request-id" }.map(\.value) == ["id1"])
    }

    @Test func responseKeepsEndToEndHeadersOnly() {
        let upstream: [HTTPHeader] = [
            HTTPHeader("Content-Type", "application/x-ndjson"), HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Connection", "close"),
            HTTPHeader("Content-Length", "10"), HTTPHeader("X-Olla-Endpoint", "spoof"), HTTPHeader("Date", "Tue"), HTTPHeader("X-Custom", "1"),
        ]
        #expect(names(HeaderRules.clientResponseHeaders(upstream: upstream)) == ["content-type", "date", "x-custom"])
    }

    /// `isHopByHop` says yes exactly for the names of `hopByHop`, in any letter case, and no
    /// for names of the same lengths that differ in one byte.
    @Test func hopByHopNamesAreExactlyTheListedOnes() {
        for candidate in HeaderRules.hopByHop {
            let name = candidate.description
            #expect(HeaderRules.isHopByHop(name), "\(name)")
            #expect(HeaderRules.isHopByHop(name.uppercased()), "\(name)")
            #expect(!HeaderRules.isHopByHop(String(name.dropLast()) + "x"), "\(name)")
            #expect(!HeaderRules.isHopByHop("x" + name), "\(name)")
        }
        for other in ["", "t", "host", "trailers", "upgrades", "connectionx", "content-length", "via", "x-te"] {
            #expect(!HeaderRules.isHopByHop(other), "\(other)")
        }
    }

    /// `outboundRule` gives each name of `outboundNames` its rule and each hop-by-hop name
    /// `.dropped`, in any letter case, and keeps names of the same lengths one byte off.
    @Test func outboundRulesFollowTheLists() {
        let listed = HeaderRules.outboundNames.map { ($0.name.description, $0.rule) }
            + HeaderRules.hopByHop.map { ($0.description, HeaderRules.Outbound.dropped) }
        for (name, rule) in listed {
            #expect(HeaderRules.outboundRule(name) == rule, "\(name)")
            #expect(HeaderRules.outboundRule(name.uppercased()) == rule, "\(name)")
            #expect(HeaderRules.outboundRule(String(name.dropLast()) + "x") == .kept, "\(name)")
            #expect(HeaderRules.outboundRule("x" + name) == .kept, "\(name)")
        }
    }

    /// A name any `Connection` field lists is hop-by-hop, before or after that field, in
    /// either direction, whatever its case and the list's spacing; a prefix of it is not.
    @Test func namesAConnectionFieldListsAreDroppedBothWays() {
        let fields: [HTTPHeader] = [
            HTTPHeader("X-Before", "1"), HTTPHeader("Connection", "keep-alive"), HTTPHeader("X-Keep", "2"), HTTPHeader("x-after", "3"),
            HTTPHeader("connection", " X-BEFORE ,\tX-After"), HTTPHeader("X-Afte", "4"), HTTPHeader("Keep-Alive", "timeout=5"),
        ]
        #expect(names(HeaderRules.clientResponseHeaders(upstream: fields)) == ["x-keep", "x-afte"])
        let forwarded = HeaderRules.upstreamRequestHeaders(client: fields, peerAddress: "::1", requestID: "r")
        #expect(Array(names(forwarded).prefix(2)) == ["x-keep", "x-afte"])
        #expect(!names(forwarded).contains("x-before") && !names(forwarded).contains("x-after"))
    }

    /// `Connection` fields that are all exactly `keep-alive` name no header either list keeps
    /// (they are not looked at per header); any other shape is read option by option as before.
    @Test func aKeepAliveOnlyConnectionDropsNothingElse() {
        let kept: [HTTPHeader] = [HTTPHeader("Connection", "Keep-Alive"), HTTPHeader("X-A", "1"), HTTPHeader("", "empty name"), HTTPHeader("connection", "keep-alive")]
        #expect(names(HeaderRules.clientResponseHeaders(upstream: kept)) == ["x-a", ""])
        #expect(Array(names(HeaderRules.upstreamRequestHeaders(client: kept, peerAddress: "::1", requestID: "r")).prefix(2))
                == ["x-a", ""])
        // A second field beside a keep-alive one; a trailing empty element names the empty name.
        let cases: [(connection: String, kept: [String])] = [
            ("keep-alive, x-a", ["", "x-b"]), ("keep-alive,", ["x-a", "x-b"]), (" keep-alive", ["x-a", "", "x-b"]),
            ("keep-alive ,X-A", ["", "x-b"]), ("x-a", ["", "x-b"]),
        ]
        for (connection, expected) in cases {
            let fields: [HTTPHeader] = [HTTPHeader("Connection", "keep-alive"), HTTPHeader("X-A", "1"), HTTPHeader("", "e"), HTTPHeader("Connection", connection), HTTPHeader("X-B", "2")]
            #expect(names(HeaderRules.clientResponseHeaders(upstream: fields)) == expected, "\(connection)")
            let forwarded = HeaderRules.upstreamRequestHeaders(client: fields, peerAddress: "::1", requestID: "r")
            #expect(Array(names(forwarded).prefix(expected.count)) == expected, "\(connection)")
        }
    }
}

@Suite struct RequestIDTests {
    @Test func reusesASaneInboundID() {
        #expect(RequestID.resolve(inbound: "req-123_abc.DEF:9") == "req-123_abc.DEF:9")
    }

    @Test(arguments: ["", "has space", "semi;colon", "quo\"te", String(repeating: "a", count: 129), "new\nline"])
    func replacesAnInsaneInboundID(inbound: String) {
        let id = RequestID.resolve(inbound: inbound)
        #expect(id != inbound)
        #expect(id.count == 32)
    }

    @Test func generatesDistinctHexIDs() {
        let ids = Set((0..<100).map { _ in RequestID.generate() })
        #expect(ids.count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }
}

@Suite struct ProxyErrorTests {
    @Test func nativeErrorsUseOllamasShape() {
        let error = ProxyError(.badGateway, #"backend "a" said no"#)
        #expect(error.body(for: .native) == #"{"error":"backend \"a\" said no"}"#)
        #expect(error.status == 502)
    }

    @Test func openAIErrorsUseTheErrorObject() {
        let error = ProxyError(.notFound, "model 'x' not found")
        #expect(error.body(for: .openAI)
            == #"{"error":{"message":"model 'x' not found","type":"not_found_error","param":null,"code":null}}"#)
    }

    @Test func streamTrailersFollowTheStreamFraming() {
        let error = ProxyError(.badGateway, "boom")
        #expect(error.streamTrailer(contentType: "application/x-ndjson") == "{\"error\":\"boom\"}\n")
        #expect(error.streamTrailer(contentType: "text/event-stream; charset=utf-8")?.hasPrefix("data: {\"error\":{") == true)
        #expect(error.streamTrailer(contentType: "application/json") == nil)
    }
}

import Testing
@testable import OllaCore

/// The access-log line's members, against what the line formatter writes for a metadata
/// dictionary: every key in sorted order, strings quoted (JSON) or bare unless they need
/// quotes (logfmt), integers in decimal.
@Suite struct AccessLogLineTests {
    private enum Field { case text(String), number(Int64) }

    /// The line as the access log's metadata dictionary held it (the keys it used).
    private func dictionary(_ line: AccessLogLine) -> [String: Field] {
        var fields: [String: Field] = [
            "method": .text(line.method), "path": .text(line.path), "status": .number(Int64(line.status)),
            "bytes": .number(line.bytes), "duration_ms": .number(line.durationMilliseconds),
        ]
        if let requestID = line.requestID { fields["request_id"] = .text(requestID) }
        if let model = line.model { fields["model"] = .text(model) }
        if let endpoint = line.endpoint { fields["endpoint"] = .text(endpoint) }
        if let ttfb = line.timeToFirstByteMilliseconds { fields["ttfb_ms"] = .number(ttfb) }
        if let prompt = line.promptTokens { fields["prompt_tokens"] = .number(Int64(prompt)) }
        if let completion = line.completionTokens { fields["completion_tokens"] = .number(Int64(completion)) }
        if let client = line.client { fields["client"] = .text(client) }
        return fields
    }

    private func referenceJSON(_ line: AccessLogLine) -> String {
        let fields = dictionary(line)
        var bytes: [UInt8] = []
        for key in fields.keys.sorted() {
            bytes.append(UInt8(ascii: ","))
            JSONString.append(key, to: &bytes, escapingHTML: false)
            bytes.append(UInt8(ascii: ":"))
            switch fields[key]! {
            case .text(let text): JSONString.append(text, to: &bytes, escapingHTML: false)
            case .number(let number): bytes.append(contentsOf: String(number).utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func referenceLogfmt(_ line: AccessLogLine) -> String {
        let fields = dictionary(line)
        var text = ""
        for key in fields.keys.sorted() {
            let value: String
            switch fields[key]! {
            case .text(let string): value = string
            case .number(let number): value = String(number)
            }
            let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" }
            text += " " + key + "=" + (plain ? value : JSONString.quote(value, escapingHTML: false))
        }
        return text
    }

    private let lines: [AccessLogLine] = [
        AccessLogLine(requestID: "olla-1a2b", method: "POST", path: "/api/chat", status: 200, bytes: 12_345,
                      durationMilliseconds: 1_234, model: "llama3:8b", endpoint: "gpu-a",
                      timeToFirstByteMilliseconds: 56, promptTokens: 26, completionTokens: 40),
        AccessLogLine(requestID: nil, method: "GET", path: "/api/tags?x=\"1\"&y=<2>", status: 404, bytes: 0,
                      durationMilliseconds: 0, endpoint: "olla", client: "::1"),
        AccessLogLine(requestID: "r", method: "POST", path: "/v1/chat/completions", status: 499, bytes: -1,
                      durationMilliseconds: .max, model: "", endpoint: "a,b", timeToFirstByteMilliseconds: nil,
                      promptTokens: 0, completionTokens: nil, client: "10.0.0.1"),
        AccessLogLine(requestID: "tab\there", method: "POST", path: "/api/generate", status: 502, bytes: 7,
                      durationMilliseconds: 3, model: "modèle\u{2028}é", endpoint: "gpu b=c", promptTokens: nil,
                      completionTokens: 9),
    ]

    @Test func jsonMembersAreTheDictionarysInKeyOrder() {
        for line in lines {
            var bytes: [UInt8] = []
            line.appendJSONMembers(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == referenceJSON(line))
        }
    }

    @Test func logfmtFieldsAreTheDictionarysInKeyOrder() {
        for line in lines {
            var bytes: [UInt8] = []
            line.appendLogfmtFields(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == referenceLogfmt(line))
        }
    }

    @Test func aStreamsLineReadsAsItDid() {
        var bytes: [UInt8] = []
        lines[0].appendJSONMembers(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #","bytes":12345,"completion_tokens":40,"duration_ms":1234,"#
            + #""endpoint":"gpu-a","method":"POST","model":"llama3:8b","path":"/api/chat","#
            + #""prompt_tokens":26,"request_id":"olla-1a2b","status":200,"ttfb_ms":56"#)
    }
}

// libFuzzer target: the request-body scanner that finds "model"/"name", "stream" and, in
// the one-pass summary, "keep_alive", "prompt" and "messages" in every client body.
// Property: on any body the full parser accepts as an object, the scanner gives the same
// answers (the summary's model is the scanner's model; a body the parser refuses has none). The converse is not asked: the scanner does not check
// the strings it skips for lone surrogates or bad UTF-8, and neither does Ollama (Go's
// encoding/json replaces them with U+FFFD), so such a body is still routed.
import OllaCore

private let modelKeys = ["model", "name"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let model = body.withUnsafeBytes { JSONBodyScanner.topLevelString(forKeys: modelKeys, in: $0) }
    let stream = body.withUnsafeBytes { JSONBodyScanner.topLevelBool(forKey: "stream", in: $0) }
    let summary = body.withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: modelKeys) }
    precondition(summary.model == model?.value, "summary model \(String(describing: summary.model)) != scanner \(String(describing: model))")
    // The parser's nesting limit is not the scanner's (it has none): compare only below it.
    let nesting = body.count { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }
    guard nesting < JSONParser.defaultMaxDepth else { return 0 }
    guard let node = try? JSONParser().parse(body), case .object(let members) = node.value else { return 0 }
    var expectedModel: (key: String, value: String)?
    for key in modelKeys where expectedModel == nil {
        for member in members where member.key == key {
            if case .string(let value) = member.node.value { expectedModel = (key, value); break }
        }
    }
    precondition(model?.key == expectedModel?.key && model?.value == expectedModel?.value,
                 "scanner model \(String(describing: model)) != parser \(String(describing: expectedModel))")
    var expectedStream: Bool?
    for member in members where member.key == "stream" {
        if case .bool(let value) = member.node.value { expectedStream = value; break }
    }
    precondition(stream == expectedStream, "scanner stream \(String(describing: stream)) != parser \(String(describing: expectedStream))")
    let expected = RequestBodySummaryReference.summary(of: body, modelKeys: modelKeys)
    precondition(summary == expected, "summary \(summary) != parser \(expected)")
    return 0
}

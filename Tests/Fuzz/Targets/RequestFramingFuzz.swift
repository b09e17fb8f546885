// libFuzzer target: request framing (Content-Length / Transfer-Encoding) decided from every
// client head. Input: a version line, then `Name: value` lines. Properties: a decision
// agrees with the fields it was made from (a length is what every Content-Length says, a
// chunked body has no Content-Length, no body has neither field); a refusal is 400, 413
// or 501.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let version = String(lines[0])
    let headers: [HTTPHeader] = lines.dropFirst().map { line in
        guard let colon = line.firstIndex(of: ":") else { return HTTPHeader(String(line), "") }
        return HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...]))
    }
    let lengths = headers.filter { $0.name.lowercased() == "content-length" }.map(\.value)
    let codings = headers.filter { $0.name.lowercased() == "transfer-encoding" }.map(\.value)
    do {
        switch try RequestFraming.decide(httpVersion: version, headers: headers) {
        case .noBody:
            precondition(lengths.isEmpty && codings.isEmpty, "no body despite \(lengths) \(codings)")
        case .length(let length):
            precondition(length >= 0 && codings.isEmpty, "length \(length) with codings \(codings)")
            precondition(lengths.allSatisfy { Int64(trimmed($0)) == length }, "length \(length) from \(lengths)")
        case .chunked:
            precondition(lengths.isEmpty && !codings.isEmpty, "chunked with \(lengths) \(codings)")
        }
    } catch {
        precondition([400, 413, 501].contains(error.status), "refused with \(error.status)")
    }
    return 0
}

/// `text` without the spaces and tabs around it (optional whitespace, RFC 9110 §5.6.3).
private func trimmed(_ text: String) -> Substring {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    var result = Substring(text)
    while let first = result.first, blank(first) { result.removeFirst() }
    while let last = result.last, blank(last) { result.removeLast() }
    return result
}

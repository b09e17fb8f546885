/// Reads one short text field from a `multipart/form-data` body (RFC 7578), such as the
/// `model` of an OpenAI audio transcription request (ollama/ollama `middleware/openai.go`,
/// `TranscriptionMiddleware`), without decoding the other parts.
///
/// Pure and defensive: a body that is not well-formed gives nil, never a crash.
public enum MultipartFormScanner {
    /// Longest field value returned, in bytes: model names are short, files are not.
    static let maxValueLength = 1024

    /// The value of the field `name`, or nil when the body has no such text field.
    public static func field(_ name: String, in body: UnsafeRawBufferPointer, contentType: String?) -> String? {
        guard let contentType, let boundary = boundary(of: contentType) else { return nil }
        let bytes = body.bindMemory(to: UInt8.self)
        let delimiter = Array(("--" + boundary).utf8)
        let wanted = Array(("name=\"" + name + "\"").utf8)
        var cursor = 0
        while let start = find(delimiter, in: bytes, from: cursor) {
            let headersStart = start + delimiter.count + 2  // past the CRLF after the delimiter
            guard headersStart <= bytes.count,
                  let headersEnd = find(Array("\r\n\r\n".utf8), in: bytes, from: headersStart) else { return nil }
            let valueStart = headersEnd + 4
            guard let next = find(Array(("\r\n--" + boundary).utf8), in: bytes, from: valueStart) else { return nil }
            let headers = UnsafeBufferPointer(rebasing: bytes[headersStart..<headersEnd])
            if find(wanted, in: headers, from: 0) != nil {
                guard next - valueStart <= maxValueLength else { return nil }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<next]), as: UTF8.self)
            }
            cursor = next + 2
        }
        return nil
    }

    /// The `boundary` parameter of a `multipart/form-data` content type, unquoted.
    static func boundary(of contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingSpaces() }
        guard let type = parts.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}

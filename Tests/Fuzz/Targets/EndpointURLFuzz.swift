// libFuzzer target: endpoint URLs and the paths resolved against them (configuration).
// Input: lines `url`, `reference`. Properties: parse -> description -> parse gives the
// same URL; a valid path reference resolves to a URL under the base.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    guard let url = try? EndpointURL(parsing: String(lines[0])) else { return 0 }
    let again = try? EndpointURL(parsing: url.description)
    precondition(again == url, "round trip: \(lines[0]) -> \(url) -> \(String(describing: again))")
    if lines.count > 1, lines[1].hasPrefix("/"), (try? EndpointURL.validateReference(String(lines[1]))) != nil {
        let resolved = url.resolving(String(lines[1]))
        precondition(resolved.hasPrefix(url.baseURL + "/"), "\(resolved) left \(url)")
    }
    return 0
}

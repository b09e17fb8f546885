// libFuzzer target: request-target classification (every client request line).
// Input: lines `method`, `target`. Property: a forwarded target is origin-form (starts
// with "/"), never a trap.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    let method = lines.count > 1 ? String(lines[0]) : "POST"
    let target = String(lines.count > 1 ? lines[1] : lines[0])
    if case .forward(let forward) = ProxyRoute.classify(method: method, rawTarget: target) {
        precondition(forward.upstreamTarget.hasPrefix("/"), "forwarded \(forward.upstreamTarget)")
    }
    return 0
}

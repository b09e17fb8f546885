// libFuzzer target: the bodies of libmicrohttpd's own error answers (LibraryErrorBody), whose
// route family is read from the first bytes of any request target a client sends.
// Input: one byte that picks the status, then the raw target. Properties: the body is JSON;
// the family read from the first `targetPrefixLimit` bytes (all libmicrohttpd hands over) is
// the whole target's, so a cut target never changes the error shape.
import OllaCore

private let statuses = [400, 413, 414, 431, 500, 505]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let status = statuses[Int(data[0]) % statuses.count]
    let target = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let cut = Array(target.prefix(LibraryErrorBody.targetPrefixLimit))
    let body = LibraryErrorBody.render(rawTargetPrefix: cut, status: status, message: "malformed HTTP request")
    guard (try? JSONParser().parse(Array(body.utf8))) != nil else { fatalError("not JSON: \(body)") }
    let whole = ProxyRoute.flavor(rawTarget: String(decoding: target, as: UTF8.self))
    precondition(LibraryErrorBody.flavor(rawTargetPrefix: cut) == whole, "a cut target changed the family")
    return 0
}

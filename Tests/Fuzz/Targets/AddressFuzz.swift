// libFuzzer target: IP addresses, CIDR ranges (config, allow-lists) and the client address
// resolved from a peer and X-Forwarded-For (request headers). Input: lines `text`,
// `peer`, `forwarded-for`. Properties: parse -> description -> parse gives the same value;
// a peer resolves to its normalised form (the IPv4 fast path included).
import OllaCore

private let trusted = ["10.0.0.0/8", "127.0.0.0/8", "::1/128", "fd00::/8"].map { try! CIDR(parsing: $0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
    let first = String(lines[0])
    if let address = IPAddress(parsing: first) {
        precondition(IPAddress(parsing: address.description) == address, "IP round trip: \(first) -> \(address)")
    }
    if let address = IPAddress(host: first) {
        precondition(IPAddress(host: address.description) == address, "host round trip: \(first) -> \(address)")
    }
    if let range = try? CIDR(parsing: first) {
        let again = try? CIDR(parsing: range.description)
        precondition(again == range, "CIDR round trip: \(first) -> \(range) -> \(String(describing: again))")
        precondition(range.contains(range.network), "CIDR \(range) does not contain its network")
    }
    let peer = lines.count > 1 ? String(lines[1]) : first
    let forwarded = lines.count > 2 ? String(lines[2]) : nil
    for trust in [false, true] {
        _ = ClientAddress.resolve(peer: peer, forwardedFor: forwarded, trustedProxies: trusted, trustProxyHeaders: trust)
    }
    // The byte-level fast path for a plain IPv4 peer answers what parsing and printing would.
    let direct = ClientAddress.resolve(peer: peer, forwardedFor: nil, trustedProxies: trusted, trustProxyHeaders: false)
    precondition(direct == (IPAddress(host: peer)?.description ?? peer), "client address \(peer) -> \(direct)")
    return 0
}

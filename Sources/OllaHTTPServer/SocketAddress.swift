import Glibc

/// Socket address helpers: resolving the listen host and printing peers.
enum SocketAddress {
    /// Numeric text of an IPv4/IPv6 address, as it goes into X-Forwarded-For: what
    /// `inet_ntop` prints, with an IPv4 client of a dual-stack socket (`::ffff:a.b.c.d`)
    /// shown as IPv4.
    static func text(_ address: UnsafePointer<sockaddr>?) -> String {
        guard let address else { return "unknown" }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                withUnsafeBytes(of: v4.pointee.sin_addr) { dotted($0) }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { bytes in
                    isIPv4Mapped(bytes) ? dotted(UnsafeRawBufferPointer(rebasing: bytes[12...])) : ipv6Text(bytes)
                }
            }
        default:
            return "unknown"
        }
    }

    /// `a.b.c.d` of four address bytes (network order), as `inet_ntop(AF_INET, ...)` prints
    /// them. Written here instead of by `inet_ntop`, once per request: ~100 instructions into
    /// an inline (at most 15 bytes, no allocation) String, where `inet_ntop`, its buffer and
    /// the copy out took ~2.9 K.
    static func dotted(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 15) { out in
            var length = 0
            for index in 0..<4 {
                if index > 0 {
                    out[length] = UInt8(ascii: ".")
                    length += 1
                }
                let byte = bytes[index]
                if byte >= 100 {
                    out[length] = UInt8(ascii: "0") + byte / 100
                    length += 1
                }
                if byte >= 10 {
                    out[length] = UInt8(ascii: "0") + byte / 10 % 10
                    length += 1
                }
                out[length] = UInt8(ascii: "0") + byte % 10
                length += 1
            }
            return length
        }
    }

    /// `::ffff:0:0/96` (RFC 4291 section 2.5.5.2): an IPv4 address seen through an IPv6 socket.
    static func isIPv4Mapped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
    }

    /// What `inet_ntop(AF_INET6, ...)` prints for the 16 address bytes.
    private static func ipv6Text(_ bytes: UnsafeRawBufferPointer) -> String {
        let size = Int(INET6_ADDRSTRLEN) + 1
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer in
            guard let text = inet_ntop(AF_INET6, bytes.baseAddress, buffer.baseAddress, socklen_t(size)) else {
                return "unknown"
            }
            return String(cString: text)
        }
    }
}

/// A bound, listening TCP socket that the server hands to libmicrohttpd.
struct ListenSocket {
    let fd: Int32
    let boundDescription: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Resolves `host` and listens on the first address that binds.
    /// With `reusePort`, every worker binds its own socket to the same port and the kernel
    /// spreads new connections across them.
    static func open(host: String, port: Int, reusePort: Bool = false, backlog: Int32 = 4096) throws(Failure) -> ListenSocket {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "cannot resolve listen host '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        for info in preferringIPv4(first) {
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = errnoText(); continue }
            var one: Int32 = 1
            let size = socklen_t(MemoryLayout<Int32>.size)
            // Without SO_REUSEPORT the second worker could not bind the same port.
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) == 0,
                  !reusePort || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) == 0 else {
                lastError = "setsockopt: " + errnoText()
                close(fd)
                continue
            }
            if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 && listen(fd, backlog) == 0 {
                let host = SocketAddress.text(UnsafePointer(info.pointee.ai_addr))
                let description = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
                return ListenSocket(fd: fd, boundDescription: description)
            }
            lastError = errnoText()
            close(fd)
        }
        throw Failure(description: "cannot listen on \(host):\(port): \(lastError)")
    }

    /// Closes a listening socket (after libmicrohttpd handed it back, or a failed start).
    static func close(_ fd: Int32) {
        // Linux releases the descriptor even when close reports an error: nothing to retry.
        _ = Glibc.close(fd)
    }

    /// `localhost` resolves to `::1` first on Debian, but most clients (and health checkers)
    /// dial 127.0.0.1: with one listening address, IPv4 is the one that serves everybody.
    private static func preferringIPv4(_ first: UnsafeMutablePointer<addrinfo>) -> [UnsafeMutablePointer<addrinfo>] {
        var all: [UnsafeMutablePointer<addrinfo>] = []
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            all.append(info)
            candidate = info.pointee.ai_next
        }
        return all.filter { $0.pointee.ai_family == AF_INET } + all.filter { $0.pointee.ai_family != AF_INET }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

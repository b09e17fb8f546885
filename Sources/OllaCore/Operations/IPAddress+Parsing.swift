extension IPAddress {
    /// Parses an address literal: `192.168.1.20`, `2001:db8::1`, `::ffff:10.0.0.1`.
    ///
    /// Strict: IPv4 must be four decimal parts 0–255 without leading zeros (so `010.0.0.1`
    /// is not silently read as octal or decimal); an IPv6 zone (`fe80::1%eth0`) is
    /// dropped, as a zone never matters for range checks. Returns nil otherwise.
    public init?(parsing text: some StringProtocol) {
        let scalars = Array(String(text).utf8)
        if let value = Self.parseIPv4(scalars[...]) {
            self.init(ipv4: value)
        } else if let bits = Self.parseIPv6(scalars) {
            self.init(bits: bits)
        } else {
            return nil
        }
    }

    /// Parses the address part of a host field as proxies write it in `X-Forwarded-For`
    /// and as sockets report peers: a bare address, `1.2.3.4:5678`, `[2001:db8::1]` or
    /// `[2001:db8::1]:443`. Surrounding spaces are ignored.
    public init?(host text: some StringProtocol) {
        var host = Substring(text)
        while host.first == " " || host.first == "\t" { host.removeFirst() }
        while host.last == " " || host.last == "\t" { host.removeLast() }
        if host.first == "[" {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isASCIIDigit) && rest.count > 1) else {
                return nil
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if host.filter({ $0 == ":" }).count == 1 {
            // One colon can only be IPv4 with a port; IPv6 has at least two.
            let colon = host.firstIndex(of: ":")!
            guard host[host.index(after: colon)...].allSatisfy(\.isASCIIDigit) else { return nil }
            host = host[..<colon]
        }
        self.init(parsing: host)
    }

    static func parseIPv4(_ bytes: some Collection<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var number: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | number
                parts += 1
                (number, digits) = (0, 0)
                continue
            }
            // Four decimal parts of one to three digits, no leading zero, each at most 255.
            guard isDigit(byte), digits < 3, !leadingZero || digits == 0 else { return nil }
            if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return nil }
            number = number * 10 + UInt32(byte - UInt8(ascii: "0"))
            digits += 1
            guard number <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | number
    }

    static func parseIPv6(_ input: [UInt8]) -> UInt128? {
        var bytes = input[...]
        if let percent = bytes.firstIndex(of: UInt8(ascii: "%")) {
            guard percent + 1 < bytes.endIndex else { return nil }
            bytes = bytes[..<percent]
        }
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }
        let halves = split(atDoubleColon: bytes)
        guard halves.count <= 2 else { return nil }
        guard let head = groups(halves[0], allowEmbeddedIPv4: halves.count == 1) else { return nil }
        var tail: [UInt16] = []
        if halves.count == 2 {
            guard let parsed = groups(halves[1], allowEmbeddedIPv4: true) else { return nil }
            tail = parsed
        }
        let total = head.count + tail.count
        if halves.count == 1 {
            guard total == 8 else { return nil }
        } else {
            // `::` stands for at least one zero group.
            guard total <= 7 else { return nil }
        }
        let all = head + Array(repeating: 0, count: 8 - total) + tail
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Splits at the single `::`; more than one yields three or more pieces (invalid).
    private static func split(atDoubleColon bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":"), index + 1 < bytes.endIndex, bytes[index + 1] == UInt8(ascii: ":") {
                pieces.append(bytes[start..<index])
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        pieces.append(bytes[start..<bytes.endIndex])
        return pieces
    }

    /// The 16-bit groups of one side of `::`; the last may be a dotted IPv4 (two groups).
    private static func groups(_ bytes: ArraySlice<UInt8>, allowEmbeddedIPv4: Bool) -> [UInt16]? {
        if bytes.isEmpty { return [] }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowEmbeddedIPv4, part.contains(UInt8(ascii: ".")) {
                guard let value = parseIPv4(part) else { return nil }
                result.append(UInt16(value >> 16))
                result.append(UInt16(value & 0xFFFF))
                continue
            }
            guard (1...4).contains(part.count) else { return nil }
            var group: UInt16 = 0
            for byte in part {
                guard let digit = hexValue(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            result.append(group)
        }
        return result
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

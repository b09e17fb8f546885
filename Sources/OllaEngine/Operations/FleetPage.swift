import OllaCore

/// The fleet page, `GET /internal/ui/`: one HTML page with its stylesheet and script,
/// embedded in the binary (see `FleetPage+Assets.swift`, generated from `ui/`), so it
/// works offline and needs nothing installed next to the daemon.
///
/// The files hold no data: the script fetches `/internal/status*` every two seconds, with
/// the API key the user typed when keys are on. So the files are served like `/version`
/// (allow-list and rate limit, no key) and every fact on the page stays behind the key.
enum FleetPage {
    /// Where the page lives; `/internal/ui` without the slash is redirected here, so the
    /// page's relative links resolve below it.
    static let path = InternalRoute.pagePrefix

    /// One embedded file.
    enum Asset: CaseIterable, Sendable {
        case index, stylesheet, script

        /// The path it is served at.
        var path: String {
            switch self {
            case .index: FleetPage.path
            case .stylesheet: FleetPage.path + "fleet.css"
            case .script: FleetPage.path + "fleet.js"
            }
        }

        /// The file in `ui/` it is generated from.
        var sourceFile: String {
            switch self {
            case .index: "ui/index.html"
            case .stylesheet: "ui/fleet.css"
            case .script: "ui/fleet.js"
            }
        }

        var contentType: String {
            switch self {
            case .index: "text/html; charset=utf-8"
            case .stylesheet: "text/css; charset=utf-8"
            case .script: "text/javascript; charset=utf-8"
            }
        }

        /// The file's bytes, as embedded.
        var body: [UInt8] { FleetPage.bodies[self]! }

        /// A strong validator: FNV-1a 64 of the bytes, quoted (RFC 9110 §8.8.3).
        var entityTag: String { FleetPage.entityTags[self]! }
    }

    private static let bodies: [Asset: [UInt8]] = [
        .index: Array(indexHTML.utf8), .stylesheet: Array(fleetCSS.utf8), .script: Array(fleetJS.utf8),
    ]
    private static let entityTags: [Asset: String] = bodies.mapValues { "\"" + fnv1a(of: $0) + "\"" }

    /// Headers every file carries. `no-cache` makes the browser revalidate each load (a
    /// new binary may serve a new page) and the entity tag makes that a bodiless 304. The
    /// policy allows only the page's own script, style and fetches: model names and other
    /// text from clients are shown as text, and even injected markup could not run.
    static let securityHeaders: [HTTPHeader] = [
        HTTPHeader("Cache-Control", "no-cache"),
        HTTPHeader("X-Content-Type-Options", "nosniff"),
        HTTPHeader("Referrer-Policy", "no-referrer"),
        HTTPHeader("Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    ]

    /// The asset served at `path`, if any.
    static func asset(at path: Substring) -> Asset? {
        Asset.allCases.first { $0.path == path }
    }

    /// The file, or `304 Not Modified` when `ifNoneMatch` names its current tag.
    static func response(_ asset: Asset, ifNoneMatch: String?) -> LocalResponse {
        let tag = asset.entityTag
        var headers: [HTTPHeader] = [HTTPHeader("ETag", tag)] + securityHeaders
        if let ifNoneMatch, matches(ifNoneMatch, tag) {
            return LocalResponse(status: 304, headers: headers, body: [])
        }
        headers.insert(HTTPHeader("Content-Type", asset.contentType), at: 0)
        return LocalResponse(status: 200, headers: headers, body: asset.body)
    }

    /// `/internal/ui` → `/internal/ui/` (308 keeps the method).
    static func redirect() -> LocalResponse {
        LocalResponse(status: 308, headers: [HTTPHeader("Location", path), HTTPHeader("Content-Type", "text/plain; charset=utf-8")],
                      body: Array("see \(path)\n".utf8))
    }

    /// `If-None-Match`: `*` or a comma-separated list of tags, weak ones compared weakly (RFC 9110 §13.1.2).
    static func matches(_ header: String, _ tag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var candidate = candidate.drop { $0 == " " || $0 == "\t" }
            while candidate.last == " " || candidate.last == "\t" { candidate = candidate.dropLast() }
            if candidate == "*" { return true }
            if candidate.hasPrefix("W/") { candidate = candidate.dropFirst(2) }
            return candidate == tag
        }
    }

    /// FNV-1a, 64 bits, as 16 hex digits: a content fingerprint, not a security measure.
    static func fnv1a(of bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// One allowed browser origin: exact (`https://chat.example.com`), or with one `*` that
/// stands for any text (`http://localhost:*`, `https://*.example.com`, `app://*`).
///
/// Matching follows gin-contrib/cors with `AllowWildcard`, which Ollama uses
/// (`cors.go` `validateWildcardOrigin`): the origin must start with the text before the `*`
/// and end with the text after it. Origins are compared lowercased, as browsers send them.
public struct CORSOriginPattern: Sendable, Equatable, CustomStringConvertible {
    /// The text before the `*` (the whole origin when there is no `*`).
    public let prefix: String
    /// The text after the `*`; nil for an exact origin.
    public let suffix: String?

    /// Parses `text`, which must hold at most one `*`; nil otherwise.
    public init?(_ text: String) {
        let lowered = text.lowercased()
        let parts = lowered.split(separator: "*", maxSplits: 2, omittingEmptySubsequences: false)
        switch parts.count {
        case 1: (prefix, suffix) = (lowered, nil)
        case 2: (prefix, suffix) = (String(parts[0]), String(parts[1]))
        default: return nil
        }
    }

    /// Whether `origin` (already lowercased) is allowed by this pattern.
    public func matches(_ origin: String) -> Bool {
        guard let suffix else { return origin == prefix }
        return origin.count >= prefix.count + suffix.count && origin.hasPrefix(prefix) && origin.hasSuffix(suffix)
    }

    /// The pattern as written (lowercased).
    public var description: String { suffix.map { prefix + "*" + $0 } ?? prefix }

    /// Ollama's built-in allowed origins (`envconfig/config.go` `AllowedOrigins`): localhost,
    /// 127.0.0.1 and 0.0.0.0, with and without a port, over http and https, plus the app
    /// schemes of desktop and editor front ends.
    public static let ollamaDefaults: [CORSOriginPattern] = {
        var texts: [String] = []
        for host in ["localhost", "127.0.0.1", "0.0.0.0"] {
            texts += ["http://\(host)", "https://\(host)", "http://\(host):*", "https://\(host):*"]
        }
        texts += ["app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"]
        return texts.map { CORSOriginPattern($0)! }
    }()
}

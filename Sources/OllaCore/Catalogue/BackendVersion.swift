/// A version string an endpoint reports (`0.5.7`, `0.6.0-rc1`, `v0.3.14`), parsed so
/// versions can be ordered: numerically by dotted components, then a release above its
/// pre-releases (`0.6.0-rc1 < 0.6.0`), as in Semantic Versioning.
public struct BackendVersion: Sendable, Comparable, CustomStringConvertible {
    /// The text as reported.
    public let text: String
    /// The dotted numeric components (`[0, 5, 7]`).
    public let components: [Int]
    /// The pre-release after `-` (`rc1`), or nil for a release. Build metadata after `+`
    /// is ignored, as Semantic Versioning says.
    public let prerelease: String?

    /// Parses `[v]N(.N)*[-prerelease][+build]`; nil for anything else (empty text,
    /// `unknown`, `0.5.x`).
    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.first == "v" || rest.first == "V" {
            rest = rest.dropFirst()
        }
        if let plus = rest.firstIndex(of: "+") {
            rest = rest[..<plus]
        }
        var prerelease: String?
        if let dash = rest.firstIndex(of: "-") {
            prerelease = String(rest[rest.index(after: dash)...])
            rest = rest[..<dash]
            guard prerelease?.isEmpty == false else { return nil }
        }
        var components: [Int] = []
        for part in rest.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.utf8.allSatisfy(JSONByte.isDigit), let number = Int(part) else { return nil }
            components.append(number)
        }
        guard !components.isEmpty else { return nil }
        self.text = text
        self.components = components
        self.prerelease = prerelease
    }

    /// The version as the backend wrote it.
    public var description: String { text }

    /// Orders by components (missing ones count as 0, so `0.5 == 0.5.0`), then a
    /// pre-release before its release, then pre-releases among themselves by
    /// `BackendVersion.comparePrerelease`.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        for index in 0..<max(lhs.components.count, rhs.components.count) {
            let left = index < lhs.components.count ? lhs.components[index] : 0
            let right = index < rhs.components.count ? rhs.components[index] : 0
            if left != right { return left < right }
        }
        switch (lhs.prerelease, rhs.prerelease) {
        case (nil, _): return false
        case (_?, nil): return true
        case (let left?, let right?): return comparePrerelease(left, right) < 0
        }
    }

    /// Equal when neither orders before the other (`0.5` equals `0.5.0`), whatever the text.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }
}

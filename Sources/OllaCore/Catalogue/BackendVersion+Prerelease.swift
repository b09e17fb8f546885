extension BackendVersion {
    /// Compares pre-release labels: dot-separated identifiers left to right, and within
    /// an identifier runs of digits by value and other runs by text, so `rc2 < rc10`
    /// (where Semantic Versioning's plain text order would say `rc10 < rc2`, which is not
    /// what anyone numbering release candidates means). A label that is a prefix of the
    /// other sorts first (`rc < rc.1`). Returns -1, 0 or 1.
    static func comparePrerelease(_ lhs: String, _ rhs: String) -> Int {
        let left = runs(lhs)
        let right = runs(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (Int(a), Int(b)) {
            case (let x?, let y?): return x < y ? -1 : 1
            case (_?, nil): return -1  // numeric identifiers sort before text, as in SemVer
            case (nil, _?): return 1
            case (nil, nil): return a < b ? -1 : 1
            }
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }

    /// Splits a label into alternating digit and non-digit runs; dots separate runs and
    /// are dropped (`rc.10b` → `rc`, `10`, `b`).
    private static func runs(_ label: String) -> [String] {
        var runs: [String] = []
        var current = ""
        var currentIsDigits = false
        for character in label {
            if character == "." {
                if !current.isEmpty { runs.append(current) }
                current = ""
                continue
            }
            let isDigit = character.isASCII && character.isNumber
            if !current.isEmpty, isDigit != currentIsDigits {
                runs.append(current)
                current = ""
            }
            current.append(character)
            currentIsDigits = isDigit
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}

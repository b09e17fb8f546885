/// Finds the intended word for a misspelt key or value, for "did you mean" hints.
enum SpellingSuggestion {
    /// The largest edit distance still considered a typo rather than a different word.
    static let maximumDistance = 2

    /// The candidate `word` most plausibly meant, or nil.
    ///
    /// A candidate that differs only in case, `_` or `-` wins first, which catches
    /// `readTimeout` for `read_timeout` (too far apart by edit distance alone). Otherwise
    /// the closest candidate within `maximumDistance` edits, the earliest on ties.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let normalizedWord = normalized(word)
        if let match = candidates.first(where: { normalized($0) == normalizedWord }) {
            return match
        }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance <= maximumDistance, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    private static func normalized(_ word: String) -> String {
        String(word.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" })
    }

    /// Levenshtein distance over Unicode scalars (insert, delete, substitute), using two rows.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let source = Array(lhs.unicodeScalars)
        let target = Array(rhs.unicodeScalars)
        var previous = Array(0...target.count)
        var current = Array(repeating: 0, count: target.count + 1)
        for (row, sourceScalar) in source.enumerated() {
            current[0] = row + 1
            for (column, targetScalar) in target.enumerated() {
                let substitution = previous[column] + (sourceScalar == targetScalar ? 0 : 1)
                current[column + 1] = min(substitution, previous[column + 1] + 1, current[column] + 1)
            }
            swap(&previous, &current)
        }
        return previous[target.count]
    }
}

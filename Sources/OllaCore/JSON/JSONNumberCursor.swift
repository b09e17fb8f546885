/// A cursor that can step over a JSON number: what the body walk (`JSONTopLevelWalker`) and
/// its plain-text pass (`JSONBodyScanner.plainSummary`) share, so that the two cannot disagree
/// on what a number is (the pass's answers must be the walk's).
protocol JSONNumberCursor {
    /// Steps over `byte` if it is next; false, nothing consumed, otherwise.
    mutating func consume(_ byte: UInt8) -> Bool
    /// Whether the next byte is an ASCII digit; false at the end.
    func nextIsDigit() -> Bool
    /// Steps over one or more digits; false if there is none.
    mutating func skipDigits() -> Bool
}

extension JSONNumberCursor {
    /// Steps over a number, RFC 8259 section 6: `-`? (`0` | digit1-9 digit*) (`.` digit+)?
    /// ((`e` | `E`) (`+` | `-`)? digit+)?; false if what follows is not one (where the cursor
    /// is left then does not matter: every caller rejects the text).
    @inline(__always)
    mutating func skipNumber() -> Bool {
        _ = consume(JSONByte.minus)
        if consume(JSONByte.zero) {
            if nextIsDigit() { return false }
        } else if !skipDigits() {
            return false
        }
        if consume(JSONByte.dot), !skipDigits() {
            return false
        }
        if consume(JSONByte.lowercaseE) || consume(JSONByte.uppercaseE) {
            if !consume(JSONByte.plus) { _ = consume(JSONByte.minus) }
            return skipDigits()
        }
        return true
    }
}

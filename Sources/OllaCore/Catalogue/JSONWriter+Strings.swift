extension JSONWriter {
    /// Appends `text` as a quoted JSON string literal, escaped as Go's `encoding/json`
    /// escapes it (`JSONString`), with `<`, `>` and `&` escaped when `escapesHTML` is set.
    public func writeString(_ text: String, to output: inout [UInt8]) {
        JSONString.append(text, to: &output, escapingHTML: escapesHTML)
    }
}

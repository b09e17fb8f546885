extension JSONStringLiteral.Extent {
    /// Whether the literal's text, after unescaping, is `text` (ASCII). Literals without
    /// escapes, the ones clients and backends write, are compared in place without allocating.
    func matches(_ text: StaticString, in bytes: UnsafeRawBufferPointer) -> Bool {
        let expected = text.bytes
        guard hasEscapes else {
            return contentEnd - contentStart == expected.count && ByteSearch.hasPrefix(expected, in: bytes, at: contentStart)
        }
        guard let decoded = try? JSONStringLiteral.decode(bytes, self) else { return false }
        return decoded.utf8.elementsEqual(expected)
    }
}

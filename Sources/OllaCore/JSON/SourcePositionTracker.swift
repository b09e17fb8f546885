/// Maps byte offsets in a UTF-8 buffer to line/column positions.
///
/// The parser asks for positions in increasing order, so the tracker resumes from the
/// last answer instead of rescanning from the start: every byte is counted once in
/// total, which keeps position tracking linear even for single-line documents.
struct SourcePositionTracker {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private var line = 1
    private var column = 1

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The position of the byte at `target` (which may be `bytes.count`, the end of input).
    mutating func position(at target: Int) -> SourcePosition {
        if target < offset {
            // Only error reporting can look backwards; restarting is cheap enough for that.
            offset = 0
            line = 1
            column = 1
        }
        let end = min(target, bytes.count)
        while offset < end {
            let byte = bytes[offset]
            if byte == JSONByte.lineFeed {
                line += 1
                column = 1
            } else if !JSONByte.isUTF8Continuation(byte) {
                column += 1
            }
            offset += 1
        }
        return SourcePosition(line: line, column: column)
    }
}

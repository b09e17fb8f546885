/// A FIFO of bytes: appended at the back by one side, drained from the front by the other.
/// Storage is reused across a request's life, so a steady stream allocates nothing per chunk.
public struct ByteQueue: Sendable {
    private var storage: [UInt8] = []
    private var readIndex = 0

    /// An empty queue.
    public init() {}

    /// Bytes queued and not yet drained.
    public var count: Int { storage.count - readIndex }

    /// Appends a copy of `bytes` at the back.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    /// Appends `text` as UTF-8 at the back.
    public mutating func append(_ text: String) {
        storage.append(contentsOf: text.utf8)
    }

    /// Copies up to `destination.count` bytes out and returns how many were copied.
    public mutating func drain(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(count, destination.count)
        guard n > 0 else { return 0 }
        storage.withUnsafeBytes { source in
            destination.baseAddress!.copyMemory(from: source.baseAddress! + readIndex, byteCount: n)
        }
        readIndex += n
        compact()
        return n
    }

    /// Runs `body` on the queued bytes, front first, without consuming them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[readIndex...])) }
    }

    /// Moves unread bytes to the front once the consumed part dominates, so memory stays
    /// bounded by what is unread rather than by what ever passed through.
    private mutating func compact() {
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 20)
            readIndex = 0
        } else if readIndex >= 64 * 1024 && readIndex * 2 >= storage.count {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}

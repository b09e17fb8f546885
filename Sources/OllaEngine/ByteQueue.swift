/// A FIFO of bytes: appended at the back by one side, drained from the front by the other.
/// Storage is reused across a request's life, so a steady stream allocates nothing per chunk.
///
/// The bytes live in a reference (`Storage`), not in a value array: a queue sits inside the
/// request state machine's enum payloads, and mutating a payload goes through a copy of the
/// enum value that the `switch` keeps alive, so a value array there is not uniquely referenced
/// and every append copied the whole queue (60 M instructions per MiB of a bulk answer, against
/// 3 M with the bytes in a reference). A queue has one owner (its request, under the exchange's
/// lock), so copies of a `ByteQueue` share their bytes; nothing copies one to keep it.
public struct ByteQueue: Sendable {
    /// The bytes and the read position, mutated in place whoever holds a copy of the queue.
    private final class Storage: @unchecked Sendable {  // confined to the owning exchange's lock
        var bytes: [UInt8] = []
        var readIndex = 0
    }

    private let storage = Storage()

    /// An empty queue.
    public init() {}

    /// Bytes queued and not yet drained.
    public var count: Int { storage.bytes.count - storage.readIndex }

    /// Appends a copy of `bytes` at the back.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.bytes.append(contentsOf: bytes)
    }

    /// Appends `text` as UTF-8 at the back.
    public mutating func append(_ text: String) {
        storage.bytes.append(contentsOf: text.utf8)
    }

    /// Copies up to `destination.count` bytes out and returns how many were copied.
    public mutating func drain(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(count, destination.count)
        guard n > 0 else { return 0 }
        let start = storage.readIndex
        storage.bytes.withUnsafeBytes { source in
            destination.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
        }
        storage.readIndex += n
        compact()
        return n
    }

    /// Runs `body` on the queued bytes, front first, without consuming them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[storage.readIndex...])) }
    }

    /// Moves unread bytes to the front once the consumed part dominates, so memory stays
    /// bounded by what is unread rather than by what ever passed through.
    private mutating func compact() {
        if storage.readIndex == storage.bytes.count {
            storage.bytes.removeAll(keepingCapacity: storage.bytes.capacity <= 1 << 20)
            storage.readIndex = 0
        } else if storage.readIndex >= 64 * 1024 && storage.readIndex * 2 >= storage.bytes.count {
            storage.bytes.removeSubrange(0..<storage.readIndex)
            storage.readIndex = 0
        }
    }
}

/// A FIFO of bytes: appended at the back by one side, drained from the front by the other.
/// Storage is reused across a request's life, so a steady stream allocates nothing per chunk.
///
/// The bytes live in a reference (`Storage`), not in a value array: a queue sits inside the
/// request state machine's enum payloads, and mutating a payload goes through a copy of the
/// enum value that the `switch` keeps alive, so a value array there is not uniquely referenced
/// and every append copied the whole queue (60 M instructions per MiB of a bulk answer, against
/// 3 M with the bytes in a reference). A queue has one owner (its request, under the exchange's
/// lock), so copies of a `ByteQueue` share their bytes; nothing copies one to keep it.
///
/// The storage is a raw buffer with its positions in a `ManagedBuffer` header, reached through
/// a pointer: appending and draining are a `memcpy` each, without the run-time exclusivity
/// checks every access to a class's `var` costs (`swift_beginAccess`, ~80 instructions each)
/// or an array's bookkeeping; both ran once or twice per forwarded chunk.
public struct ByteQueue: Sendable {
    /// Where the bytes are: `base[start..<end]` is unread, `capacity` bytes are allocated.
    fileprivate struct Positions {
        var base: UnsafeMutableRawPointer?
        var capacity = 0
        var start = 0
        var end = 0
    }

    /// The buffer, freed with the last copy of the queue.
    fileprivate final class Storage: ManagedBuffer<Positions, UInt8> {
        deinit {
            _ = withUnsafeMutablePointerToHeader { $0.pointee.base?.deallocate() }
        }
    }

    /// Confined to the owning exchange's lock, like the queue itself.
    private nonisolated(unsafe) let storage: Storage

    /// An empty queue (nothing allocated for bytes until the first append).
    public init() {
        storage = unsafeDowncast(Storage.create(minimumCapacity: 0) { _ in Positions() }, to: Storage.self)
    }

    /// Fully drained, a buffer larger than this is freed (a bulk answer's memory goes back).
    static let keptCapacity = 1 << 20
    /// Smallest buffer allocated.
    static let minimumCapacity = 1024

    @inline(__always)
    private func withPositions<R>(_ body: (inout Positions) -> R) -> R {
        storage.withUnsafeMutablePointerToHeader { body(&$0.pointee) }
    }

    /// Bytes queued and not yet drained.
    public var count: Int { withPositions { $0.end - $0.start } }

    /// Appends a copy of `bytes` at the back.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        withPositions { p in
            Self.makeRoom(bytes.count, in: &p)
            (p.base.unsafelyUnwrapped + p.end).copyMemory(from: source, byteCount: bytes.count)
            p.end += bytes.count
        }
    }

    /// Appends `text` as UTF-8 at the back.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Copies up to `destination.count` bytes out and returns how many were copied.
    public mutating func drain(into destination: UnsafeMutableRawBufferPointer) -> Int {
        withPositions { p in
            let n = min(p.end - p.start, destination.count)
            guard n > 0 else { return 0 }
            destination.baseAddress.unsafelyUnwrapped.copyMemory(from: p.base.unsafelyUnwrapped + p.start, byteCount: n)
            p.start += n
            Self.compact(&p)
            return n
        }
    }

    /// Runs `body` on the queued bytes, front first, without consuming them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (base, start, end) = withPositions { ($0.base, $0.start, $0.end) }
        return try body(UnsafeRawBufferPointer(start: base.map { $0 + start }, count: end - start))
    }

    /// Makes room for `count` more bytes at the back: unread bytes move to the front when
    /// that is enough, else the buffer grows (at least doubling).
    private static func makeRoom(_ count: Int, in p: inout Positions) {
        if p.end + count <= p.capacity { return }
        let unread = p.end - p.start
        if unread + count <= p.capacity, let base = p.base {
            base.copyMemory(from: base + p.start, byteCount: unread)
        } else {
            let capacity = max(minimumCapacity, 2 * p.capacity, unread + count)
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            if let base = p.base {
                grown.copyMemory(from: base + p.start, byteCount: unread)
                base.deallocate()
            }
            p.base = grown
            p.capacity = capacity
        }
        p.start = 0
        p.end = unread
    }

    /// Keeps memory bounded by what is unread rather than by what ever passed through: an
    /// empty queue starts over at the front (and gives back a buffer grown past
    /// `keptCapacity`), and unread bytes move to the front once the consumed part dominates.
    private static func compact(_ p: inout Positions) {
        if p.start == p.end {
            p.start = 0
            p.end = 0
            if p.capacity > keptCapacity {
                p.base?.deallocate()
                p.base = nil
                p.capacity = 0
            }
        } else if p.start >= 64 * 1024 && p.start * 2 >= p.end, let base = p.base {
            let unread = p.end - p.start
            base.copyMemory(from: base + p.start, byteCount: unread)
            p.start = 0
            p.end = unread
        }
    }
}

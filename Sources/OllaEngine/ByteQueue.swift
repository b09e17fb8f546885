/// A FIFO of bytes: appended at the back by one side, drained from the front by the other.
/// Storage is reused across a request's life, so a steady stream allocates nothing per chunk.
///
/// The bytes live in a reference (`Storage`), not in a value array: a queue sits inside the
/// request state machine's enum payloads, and mutating a payload goes through a copy of the
/// enum value that the `switch` keeps alive, so a value array there is not uniquely referenced
/// and every append copied the whole queue (60 M instructions per MiB of a bulk answer, against
/// 3 M with the bytes in a reference). A queue has one owner (its request, under the exchange's
/// lock), so copies of a `ByteQueue` share their bytes; nothing copies one to keep it but an
/// answer's tail (`AnswerTail`), which reads the answer's last bytes where they lie.
///
/// The storage is a raw buffer with its positions in a `ManagedBuffer` header, reached through
/// a pointer: appending and draining are a `memcpy` each, without the run-time exclusivity
/// checks every access to a class's `var` costs (`swift_beginAccess`, ~80 instructions each)
/// or an array's bookkeeping; both ran once or twice per forwarded chunk.
public struct ByteQueue: Sendable {
    /// Where the bytes are: `base[start..<end]` is unread, `capacity` bytes are allocated;
    /// `base[0..<start]` were drained and are still there (bytes are appended in order from
    /// the front after every move), of which up to `keptDrained` are kept when bytes move.
    fileprivate struct Positions {
        var base: UnsafeMutableRawPointer?
        var capacity = 0
        var start = 0
        var end = 0
        /// How many drained bytes to keep when the bytes move (`keepDrained`); 0: none.
        var keptDrained = 0
        /// `base` is the storage object's own tail (`init(inlineCapacity:)`): never freed alone.
        var baseIsInline = false

        /// Where the bytes worth keeping begin: the unread ones, and up to `keptDrained` before them.
        var keepFrom: Int { keptDrained == 0 ? start : max(0, start - keptDrained) }
    }

    /// The buffer, freed with the last copy of the queue.
    fileprivate final class Storage: ManagedBuffer<Positions, UInt8> {
        deinit {
            _ = withUnsafeMutablePointerToHeader { ByteQueue.freeBuffer(&$0.pointee) }
        }
    }

    /// Confined to the owning exchange's lock, like the queue itself.
    private nonisolated(unsafe) let storage: Storage

    /// An empty queue (nothing allocated for bytes until the first append).
    public init() {
        storage = unsafeDowncast(Storage.create(minimumCapacity: 0) { _ in Positions() }, to: Storage.self)
    }

    /// An empty queue whose first `inlineCapacity` bytes of room are allocated with it, in
    /// one allocation (a backend's answer: its queue takes bytes at once, and the buffer
    /// allocated on the first append was a second `malloc` and `free` per request). Bytes
    /// that outgrow it move to a buffer of their own, as from any other.
    public init(inlineCapacity: Int) {
        let storage = unsafeDowncast(Storage.create(minimumCapacity: inlineCapacity) { _ in Positions() }, to: Storage.self)
        storage.withUnsafeMutablePointers { positions, elements in
            positions.pointee.base = UnsafeMutableRawPointer(elements)
            positions.pointee.capacity = inlineCapacity
            positions.pointee.baseIsInline = true
        }
        self.storage = storage
    }

    /// Frees the buffer unless it is the storage's own tail, leaving no buffer.
    fileprivate static func freeBuffer(_ p: inout Positions) {
        if !p.baseIsInline { p.base?.deallocate() }
        p.base = nil
        p.baseIsInline = false
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

    /// Keeps up to `count` drained bytes behind the unread ones from now on, so the last bytes
    /// that went through the queue can be read (`withLastBytes`) without a copy of each append.
    public func keepDrained(_ count: Int) {
        withPositions { $0.keptDrained = count }
    }

    /// Runs `body` on the last bytes appended, drained or not: the unread ones and the
    /// drained ones still kept (`keepDrained`), at most `limit`.
    public func withLastBytes<R>(_ limit: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (base, from, end) = withPositions { p in (p.base, max(p.end - limit, p.keepFrom), p.end) }
        return try body(UnsafeRawBufferPointer(start: base.map { $0 + from }, count: end - from))
    }

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

    /// Drops the first `count` queued bytes (at most all of them), as `drain` does once it
    /// copied them out: for bytes that were sent from where they lie (`withUnsafeBytes`).
    public mutating func drop(_ count: Int) {
        withPositions { p in
            p.start += min(max(count, 0), p.end - p.start)
            Self.compact(&p)
        }
    }

    /// Runs `body` on the queued bytes, front first, without consuming them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (base, start, end) = withPositions { ($0.base, $0.start, $0.end) }
        return try body(UnsafeRawBufferPointer(start: base.map { $0 + start }, count: end - start))
    }

    /// Makes room for `count` more bytes at the back: the bytes worth keeping (unread, and
    /// kept drained ones) move to the front when that is enough, else the buffer grows (at
    /// least doubling).
    private static func makeRoom(_ count: Int, in p: inout Positions) {
        if p.end + count <= p.capacity { return }
        let kept = p.end - p.keepFrom
        if kept + count <= p.capacity, p.base != nil {
            moveToFront(&p)
        } else {
            reallocate(&p, capacity: max(minimumCapacity, 2 * p.capacity, kept + count))
        }
    }

    /// Moves the bytes worth keeping to the front of the buffer.
    private static func moveToFront(_ p: inout Positions) {
        let from = p.keepFrom
        if from > 0, let base = p.base { base.copyMemory(from: base + from, byteCount: p.end - from) }
        p.start -= from
        p.end -= from
    }

    /// Moves the bytes worth keeping into a new buffer of `capacity` bytes (none: freed).
    private static func reallocate(_ p: inout Positions, capacity: Int) {
        let from = p.keepFrom
        let kept = p.end - from
        let moved = capacity > 0 ? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16) : nil
        if let base = p.base, let moved { moved.copyMemory(from: base + from, byteCount: kept) }
        freeBuffer(&p)
        p.base = moved
        p.capacity = capacity
        p.start -= from
        p.end = kept
    }

    /// Keeps memory bounded by what is unread (and kept) rather than by what ever passed
    /// through: an empty queue starts over at the front (and gives back a buffer grown past
    /// `keptCapacity`, keeping its kept drained bytes in a small one), and the bytes worth
    /// keeping move to the front once the consumed part dominates.
    private static func compact(_ p: inout Positions) {
        if p.start == p.end && p.keptDrained == 0 {
            p.start = 0
            p.end = 0
            if p.capacity > keptCapacity {
                freeBuffer(&p)
                p.capacity = 0
            }
        } else if p.start == p.end && p.capacity > keptCapacity {
            reallocate(&p, capacity: max(minimumCapacity, 2 * p.keptDrained))
        } else if p.start >= 64 * 1024 && p.start * 2 >= p.end {
            moveToFront(&p)
        }
    }
}

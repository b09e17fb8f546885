import Testing
@testable import OllaEngine

/// `ByteQueue`'s buffer: bytes come out in order through growth, moves to the front and
/// compaction, copies share the bytes, and memory follows what is unread. Each test runs on
/// a queue without a buffer and on queues whose first buffer is inline (`init(inlineCapacity:)`,
/// a backend answer's): smaller than one append, and as large as the smallest buffer.
@Suite struct ByteQueueBufferTests {
    static let inlineCapacities = [0, 16, ByteQueue.minimumCapacity]

    private static func queue(_ inline: Int) -> ByteQueue {
        inline == 0 ? ByteQueue() : ByteQueue(inlineCapacity: inline)
    }

    private func append(_ queue: inout ByteQueue, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { queue.append($0) }
    }

    private func drain(_ queue: inout ByteQueue, max: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max)
        let n = out.withUnsafeMutableBytes { queue.drain(into: $0) }
        return Array(out[..<n])
    }

    private func pattern(_ count: Int, from start: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: start + $0) }
    }

    @Test(arguments: Self.inlineCapacities) func interleavedAppendsAndDrainsKeepTheOrder(inline: Int) {
        var queue = Self.queue(inline)
        var expected: [UInt8] = [], got: [UInt8] = []
        var next = 0
        // Sizes that force growth, moves to the front and partial drains.
        for (i, size) in [1, 700, 3000, 5, 1024, 70_000, 13, 200_000, 1].enumerated() {
            let bytes = pattern(size, from: next)
            next += size
            expected += bytes
            append(&queue, bytes)
            got += drain(&queue, max: i.isMultiple(of: 2) ? size / 2 + 1 : 4096)
        }
        while queue.count > 0 { got += drain(&queue, max: 999) }
        #expect(got == expected)
        #expect(drain(&queue, max: 10).isEmpty)
    }

    @Test(arguments: Self.inlineCapacities) func theUnreadBytesAreVisibleWithoutConsumingThem(inline: Int) {
        var queue = Self.queue(inline)
        queue.withUnsafeBytes { #expect($0.isEmpty) }
        append(&queue, Array("abcdef".utf8))
        _ = drain(&queue, max: 2)
        queue.withUnsafeBytes { #expect(Array($0) == Array("cdef".utf8)) }
        #expect(queue.count == 4)
        queue.append("gh")
        queue.withUnsafeBytes { #expect(Array($0) == Array("cdefgh".utf8)) }
    }

    @Test(arguments: Self.inlineCapacities) func copiesShareTheirBytes(inline: Int) {
        var queue = Self.queue(inline)
        var copy = queue
        append(&copy, Array("xyz".utf8))
        #expect(queue.count == 3, "one queue, whoever holds it")
        #expect(drain(&queue, max: 8) == Array("xyz".utf8))
        #expect(copy.count == 0)
    }

    @Test(arguments: Self.inlineCapacities) func aLargeDrainedBufferIsGivenBackAndTheQueueStillWorks(inline: Int) {
        var queue = Self.queue(inline)
        append(&queue, pattern(3 << 20, from: 0))
        var total = 0
        while queue.count > 0 { total += drain(&queue, max: 64 * 1024).count }
        #expect(total == 3 << 20)
        append(&queue, Array("again".utf8))
        #expect(drain(&queue, max: 16) == Array("again".utf8))
    }

    @Test(arguments: Self.inlineCapacities) func aMostlyConsumedQueueMovesItsRestToTheFront(inline: Int) {
        var queue = Self.queue(inline)
        let bytes = pattern(200_000, from: 7)
        append(&queue, bytes)
        let first = drain(&queue, max: 150_000)
        // What is left is unchanged by the move, and appends land behind it.
        append(&queue, pattern(10, from: 0))
        var rest: [UInt8] = []
        while queue.count > 0 { rest += drain(&queue, max: 4096) }
        #expect(first + rest == bytes + pattern(10, from: 0))
    }

    /// What `withLastBytes(limit)` must show after a history of appends and drains: the last
    /// bytes appended, at most the unread ones plus `kept` drained ones, at most `limit`.
    private func expectedLast(_ appended: [UInt8], unread: Int, kept: Int, limit: Int) -> [UInt8] {
        Array(appended.suffix(min(limit, unread + kept)))
    }

    @Test(arguments: Self.inlineCapacities) func keptDrainedBytesStayReadableThroughMovesGrowthAndCompaction(inline: Int) {
        var queue = Self.queue(inline)
        let kept = 8192
        queue.keepDrained(kept)
        var appended: [UInt8] = [], got: [UInt8] = []
        var next = 0
        // Chunk sizes like a stream's (small records) and a bulk answer's (past the 1 MiB a
        // drained buffer is given back at), drained to empty or partly.
        for (i, size) in [1, 160, 160, 4000, 5000, 9000, 3, 160, 70_000, 200, 2 << 20, 17, 160, 160].enumerated() {
            let bytes = pattern(size, from: next)
            next += size
            appended += bytes
            append(&queue, bytes)
            got += drain(&queue, max: i.isMultiple(of: 3) ? size / 2 + 1 : size + 100_000)
            let unread = queue.count
            for limit in [0, 1, 100, 4096, kept, 2 * kept] {
                // Only what the queue must keep is checked: it may keep more drained bytes
                // until they move (up to the limit asked, they are the right ones).
                let shown = queue.withLastBytes(limit) { Array($0) }
                let least = expectedLast(appended, unread: unread, kept: kept, limit: limit)
                #expect(shown.count >= least.count && shown.count <= limit, "size \(size) limit \(limit)")
                #expect(shown == Array(appended.suffix(shown.count)), "size \(size) limit \(limit)")
            }
        }
        while queue.count > 0 { got += drain(&queue, max: 999) }
        #expect(got == appended)
    }

    @Test(arguments: Self.inlineCapacities) func aQueueThatKeepsNothingShowsOnlyItsUnreadBytes(inline: Int) {
        var queue = Self.queue(inline)
        append(&queue, Array("abcdef".utf8))
        _ = drain(&queue, max: 4)
        queue.withLastBytes(100) { #expect(Array($0) == Array("ef".utf8)) }
        _ = drain(&queue, max: 4)
        queue.withLastBytes(100) { #expect($0.isEmpty) }
    }

    @Test(arguments: Self.inlineCapacities) func keptBytesDoNotGrowTheBufferOfAShortStream(inline: Int) {
        var queue = Self.queue(inline)
        queue.keepDrained(8192)
        for i in 0..<100 {
            append(&queue, pattern(160, from: i))
            _ = drain(&queue, max: 4096)
        }
        // 100 records of 160 bytes, each drained at once: the buffer holds the kept 8 KiB and
        // one record, so it grew to 16 KiB and no further.
        queue.withLastBytes(1 << 20) { #expect($0.count >= 8192 && $0.count <= 16 * 1024) }
    }
}

/// An answer's tail (`AnswerTail`): the backend's last bytes, read in its response queue.
@Suite struct AnswerTailTests {
    @Test func theTailFollowsTheQueueUntilFrozen() {
        var queue = ByteQueue()
        var tail = AnswerTail(following: queue, limit: 8)
        #expect(tail.isEmpty)
        "0123456789".utf8CString.dropLast().withUnsafeBytes { queue.append($0) }
        var out = [UInt8](repeating: 0, count: 10)
        _ = out.withUnsafeMutableBytes { queue.drain(into: $0) }
        #expect(tail.bytes == Array("23456789".utf8), "drained bytes stay in the tail")
        tail.freeze()
        queue.append("\n{\"error\":\"x\"}\n")
        #expect(tail.bytes == Array("23456789".utf8), "Olla's error record is not the backend's")
        #expect(!tail.isEmpty)
    }

    @Test func noTailIsEmpty() {
        let tail = AnswerTail()
        #expect(tail.isEmpty && tail.bytes.isEmpty)
    }
}

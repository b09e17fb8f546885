import Testing
@testable import OllaEngine

/// `ByteQueue`'s buffer: bytes come out in order through growth, moves to the front and
/// compaction, copies share the bytes, and memory follows what is unread.
@Suite struct ByteQueueBufferTests {
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

    @Test func interleavedAppendsAndDrainsKeepTheOrder() {
        var queue = ByteQueue()
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

    @Test func theUnreadBytesAreVisibleWithoutConsumingThem() {
        var queue = ByteQueue()
        queue.withUnsafeBytes { #expect($0.isEmpty) }
        append(&queue, Array("abcdef".utf8))
        _ = drain(&queue, max: 2)
        queue.withUnsafeBytes { #expect(Array($0) == Array("cdef".utf8)) }
        #expect(queue.count == 4)
        queue.append("gh")
        queue.withUnsafeBytes { #expect(Array($0) == Array("cdefgh".utf8)) }
    }

    @Test func copiesShareTheirBytes() {
        var queue = ByteQueue()
        var copy = queue
        append(&copy, Array("xyz".utf8))
        #expect(queue.count == 3, "one queue, whoever holds it")
        #expect(drain(&queue, max: 8) == Array("xyz".utf8))
        #expect(copy.count == 0)
    }

    @Test func aLargeDrainedBufferIsGivenBackAndTheQueueStillWorks() {
        var queue = ByteQueue()
        append(&queue, pattern(3 << 20, from: 0))
        var total = 0
        while queue.count > 0 { total += drain(&queue, max: 64 * 1024).count }
        #expect(total == 3 << 20)
        append(&queue, Array("again".utf8))
        #expect(drain(&queue, max: 16) == Array("again".utf8))
    }

    @Test func aMostlyConsumedQueueMovesItsRestToTheFront() {
        var queue = ByteQueue()
        let bytes = pattern(200_000, from: 7)
        append(&queue, bytes)
        let first = drain(&queue, max: 150_000)
        // What is left is unchanged by the move, and appends land behind it.
        append(&queue, pattern(10, from: 0))
        var rest: [UInt8] = []
        while queue.count > 0 { rest += drain(&queue, max: 4096) }
        #expect(first + rest == bytes + pattern(10, from: 0))
    }
}

import Testing
@testable import OllaUpstream
@testable import OllaEngine
import OllaCore
import OllaTestSupport

/// The pool of idle easy handles (real, never started libcurl handles: no socket is opened).
@Suite struct TransferTableTests {
    /// A table whose pool holds `count` idle handles, and the handles in the order returned.
    private func pool(of count: Int) throws -> (TransferTable, [EasyHandle]) {
        let table = TransferTable()
        let handles = try (0..<count).map { _ in try table.takeHandle() }
        for handle in handles { table.giveBack(handle) }
        return (table, handles)
    }

    @Test func shedKeepsTheMostRecentlyReturnedHandles() throws {
        let (table, handles) = try pool(of: 6)
        table.releaseIdleHandles(keeping: 2)
        #expect(table.idleHandleCount == 2)
        // The pool lends the most recently returned handle first: those are the ones kept.
        #expect(try table.takeHandle() === handles[5])
        #expect(try table.takeHandle() === handles[4])
        #expect(table.idleHandleCount == 0)
    }

    @Test func shedBelowTheKeptCountChangesNothing() throws {
        let (table, _) = try pool(of: 3)
        table.releaseIdleHandles(keeping: 16)
        #expect(table.idleHandleCount == 3)
    }

    @Test func releaseWithoutACountFreesEveryIdleHandle() throws {
        let (table, _) = try pool(of: 4)
        table.releaseIdleHandles()
        #expect(table.idleHandleCount == 0)
    }

    @Test func thePoolStopsGrowingAtItsLimit() throws {
        let (table, _) = try pool(of: TransferTable.poolLimit + 3)
        #expect(table.idleHandleCount == TransferTable.poolLimit)
    }
}

/// A delegate that ignores everything (the table never calls it).
private final class SilentDelegate: TransferDelegate, @unchecked Sendable {
    func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition { .accept }
    func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance { .accepted }
    func upstreamFinished(_ failure: UpstreamFailure?) {}
    func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead { .end }
    var holdsAnswerPaused: Bool { false }
}

/// Running transfers found by id and by their easy handle (which leads back to its pooled
/// `EasyHandle` through `CURLOPT_PRIVATE`).
@Suite struct TransferTableLookupTests {
    private func transfer(_ id: UInt64, on handle: EasyHandle) -> Transfer {
        let request = UpstreamRequest(transferID: id, url: "http://127.0.0.1:1/", method: "GET", headers: [],
                                      bodyLength: nil, connectTimeout: .seconds(1), firstByteTimeout: nil, idleTimeout: nil)
        return Transfer(request: request, delegate: SilentDelegate(), easy: handle.easy, now: .now)
    }

    @Test func aRunningTransferIsFoundByIdAndByItsEasyHandle() throws {
        let table = TransferTable()
        let first = try table.takeHandle(), second = try table.takeHandle()
        #expect(EasyHandle.owning(first.easy) === first)
        let a = transfer(1, on: first), b = transfer(2, on: second)
        table.add(a, on: first)
        table.add(b, on: second)
        #expect(table[1] === a && table[2] === b)
        #expect(table[first.easy] === a && table[second.easy] === b)
        #expect(!table.isEmpty)

        table.remove(a)
        #expect(table[1] == nil && table[first.easy] == nil)
        #expect(table[second.easy] === b)
        #expect(table.idleHandleCount == 1)
        // The pooled handle carries the next transfer.
        let reused = try table.takeHandle()
        #expect(reused === first)
        let c = transfer(3, on: reused)
        table.add(c, on: reused)
        #expect(table[first.easy] === c)
        table.remove(c)
        table.remove(b)
        #expect(table.isEmpty && table.idleHandleCount == 2)
    }

    @Test func anEasyHandleNoPoolMadeHasNoTransfer() throws {
        let easy = try Curl.easyInit()
        defer { Curl.cleanup(easy) }
        #expect(EasyHandle.owning(easy) == nil)
        #expect(TransferTable()[easy] == nil)
    }

    @Test func removingTwiceIsHarmless() throws {
        let table = TransferTable()
        let handle = try table.takeHandle()
        let a = transfer(1, on: handle)
        table.add(a, on: handle)
        table.remove(a)
        table.remove(a)
        #expect(table.idleHandleCount == 1 && table.isEmpty)
    }
}

/// `TransfersByID` (the table by id) against a dictionary: every transfer found by its id after
/// any sequence of inserts, replacements and removals, through growth and through runs of ids
/// that share slots (removal moves the rest of a run back).
@Suite struct TransfersByIDTests {
    /// The easy handle the transfers name (never started: the table only reads their ids).
    private let handle: EasyHandle

    init() throws { handle = try EasyHandle() }

    private func transfer(_ id: UInt64) -> Transfer {
        let request = UpstreamRequest(transferID: id, url: "http://127.0.0.1:1/", method: "GET", headers: [],
                                      bodyLength: nil, connectTimeout: .seconds(1), firstByteTimeout: nil, idleTimeout: nil)
        return Transfer(request: request, delegate: SilentDelegate(), easy: handle.easy, now: .now)
    }

    private func expectSame(_ table: TransfersByID, _ reference: [UInt64: Transfer], ids: ClosedRange<UInt64>) {
        #expect(table.count == reference.count)
        #expect(table.isEmpty == reference.isEmpty)
        for id in ids { #expect(table[id] === reference[id], "id \(id)") }
        #expect(Set(table.all.map(ObjectIdentifier.init)) == Set(reference.values.map(ObjectIdentifier.init)))
        var visited = 0
        table.forEach { transfer in
            visited += 1
            #expect(reference[transfer.transferID] === transfer)
        }
        #expect(visited == reference.count)
    }

    @Test func agreesWithADictionaryThroughRandomInsertsAndRemovals() throws {
        var generator = SplitMix64(seed: 0x5EED)
        for round in 0..<20 {
            // Few distinct ids in a small table early on: long runs and many wrap-arounds.
            let idRange: ClosedRange<UInt64> = 0...UInt64(8 + round * 12)
            var table = TransfersByID(capacity: 8)
            var reference: [UInt64: Transfer] = [:]
            for _ in 0..<400 {
                let id = generator.next() % (idRange.upperBound + 1)
                if generator.next() % 3 == 0, let present = reference[id] {
                    table.remove(present)
                    reference[id] = nil
                } else {
                    let added = transfer(id)
                    table.insert(added)
                    reference[id] = added
                }
            }
            expectSame(table, reference, ids: idRange)
            for id in idRange.shuffled(using: &generator) {
                if let present = reference[id] {
                    table.remove(present)
                    reference[id] = nil
                    expectSame(table, reference, ids: idRange)
                }
            }
            #expect(table.isEmpty)
        }
    }

    @Test func removingAnotherTransferWithTheSameIdLeavesTheTableAlone() throws {
        var table = TransfersByID()
        let kept = transfer(7), stranger = transfer(7)
        table.insert(kept)
        table.remove(stranger)
        #expect(table[7] === kept && table.count == 1)
        table.remove(kept)
        table.remove(kept)
        #expect(table[7] == nil && table.isEmpty)
    }

    @Test func aTransferWithAPresentIdReplacesIt() throws {
        var table = TransfersByID()
        let first = transfer(3), retry = transfer(3)
        table.insert(first)
        table.insert(retry)
        #expect(table[3] === retry && table.count == 1)
    }

    @Test func growsPastHalfFullAndKeepsEveryTransfer() throws {
        var table = TransfersByID(capacity: 8)
        let transfers = (1...1000).map { transfer(UInt64($0) << 32) }
        for transfer in transfers { table.insert(transfer) }
        #expect(table.count == 1000)
        for transfer in transfers { #expect(table[transfer.transferID] === transfer) }
    }
}

import Testing
@testable import OllaUpstream
@testable import OllaEngine
import OllaCore

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

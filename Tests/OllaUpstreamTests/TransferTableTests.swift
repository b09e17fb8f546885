import Testing
@testable import OllaUpstream

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

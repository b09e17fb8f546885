import Testing
@testable import OllaCore

/// `StoredInstant` and the records that store their instants with it: the same values, order
/// and equality as the instants themselves.
@Suite struct StoredInstantTests {
    private let t0 = ContinuousClock.now

    @Test(arguments: [0, 1, -1, 999_999_999, -86_400_000_000_000, 3_600_000_000_123])
    func anInstantComesBackExactly(nanoseconds: Int64) {
        let instant = t0 + .nanoseconds(nanoseconds)
        #expect(StoredInstant(instant).instant == instant)
        let attoseconds = instant + Duration(secondsComponent: 0, attosecondsComponent: 7)
        #expect(StoredInstant(attoseconds).instant == attoseconds)
    }

    @Test func orderAndEqualityAreTheInstants() {
        let instants = [t0 - .seconds(5), t0, t0 + .nanoseconds(1), t0 + .seconds(30)]
        for a in instants {
            for b in instants {
                #expect((StoredInstant(a) < StoredInstant(b)) == (a < b))
                #expect((StoredInstant(a) == StoredInstant(b)) == (a == b))
                #expect(max(StoredInstant(a), StoredInstant(b)).instant == max(a, b))
            }
        }
    }

    @Test func aResidentModelReadsBackWhatWasWritten() {
        let ready = t0 + .seconds(3)
        var model = ResidentModel(name: "m", phase: .loading(readyAt: ready), lastUsed: t0, expiresAt: t0 + .seconds(300))
        #expect(model.phase == .loading(readyAt: ready))
        #expect(model.isLoading(now: t0))
        #expect(model.secondsUntilReady(now: t0) == 3)
        #expect(model.lastUsed == t0 && model.expiresAt == t0 + .seconds(300))
        model.keepUntilAtLeast(t0 + .seconds(200))
        #expect(model.expiresAt == t0 + .seconds(300), "an earlier expiry keeps the later one")
        model.keepUntilAtLeast(t0 + .seconds(400))
        #expect(model.expiresAt == t0 + .seconds(400))
        var marked = model
        marked.markLoaded()
        model.phase = .loaded
        #expect(marked == model)
        #expect(model.phase == .loaded && !model.isLoading(now: t0) && model.secondsUntilReady(now: t0) == 0)
        model.phase = .loading(readyAt: ready)
        #expect(model.phase == .loading(readyAt: ready))
        #expect(model != marked)
        model.lastUsed = t0 + .seconds(1)
        #expect(model.lastUsed == t0 + .seconds(1))
    }

    @Test func aRunningRequestKnowsWhetherItsFirstByteCame() {
        var request = RunningRequest(model: "m", dispatchedAt: t0, expectedColdLoad: false, estimatedWait: 0)
        #expect(!request.hasFirstByte && request.firstByteAt == nil && request.dispatchedAt == t0)
        request.firstByteAt = t0 + .milliseconds(250)
        #expect(request.hasFirstByte && request.firstByteAt == t0 + .milliseconds(250))
        request.firstByteAt = nil
        #expect(!request.hasFirstByte)
        request.dispatchedAt = t0 + .seconds(1)
        #expect(request.dispatchedAt == t0 + .seconds(1))
    }
}

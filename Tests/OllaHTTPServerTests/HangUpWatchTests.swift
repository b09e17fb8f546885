import Testing
@testable import OllaHTTPServer

@Suite struct HangUpWatchTests {
    @Test func socketsAreWatchedUntilUnwatchedWhateverTheirNumber() {
        var watch = HangUpWatch()
        #expect(!watch.isWatched(5))
        let neverWatched = watch.unwatch(5)
        #expect(!neverWatched, "a socket never watched is not in the epoll set")
        for fd: Int32 in [5, 0, 63, 64, 1000, 70_000] {
            watch.watch(fd)
        }
        for fd: Int32 in [0, 5, 63, 64, 1000, 70_000] {
            #expect(watch.isWatched(fd), "\(fd)")
        }
        for fd: Int32 in [1, 4, 6, 65, 999, 1001, 69_999, 70_001] {
            #expect(!watch.isWatched(fd), "\(fd)")
        }
        let first = watch.unwatch(1000)
        #expect(first)
        #expect(!watch.isWatched(1000))
        let second = watch.unwatch(1000)
        #expect(!second, "unwatched once only")
        #expect(watch.isWatched(70_000))
    }

    @Test func aSocketWithoutARequestHasNoneToTake() {
        var watch = HangUpWatch()
        watch.setRequest(nil, of: 100_000)  // clearing beyond the table does not grow it
        let beyond = watch.takeRequest(of: 100_000)
        #expect(beyond == nil)
        watch.watch(3)
        let none = watch.takeRequest(of: 3)
        #expect(none == nil)
        watch.removeAll()
        #expect(!watch.isWatched(3))
    }
}

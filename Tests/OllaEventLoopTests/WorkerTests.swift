import Glibc
import Synchronization
import Testing
@testable import OllaEventLoop

/// A driver that records what the worker calls, and watches a pipe (no sockets).
private final class RecordingDriver: EventDriver, @unchecked Sendable {
    struct Log { var attached = 0; var rounds = 0; var ready: [(Int32, Worker.Events)] = []; var stopped = 0; var offLoop = 0 }
    let log = Mutex(Log())
    var worker: Worker?
    var watched: Int32 = -1

    func attached(to worker: Worker) {
        self.worker = worker
        log.withLock { $0.attached += 1 }
        if watched >= 0 { try! worker.watch(watched, events: .readable, for: self) }
    }
    func process(now: LoopTime) { note(); log.withLock { $0.rounds += 1 } }
    func descriptorReady(_ fd: Int32, events: Worker.Events) {
        note()
        var byte: UInt8 = 0
        _ = read(fd, &byte, 1)
        log.withLock { $0.ready.append((fd, events)) }
    }
    func eventsHandled(now: LoopTime) { note() }
    func tick(now: LoopTime) { note() }
    var hasPendingWork: Bool { false }
    var needsTicks: Bool { false }
    func timeout(now: LoopTime) -> Duration? { nil }
    func workerStopped() { note(); log.withLock { $0.stopped += 1 } }

    private func note() {
        if worker?.isInLoop != true { log.withLock { $0.offLoop += 1 } }
    }
}

@Suite struct WorkerTests {
    private func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }

    @Test func runsPostedWorkOnItsThread() throws {
        let worker = try Worker(name: "test")
        try worker.start()
        let ranInLoop = Mutex<Bool?>(nil)
        worker.execute { ranInLoop.withLock { $0 = worker.isInLoop } }
        #expect(eventually { ranInLoop.withLock { $0 } != nil })
        #expect(ranInLoop.withLock { $0 } == true)
        #expect(!worker.isInLoop)
        worker.stop()
    }

    @Test func dispatchesAReadyDescriptorToItsDriverOnTheLoopThread() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let worker = try Worker(name: "test")
        let driver = RecordingDriver()
        driver.watched = fds[0]
        worker.register(driver)
        try worker.start()
        var byte: UInt8 = 7
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(eventually { !driver.log.withLock { $0.ready.isEmpty } })
        worker.stop()
        let log = driver.log.withLock { $0 }
        #expect(log.attached == 1)
        #expect(log.ready.count == 1)
        #expect(log.ready.first?.0 == fds[0])
        #expect(log.ready.first?.1.contains(.readable) == true)
        #expect(log.rounds >= 2)
        #expect(log.stopped == 1)
        #expect(log.offLoop == 0, "every driver entry ran on the loop thread")
    }

    @Test func driversRegisteredWhileRunningAreAttachedOnTheLoop() throws {
        let worker = try Worker(name: "test")
        try worker.start()
        let driver = RecordingDriver()
        worker.register(driver)
        #expect(eventually { driver.log.withLock { $0.rounds } > 0 })
        worker.stop()
        #expect(driver.log.withLock { $0.attached } == 1)
        #expect(driver.log.withLock { $0.offLoop } == 0)
    }

    /// The daemon registers its HTTP server after the worker started; a client may already be
    /// waiting on the listening socket, so the new driver's descriptor is ready in the very
    /// round that attached it (this trapped with an index out of range under callgrind).
    @Test func aDriverRegisteredWhileRunningGetsEventsReadyInItsFirstRound() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        let worker = try Worker(name: "test")
        try worker.start()
        let driver = RecordingDriver()
        driver.watched = fds[0]
        worker.register(driver)
        #expect(eventually { !driver.log.withLock { $0.ready.isEmpty } })
        worker.stop()
        #expect(driver.log.withLock { $0.ready.first?.0 } == fds[0])
        #expect(driver.log.withLock { $0.offLoop } == 0)
    }

    @Test func workPostedAfterStopNeverRuns() throws {
        let worker = try Worker(name: "test")
        try worker.start()
        worker.stop()
        let ran = Atomic<Bool>(false)
        worker.execute { ran.store(true, ordering: .relaxed) }
        usleep(20_000)
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    @Test func epollDataCarriesDescriptorAndDriver() {
        let data = Worker.data(fd: 12345, driver: 3)
        #expect(Int32(truncatingIfNeeded: data) == 12345)
        #expect(data >> 32 == 3)
        #expect(data != EventPoller.wakeData)
    }
}

/// `EventPoller.park`: a descriptor left in the epoll set between two watches (libcurl's
/// backend connections between transfers).
@Suite struct EventPollerParkTests {
    private let readable = Worker.Events.readable.rawValue

    private func events(_ poller: EventPoller) -> [UInt64] {
        var seen: [UInt64] = []
        poller.wait(timeoutMilliseconds: 0) { data, _ in seen.append(data) }
        return seen
    }

    private func makePipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    private func send(_ fd: Int32) {
        var byte: UInt8 = 1
        precondition(write(fd, &byte, 1) == 1)
    }

    /// Parked, it stays in the set (its events still come); watched again with what it was
    /// watched for before, it is re-armed, not skipped as unchanged.
    @Test func aParkedDescriptorStaysInTheSetAndIsWatchedAgain() throws {
        let poller = try EventPoller()
        let pipe = makePipe()
        defer { close(pipe.read); close(pipe.write) }
        try poller.watch(pipe.read, events: readable, data: 7)
        poller.park(pipe.read)
        #expect(poller.isWatching(pipe.read))
        send(pipe.write)
        #expect(events(poller) == [7], "a parked descriptor's events still arrive: its owner drops them")
        try poller.watch(pipe.read, events: readable, data: 7)
        #expect(events(poller) == [7])
        poller.forget(pipe.read)
        #expect(events(poller).isEmpty)
    }

    /// A parked descriptor closed without `forget` (libcurl closes cached connections
    /// without telling) leaves the kernel's set by itself; a new descriptor that gets the same
    /// number and is watched for the same events with the same data must still be added —
    /// skipping the watch as "unchanged" would leave it unwatched for good. The number is
    /// reused with `dup2`, which closes the old file and takes its number in one step: tests
    /// run in parallel in this process, so "the kernel gives the lowest free number" after a
    /// `close` could hand that number to another test's descriptor first.
    @Test func aParkedNumberClosedAndReusedIsWatchedAnew() throws {
        let poller = try EventPoller()
        let first = makePipe()
        defer { close(first.read); close(first.write) }
        try poller.watch(first.read, events: readable, data: 9)
        poller.park(first.read)
        let second = makePipe()
        defer { close(second.write) }
        try #require(dup2(second.read, first.read) == first.read)
        close(second.read)
        try poller.watch(first.read, events: readable, data: 9)
        send(second.write)
        #expect(events(poller) == [9])
    }
}

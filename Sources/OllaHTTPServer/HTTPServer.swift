import CMicroHTTPD
import Glibc
import Synchronization
import OllaCore
import OllaEngine
import OllaEventLoop

/// The inbound HTTP server of one worker: a libmicrohttpd daemon in external-epoll mode,
/// one of the two `EventDriver`s of its `Worker` (the other is that worker's `CurlTransport`),
/// so a request never changes threads. Workers share the port with SO_REUSEPORT and
/// the kernel spreads connections across them. Every connection can be suspended while the
/// backend has nothing to send.
public final class HTTPServer: EventDriver, @unchecked Sendable {
    /// What the server listens on and the limits libmicrohttpd enforces.
    public struct Options: Sendable {
        /// The address to bind (`server.host`; empty: every address).
        public var host: String
        /// The TCP port (`server.port`; 0: any free port).
        public var port: Int
        /// Idle time allowed while a client sends its request (0: none).
        public var readTimeoutSeconds: Int
        /// Bounds one connection's request head (libmicrohttpd's per-connection pool).
        public var maxHeaderSize: Int
        /// The most connections one worker's daemon holds at once.
        public var maxConnections: Int

        /// Options as configured; `maxConnections` defaults to 65,536 per worker.
        public init(host: String, port: Int, readTimeoutSeconds: Int,
                    maxHeaderSize: Int, maxConnections: Int = 65536) {
            self.host = host
            self.port = port
            self.readTimeoutSeconds = readTimeoutSeconds
            self.maxHeaderSize = maxHeaderSize
            self.maxConnections = maxConnections
        }
    }

    /// Why the server could not start (the address, and the system's or libmicrohttpd's reason).
    public struct StartError: Error, CustomStringConvertible {
        /// The reason, for the start-up log.
        public let description: String
    }

    /// The engine every request of this server enters through.
    let engine: ProxyEngine
    /// The outbound transport of the same worker: exchanges accepted here forward through it.
    let transport: UpstreamTransport
    /// The worker whose loop drives this server (and `transport`).
    public let worker: Worker
    private let options: Options
    // Set by start() on the main thread before the worker drives this server; afterwards used
    // only on the loop thread (process, stopAccepting) or after it has ended (stop).
    // The loop-confined fields below are read every round of the worker loop: nothing else can
    // access them, so the run-time exclusivity check of a class's `var` (~80 instructions per
    // access, several per round and so per forwarded chunk) is left out.
    @exclusivity(unchecked) private var daemon: OpaquePointer?
    @exclusivity(unchecked) private var listenFD: Int32 = -1
    @exclusivity(unchecked) private var epollFD: Int32 = -1
    /// A connection was resumed since the daemon last ran (set from any thread).
    private let resumed = Atomic<Bool>(false)
    /// libmicrohttpd's epoll fd was ready since the daemon last ran (or it has not run yet,
    /// or Olla changed its listening state). Loop thread only.
    @exclusivity(unchecked) private var daemonReady = true
    /// When libmicrohttpd's own timeouts next need a run (idle connections, or at once when
    /// it left work pending); nil: none pending. Set after each run and by `timeout(now:)`.
    /// Loop thread only. A `LoopTime` (an integer), compared with the round's reading inline:
    /// an optional `ContinuousClock.Instant` (a resilient type) was copied and tested through
    /// run-time value witnesses and library calls at each look, three per round.
    @exclusivity(unchecked) private var daemonDeadline: LoopTime?
    /// Client sockets in the worker's epoll set for hang-up, and the request each one's
    /// hang-up concerns. A socket is added at its connection's first suspension and stays
    /// until the connection closes, so the requests that follow on a keep-alive connection
    /// cost no epoll_ctl. Loop thread only.
    @exclusivity(unchecked) private var hangUpWatch = HangUpWatch()
    /// Requests with a streamed response whose client may stall (`server.write_timeout`).
    /// Loop thread only.
    @exclusivity(unchecked) private var stallWatch: [ObjectIdentifier: RequestContext] = [:]
    /// The origin of the nanosecond times `ClientReadClock` compares.
    private static let clockOrigin = ContinuousClock.now
    /// The most a wait may last before libmicrohttpd's own timeouts are checked, in ms.
    static let maxTimeoutMilliseconds = 60_000
    /// The bytes a connection's libmicrohttpd pool starts with (its request head, read
    /// buffer and reply write buffer). It grows, up to `maxHeaderSize` + 16 KiB, only for a
    /// larger head, a body read or a chunked reply written in larger pieces, and goes back
    /// between requests (scripts/libmicrohttpd/0007). 4 KiB holds a usual head and, once
    /// the head is read, the chunks of a stream, as Go's net/http's 4 KiB buffers (Ollama)
    /// do. Measured by `make bench-instructions` (heap per open stream).
    static let connectionMemoryStart = 4 * 1024

    /// A server for `worker`, forwarding through `transport` (the same worker's). Call
    /// `start()`, then `worker.register(server)`.
    public init(engine: ProxyEngine, transport: UpstreamTransport, worker: Worker, options: Options) {
        self.engine = engine
        self.transport = transport
        self.worker = worker
        self.options = options
    }

    /// Binds and starts the daemon (not yet driven: register the server with its worker);
    /// returns the address actually bound. Throws when the address cannot be bound or
    /// libmicrohttpd refuses to start.
    public func start() throws(StartError) -> String {
        // Links only against the patched libmicrohttpd (see Modules/CMicroHTTPD/shim.h).
        precondition(MHD.isPatchedBuild)
        LibraryErrorBodies.install()
        let socket: ListenSocket
        do {
            socket = try ListenSocket.open(host: options.host, port: options.port, reusePort: true)
        } catch {
            throw StartError(description: error.description)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        let items: [MHD_OptionItem] = [
            MHD.option(.LISTEN_SOCKET, Int(socket.fd)),
            MHD.option(.CONNECTION_TIMEOUT, max(0, options.readTimeoutSeconds)),
            // libmicrohttpd keeps a connection's request head, its read buffer and its output
            // buffer in one pool, which may grow to this size: just above the header limit.
            // Headers up to 16 KiB past the limit still fit, so Olla answers them with its own
            // JSON 431; only larger ones meet libmicrohttpd's 431.
            MHD.option(.CONNECTION_MEMORY_LIMIT, options.maxHeaderSize + 16 * 1024),
            // The pool starts at this size and grows only where it would run out (patch 0007).
            MHD.option(.OLLA_CONNECTION_MEMORY_START, Self.connectionMemoryStart),
            MHD.option(.CONNECTION_LIMIT, options.maxConnections),
            MHD.option(.NOTIFY_COMPLETED, unsafeBitCast(ServerCallbacks.completed, to: Int.self), me),
            MHD.option(.URI_LOG_CALLBACK, unsafeBitCast(ServerCallbacks.uriLog, to: Int.self), me),
            MHD.option(.NOTIFY_CONNECTION, unsafeBitCast(ServerCallbacks.connectionNotified, to: Int.self), me),
        ]
        // No internal thread: the worker loop watches the epoll fd and calls MHD_run.
        let flags = MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_TURBO.rawValue
        let started = MHD.startDaemon(flags: flags, handler: ServerCallbacks.access, context: me, options: items)
        guard let started, let fd = MHD.epollFD(started) else {
            if let started { MHD.stopDaemon(started) }
            ListenSocket.close(socket.fd)
            throw StartError(description: "libmicrohttpd could not start on \(socket.boundDescription)")
        }
        daemon = started
        listenFD = socket.fd
        epollFD = fd
        return socket.boundDescription
    }

    // MARK: EventDriver (the worker loop thread)

    /// Watches the daemon's epoll fd; its events only wake the loop (`eventsHandled` runs the daemon).
    public func attached(to worker: Worker) {
        worker.assertInLoop()
        guard epollFD >= 0 else { return }
        do {
            try worker.watch(epollFD, events: .readable, for: self)
        } catch {
            preconditionFailure("\(worker.name): cannot watch libmicrohttpd's epoll fd: \(error)")
        }
    }

    /// Runs the daemon if something happened since the round's events were handled (posted
    /// work or a tick resumed a connection; the first round).
    public func process(now: LoopTime) {
        worker.assertInLoop()
        runDaemonIfDue(now: now)
    }

    /// Runs the daemon (accepts, reads, calls the access handler and readers, writes) when
    /// it has something to do: its epoll fd was ready, a connection was resumed, or its own
    /// timeout is due (which is "at once" while it left work pending: `MHD_get_timeout`
    /// answers 0 then). Only a ready epoll fd needs the daemon to ask its epoll set for
    /// events; otherwise the worker's wait just said that set holds none, and the daemon runs
    /// without its own `epoll_wait` (an event arriving meanwhile makes the fd ready for the
    /// next wait). Measured by `make bench-instructions`: about three syscalls per request.
    private func runDaemonIfDue(now: LoopTime) {
        guard let daemon else { return }
        // A load first: the exchange (a locked instruction) only when a resume happened.
        let wasResumed = resumed.load(ordering: .relaxed) && resumed.exchange(false, ordering: .relaxed)
        if daemonReady {
            daemonReady = false
            MHD.run(daemon)
        } else if wasResumed || daemonDeadline.map({ now >= $0 }) == true {
            MHD.runUnpolled(daemon)
        } else {
            return
        }
        // Asked here, after every run, not only by `timeout(now:)`: the worker skips asking
        // for timeouts in rounds with work pending, and a run that left work (0) must not
        // wait for a round without any.
        daemonDeadline = MHD.timeoutMilliseconds(daemon).map { now.advanced(byMilliseconds: $0) }
    }

    /// The daemon's epoll fd is ready: `eventsHandled` runs it. A watched client socket
    /// hung up: tell its exchange (once).
    public func descriptorReady(_ fd: Int32, events: Worker.Events) {
        worker.assertInLoop()
        if fd == epollFD {
            daemonReady = true
            return
        }
        // The hang-up stays readable (level-triggered): stop watching the socket at once,
        // whether or not a request is waiting on it. No request follows on it anyway.
        if hangUpWatch.unwatch(fd) { worker.forget(fd) }
        hangUpWatch.takeRequest(of: fd)?.exchange?.clientHungUp()
    }

    /// Runs the daemon once the round's events were handled (after the transport's, which may
    /// have resumed connections): in the same round, not the next. A request it reads posts
    /// its transfer's start to the transport, whose `process` at the top of the next round
    /// starts it at once; a resumed connection's answer goes out now. Either used to cost a
    /// round of its own (an `epoll_wait` with no wait) when the daemon ran only in `process`.
    public func eventsHandled(now: LoopTime) {
        worker.assertInLoop()
        runDaemonIfDue(now: now)
    }

    /// Reports clients that read nothing for longer than their stall timeout (once each).
    /// A connection libmicrohttpd holds suspended has sent everything it had: its client is
    /// not stalled, and its clock stops until the resume. (The reader that hands over a
    /// stream's last buffered bytes suspends at once, and libmicrohttpd holds that suspension
    /// until the client took them (patch 0011), so the clock keeps running until then and
    /// is stopped here.)
    public func tick(now: LoopTime) {
        worker.assertInLoop()
        guard !stallWatch.isEmpty else { return }
        let nanoseconds = ClientReadClock.nanoseconds(now.instant - Self.clockOrigin) + 2
        let stalled = stallWatch.values.filter { context in
            guard let limit = context.stallTimeout,
                  context.readClock.hasStalled(now: nanoseconds, limit: limit) else { return false }
            if MHD.isSuspended(context.connection) {
                context.readClock.pause()
                return false
            }
            return true
        }
        for context in stalled {
            stallWatch[ObjectIdentifier(context)] = nil
            context.exchange?.clientStalled()
        }
    }

    /// A connection was resumed since the daemon last ran: it must run again before sleeping.
    public var hasPendingWork: Bool { resumed.load(ordering: .relaxed) }

    /// Stall checks are needed while a streamed response has a stall limit.
    public var needsTicks: Bool { !stallWatch.isEmpty }

    /// libmicrohttpd's own next timeout (idle connections; 0 while it has work pending), at
    /// most a minute; the daemon runs once it is due.
    public func timeout(now: LoopTime) -> Duration? {
        guard let daemon, let milliseconds = MHD.timeoutMilliseconds(daemon) else {
            daemonDeadline = nil
            return nil
        }
        let bounded = min(milliseconds, Self.maxTimeoutMilliseconds)
        daemonDeadline = now.advanced(byMilliseconds: bounded)
        return .milliseconds(bounded)
    }

    /// What the worker asks once per round: a resume pending, stall checks, and the time
    /// left until the daemon's deadline as read after its last run (`runDaemonIfDue`; only a
    /// run changes it, and a resume, which sets `resumed`, leads to one) — no libmicrohttpd
    /// call per round.
    public func waitNeed(now: LoopTime) -> WaitNeed {
        WaitNeed(pendingWork: resumed.load(ordering: .relaxed), needsTicks: !stallWatch.isEmpty, deadline: daemonDeadline)
    }

    /// The loop ended: let go of the requests watched for hang-up and stall (the daemon
    /// itself is stopped by `stop()`).
    public func workerStopped() {
        hangUpWatch.removeAll()
        stallWatch.removeAll()
    }

    // MARK: Watching clients (loop thread)

    /// libmicrohttpd does not watch suspended connections: without this, a client leaving a
    /// quiet stream would go unnoticed while the backend keeps generating for nobody.
    /// Has the worker report a hang-up of `socket` to `context`'s exchange. A socket that
    /// cannot be watched (out of kernel memory) is left to libmicrohttpd's write errors, as
    /// before the watch existed.
    func watchForHangUp(_ context: RequestContext, socket: Int32) {
        worker.assertInLoop()
        if !hangUpWatch.isWatched(socket) {
            do {
                try worker.watch(socket, events: .peerHangUp, for: self)
            } catch {
                return
            }
            hangUpWatch.watch(socket)
        }
        hangUpWatch.setRequest(context, of: socket)
    }

    /// The request on `socket` is complete: its hang-up no longer concerns it. The socket stays
    /// watched for the connection's next request.
    func stopWatchingForHangUp(socket: Int32) {
        worker.assertInLoop()
        hangUpWatch.setRequest(nil, of: socket)
    }

    /// libmicrohttpd is about to close `socket` (its connection ended): it leaves the epoll
    /// set first, so a later connection that gets the same number is registered anew.
    func connectionClosed(socket: Int32) {
        worker.assertInLoop()
        hangUpWatch.setRequest(nil, of: socket)
        if hangUpWatch.unwatch(socket) { worker.forget(socket) }
    }

    func watchForStall(_ context: RequestContext) {
        stallWatch[ObjectIdentifier(context)] = context
    }

    func stopWatchingForStall(_ context: RequestContext) {
        stallWatch[ObjectIdentifier(context)] = nil
    }

    /// A connection of this server was resumed, on the loop thread (`RequestContext.resume`
    /// posts a resume decided elsewhere to the loop first): the daemon runs in the round's
    /// `eventsHandled` or next `process`, so the loop needs no wakeup (`Worker.wake` is a
    /// no-op on the loop thread, but the call cost a retain and release of the worker, once
    /// per forwarded chunk).
    func connectionResumed() {
        worker.assertInLoop()
        resumed.store(true, ordering: .relaxed)
    }

    /// Stops accepting new connections; connections already open keep being served.
    /// Call on the worker loop thread (`worker.execute`).
    public func stopAccepting() {
        worker.assertInLoop()
        guard let daemon, listenFD >= 0 else { return }
        if let fd = MHD.quiesce(daemon) { ListenSocket.close(fd) }
        listenFD = -1
        daemonReady = true
    }

    /// Stops the daemon once its worker loop has ended. Call only when no connection is
    /// suspended (see `ProxyEngine.liveCount`).
    public func stop() {
        guard let daemon else { return }
        MHD.stopDaemon(daemon)
        self.daemon = nil
    }
}

/// The client sockets an `HTTPServer` watches for hang-up, indexed by descriptor: whether
/// each is in the worker's epoll set, and the request its hang-up concerns (nil between two
/// requests of a keep-alive connection). An array, not a dictionary and a set keyed by
/// descriptor: descriptors are small integers, and a hashed lookup cost ~0.3 K instructions,
/// about three per proxied request (`make bench-instructions`). It grows to the highest
/// descriptor watched. Loop thread only.
struct HangUpWatch {
    private struct Entry {
        var watched = false
        var request: RequestContext?
    }

    private var entries: [Entry] = []

    /// Whether `fd` is in the worker's epoll set for hang-up.
    func isWatched(_ fd: Int32) -> Bool {
        Int(fd) < entries.count && entries[Int(fd)].watched
    }

    /// `fd` was added to the worker's epoll set.
    mutating func watch(_ fd: Int32) {
        grow(to: fd)
        entries[Int(fd)].watched = true
    }

    /// `fd` leaves the watch; returns whether it was in the epoll set (the caller removes it).
    mutating func unwatch(_ fd: Int32) -> Bool {
        guard Int(fd) < entries.count, entries[Int(fd)].watched else { return false }
        entries[Int(fd)].watched = false
        return true
    }

    /// Sets (or, with nil, clears) the request whose hang-up `fd`'s concerns.
    mutating func setRequest(_ request: RequestContext?, of fd: Int32) {
        if request == nil, Int(fd) >= entries.count { return }
        grow(to: fd)
        entries[Int(fd)].request = request
    }

    /// Clears and returns the request whose hang-up `fd`'s concerns.
    mutating func takeRequest(of fd: Int32) -> RequestContext? {
        guard Int(fd) < entries.count else { return nil }
        return entries[Int(fd)].request.take()
    }

    /// Forgets every socket and request (the loop ended).
    mutating func removeAll() {
        entries.removeAll()
    }

    private mutating func grow(to fd: Int32) {
        precondition(fd >= 0, "a negative descriptor")
        let needed = Int(fd) + 1
        guard needed > entries.count else { return }
        // At least doubled: descriptors come in rising order as connections open.
        entries.append(contentsOf: repeatElement(Entry(), count: max(needed, 2 * entries.count, 64) - entries.count))
    }
}

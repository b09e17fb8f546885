import CMicroHTTPD
import Glibc
import Synchronization
import OllaCore
import OllaEngine

/// The inbound HTTP server of one worker: a libmicrohttpd daemon in external-epoll mode,
/// driven by the worker's event loop (`EventDriver`) together with that worker's curl multi
/// handle, so a request never changes threads. Workers share the port with SO_REUSEPORT and
/// the kernel spreads connections across them. Every connection can be suspended while the
/// backend has nothing to send.
public final class HTTPServer: EventDriver, @unchecked Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// Idle time allowed while a client sends its request (0: none).
        public var readTimeoutSeconds: Int
        /// Bounds one connection's request head (libmicrohttpd's per-connection pool).
        public var maxHeaderSize: Int
        public var maxConnections: Int

        public init(host: String, port: Int, readTimeoutSeconds: Int,
                    maxHeaderSize: Int, maxConnections: Int = 65536) {
            self.host = host
            self.port = port
            self.readTimeoutSeconds = readTimeoutSeconds
            self.maxHeaderSize = maxHeaderSize
            self.maxConnections = maxConnections
        }
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    let engine: ProxyEngine
    /// The outbound loop of the same worker: exchanges accepted here forward through it.
    let transport: UpstreamTransport
    private let options: Options
    // Set by start() before the worker loop runs; afterwards used only on the loop thread
    // (process, stopAccepting) or after it has ended (stop).
    private var daemon: OpaquePointer?
    private var listenFD: Int32 = -1
    private var epollFD: Int32 = -1
    /// libmicrohttpd in external mode does not announce resumed connections on its epoll fd.
    private let resumed = Atomic<Bool>(false)
    /// The worker loop that watches client sockets for this server (set by `attach`).
    private var loop: DescriptorWatch?
    /// Client sockets watched for hang-up, and their requests. Loop thread only.
    private var hangUpWatch: [Int32: RequestContext] = [:]
    /// Requests with a streamed response whose client may stall (`server.write_timeout`).
    /// Loop thread only.
    private var stallWatch: [ObjectIdentifier: RequestContext] = [:]
    /// The origin of the nanosecond times `ClientReadClock` compares.
    private static let clockOrigin = ContinuousClock.now

    public init(engine: ProxyEngine, transport: UpstreamTransport, options: Options) {
        self.engine = engine
        self.transport = transport
        self.options = options
    }

    /// Binds and starts serving; returns the address actually bound.
    public func start() throws(StartError) -> String {
        // Links only against the patched libmicrohttpd (see Modules/CMicroHTTPD/shim.h).
        precondition(cmhd_patched_build() == 1)
        LibraryErrorBodies.install()
        let socket: ListenSocket
        do {
            socket = try ListenSocket.open(host: options.host, port: options.port, reusePort: true)
        } catch {
            throw StartError(description: error.description)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        var items: [MHD_OptionItem] = [
            option(.LISTEN_SOCKET, Int(socket.fd)),
            option(.CONNECTION_TIMEOUT, max(0, options.readTimeoutSeconds)),
            // libmicrohttpd keeps a connection's request head and its output buffer in one pool
            // of this size, and clears it between requests: keep it just above the header limit.
            // Headers up to 16 KiB past the limit still fit, so Olla answers them with its own
            // JSON 431; only larger ones meet libmicrohttpd's plain 431.
            option(.CONNECTION_MEMORY_LIMIT, options.maxHeaderSize + 16 * 1024),
            option(.CONNECTION_LIMIT, options.maxConnections),
            option(.NOTIFY_COMPLETED, unsafeBitCast(ServerCallbacks.completed, to: Int.self), me),
            option(.URI_LOG_CALLBACK, unsafeBitCast(ServerCallbacks.uriLog, to: Int.self), me),
            option(.END, 0),
        ]
        // No internal thread: the worker loop polls the epoll fd and calls MHD_run.
        let flags = MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_TURBO.rawValue
        daemon = items.withUnsafeMutableBufferPointer { buffer in
            cmhd_start_daemon(UInt32(flags), ServerCallbacks.access, me, buffer.baseAddress)
        }
        guard daemon != nil else {
            close(socket.fd)
            throw StartError(description: "libmicrohttpd could not start on \(socket.boundDescription)")
        }
        listenFD = socket.fd
        epollFD = cmhd_daemon_epoll_fd(daemon)
        return socket.boundDescription
    }

    // MARK: EventDriver (the worker loop thread)

    public var pollDescriptor: Int32 { epollFD }

    public func process() {
        resumed.store(false, ordering: .relaxed)
        if let daemon { _ = MHD_run(daemon) }
    }

    public var hasPendingWork: Bool { resumed.load(ordering: .relaxed) }

    public func attach(to loop: DescriptorWatch) {
        self.loop = loop
    }

    /// A watched client socket hung up: tell its exchange (once).
    public func descriptorReady(_ fd: Int32) {
        guard let context = hangUpWatch.removeValue(forKey: fd) else { return }
        loop?.forget(fd)
        context.exchange?.clientHungUp()
    }

    /// Reports clients that read nothing for longer than their stall timeout (once each).
    public func tick(now: ContinuousClock.Instant) {
        guard !stallWatch.isEmpty else { return }
        let nanoseconds = ClientReadClock.nanoseconds(now - Self.clockOrigin) + 2
        let stalled = stallWatch.values.filter { context in
            guard let limit = context.stallTimeout else { return false }
            return context.readClock.hasStalled(now: nanoseconds, limit: limit)
        }
        for context in stalled {
            stallWatch[ObjectIdentifier(context)] = nil
            context.exchange?.clientStalled()
        }
    }

    // MARK: Watching clients (loop thread)

    /// libmicrohttpd does not watch suspended connections: without this, a client leaving a
    /// quiet stream would go unnoticed while the backend keeps generating for nobody.
    func watchForHangUp(_ context: RequestContext, socket: Int32) {
        guard let loop else { return }
        hangUpWatch[socket] = context
        loop.watchForHangUp(socket)
    }

    func stopWatchingForHangUp(socket: Int32) {
        guard hangUpWatch.removeValue(forKey: socket) != nil else { return }
        loop?.forget(socket)
    }

    func watchForStall(_ context: RequestContext) {
        stallWatch[ObjectIdentifier(context)] = context
    }

    func stopWatchingForStall(_ context: RequestContext) {
        stallWatch[ObjectIdentifier(context)] = nil
    }

    /// A connection of this server was resumed (from any thread): run the loop again soon.
    func connectionResumed() {
        resumed.store(true, ordering: .relaxed)
        transport.wake()
    }

    public func timeoutMilliseconds() -> Int? {
        guard let daemon else { return nil }
        let timeout = cmhd_timeout_ms(daemon)
        return timeout < 0 ? nil : Int(min(timeout, 60_000))
    }

    /// Stops accepting new connections; connections already open keep being served.
    /// Call on the worker loop thread (`transport.execute`).
    public func stopAccepting() {
        guard let daemon, listenFD >= 0 else { return }
        let fd = cmhd_quiesce_daemon(daemon)
        if fd >= 0 { close(fd) }
        listenFD = -1
    }

    /// Stops the daemon once its worker loop has ended. Call only when no connection is
    /// suspended (see `ProxyEngine.liveCount`).
    public func stop() {
        guard let daemon else { return }
        MHD_stop_daemon(daemon)
        self.daemon = nil
    }

    private func option(_ kind: MHD_OPTION, _ value: Int, _ pointer: UnsafeMutableRawPointer? = nil) -> MHD_OptionItem {
        MHD_OptionItem(option: kind, value: value, ptr_value: pointer)
    }
}

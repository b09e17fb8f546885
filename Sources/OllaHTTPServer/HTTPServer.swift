import CMicroHTTPD
import Glibc
import OllaCore
import OllaEngine

/// The inbound HTTP server: libmicrohttpd with its own polling threads and epoll, every
/// connection able to be suspended while the backend has nothing to send.
public final class HTTPServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var threads: Int
        /// Idle time allowed while a client sends its request (0: none).
        public var readTimeoutSeconds: Int
        /// Bounds one connection's request head (libmicrohttpd's per-connection pool).
        public var maxHeaderSize: Int
        public var maxConnections: Int

        public init(host: String, port: Int, threads: Int, readTimeoutSeconds: Int,
                    maxHeaderSize: Int, maxConnections: Int = 65536) {
            self.host = host
            self.port = port
            self.threads = threads
            self.readTimeoutSeconds = readTimeoutSeconds
            self.maxHeaderSize = maxHeaderSize
            self.maxConnections = maxConnections
        }
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    let engine: ProxyEngine
    private let options: Options
    // Confined to the thread that calls start/quiesce/stop (the main thread).
    private var daemon: OpaquePointer?
    private var listenFD: Int32 = -1

    public init(engine: ProxyEngine, options: Options) {
        self.engine = engine
        self.options = options
    }

    /// Binds and starts serving; returns the address actually bound.
    public func start() throws(StartError) -> String {
        let socket: ListenSocket
        do {
            socket = try ListenSocket.open(host: options.host, port: options.port)
        } catch {
            throw StartError(description: error.description)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        var items: [MHD_OptionItem] = [
            option(.LISTEN_SOCKET, Int(socket.fd)),
            option(.THREAD_POOL_SIZE, max(1, options.threads)),
            option(.CONNECTION_TIMEOUT, max(0, options.readTimeoutSeconds)),
            option(.CONNECTION_MEMORY_LIMIT, max(16 * 1024, options.maxHeaderSize)),
            option(.CONNECTION_LIMIT, options.maxConnections),
            option(.NOTIFY_COMPLETED, unsafeBitCast(ServerCallbacks.completed, to: Int.self), me),
            option(.URI_LOG_CALLBACK, unsafeBitCast(ServerCallbacks.uriLog, to: Int.self), me),
            option(.END, 0),
        ]
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
        daemon = items.withUnsafeMutableBufferPointer { buffer in
            cmhd_start_daemon(UInt32(flags), ServerCallbacks.access, me, buffer.baseAddress)
        }
        guard daemon != nil else {
            close(socket.fd)
            throw StartError(description: "libmicrohttpd could not start on \(socket.boundDescription)")
        }
        listenFD = socket.fd
        return socket.boundDescription
    }

    /// Stops accepting new connections; connections already open keep being served.
    public func stopAccepting() {
        guard let daemon, listenFD >= 0 else { return }
        let fd = cmhd_quiesce_daemon(daemon)
        if fd >= 0 { close(fd) }
        listenFD = -1
    }

    /// Stops the daemon. Call only when no connection is suspended (see `ProxyEngine.liveCount`).
    public func stop() {
        guard let daemon else { return }
        MHD_stop_daemon(daemon)
        self.daemon = nil
    }

    private func option(_ kind: MHD_OPTION, _ value: Int, _ pointer: UnsafeMutableRawPointer? = nil) -> MHD_OptionItem {
        MHD_OptionItem(option: kind, value: value, ptr_value: pointer)
    }
}

import Glibc
import Logging
import OllaCore
import OllaEngine
import OllaHTTPServer
import OllaUpstream

/// The running daemon: wires the engine between the inbound server and the curl loop,
/// starts them in order, waits for signals, and stops them in reverse order.
struct Daemon {
    let config: OllaConfig
    let source: String

    func run() -> Int32 {
        Signals.blockHandled()
        let logger = Self.bootstrapLogging(config.logging)
        let wiring = Wiring(config: config)
        let transport = CurlTransport()
        let engine = ProxyEngine(
            settings: wiring.proxySettings, selector: wiring.selector,
            logger: logger, requestLogging: config.server.requestLogging)
        engine.attach(transport: transport)
        transport.run()
        let server = HTTPServer(engine: engine, options: wiring.serverOptions)
        let bound: String
        do {
            bound = try server.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error.description)"])
            transport.shutdown()
            return 1
        }
        logStartup(logger, bound: bound, wiring: wiring)
        waitForStop(logger)
        drain(server: server, engine: engine, logger: logger)
        transport.shutdown()
        logger.info("stopped")
        return 0
    }

    private func logStartup(_ logger: Logger, bound: String, wiring: Wiring) {
        logger.info("olla starting", metadata: [
            "version": "\(OllaVersion.string)", "config": "\(source)",
        ])
        for endpoint in wiring.endpoints {
            logger.info("endpoint", metadata: [
                "endpoint": "\(endpoint.name)", "url": "\(endpoint.baseURL)",
                "priority": .stringConvertible(endpoint.priority),
            ])
        }
        logger.info("listening", metadata: [
            "address": "\(bound)", "base_url": "http://\(bound)\(ProxyRoute.prefix)/",
        ])
    }

    /// Blocks until SIGTERM or SIGINT. SIGHUP is acknowledged; live reload comes with operations.
    private func waitForStop(_ logger: Logger) {
        while true {
            let signal = Signals.wait()
            if signal == SIGHUP {
                logger.warning("SIGHUP received: configuration reload is not supported yet; restart to apply changes")
                continue
            }
            logger.info("shutting down", metadata: ["signal": "\(Signals.name(signal))"])
            return
        }
    }

    /// Stops accepting, lets requests in flight finish within `shutdown_timeout`, then ends
    /// the remaining streams with an error trailer.
    private func drain(server: HTTPServer, engine: ProxyEngine, logger: Logger) {
        server.stopAccepting()
        let clock = ContinuousClock()
        let deadline = clock.now + config.server.shutdownTimeout
        while engine.liveCount > 0 && clock.now < deadline {
            usleep(20_000)
        }
        if engine.liveCount > 0 {
            logger.warning("shutdown timeout reached: ending streams still running",
                           metadata: ["count": .stringConvertible(engine.liveCount)])
            engine.terminateAll(reason: "olla is shutting down")
            let grace = clock.now + .seconds(2)
            while engine.liveCount > 0 && clock.now < grace { usleep(20_000) }
        }
        // libmicrohttpd must not be stopped with suspended connections: if a client still
        // holds one (it stopped reading), the process exit closes it instead.
        if engine.liveCount == 0 { server.stop() }
    }

    static func bootstrapLogging(_ logging: LoggingConfig) -> Logger {
        let fd: Int32 = logging.output == .stderr ? 2 : 1
        let format: LineLogHandler.Format = logging.format == .json ? .json : .logfmt
        let level = Wiring.logLevel(logging.level)
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, format: format, fd: fd, logLevel: level)
        }
        return Logger(label: "olla")
    }
}

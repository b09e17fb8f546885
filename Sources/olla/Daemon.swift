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
        let transports = (0..<wiring.workerCount).map { _ in CurlTransport() }
        let registry = EndpointRegistry(endpoints: wiring.endpoints)
        let router = Router(registry: registry, strategy: wiring.routingStrategy, balancer: wiring.balancer,
                            pullTarget: wiring.pullTarget)
        let monitor = EndpointMonitor(registry: registry, fetcher: Fetcher(transport: transports[0]),
                                      discovery: config.discovery.modelDiscovery, logger: logger)
        let engine = ProxyEngine(settings: wiring.proxySettings, registry: registry, router: router,
                                 logger: logger, requestLogging: config.server.requestLogging)
        engine.attach(refreshInventory: { await monitor.refreshNow($0) })
        for transport in transports { transport.run() }
        logStartup(logger, wiring: wiring)
        warmUp(monitor, logger: logger)
        let monitoring = Task { await monitor.run() }
        let servers = transports.map { HTTPServer(engine: engine, transport: $0, options: wiring.serverOptions) }
        var bound = ""
        do {
            for (server, transport) in zip(servers, transports) {
                bound = try server.start()
                transport.drive(server)
            }
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            monitoring.cancel()
            for transport in transports { transport.shutdown() }
            return 1
        }
        logger.info("listening", metadata: [
            "address": "\(bound)", "base_url": "http://\(bound)\(ProxyRoute.prefix)/",
            "workers": .stringConvertible(wiring.workerCount),
        ])
        waitForStop(logger)
        drain(servers: servers, transports: transports, engine: engine, logger: logger)
        monitoring.cancel()
        logger.info("stopped")
        return 0
    }

    private func logStartup(_ logger: Logger, wiring: Wiring) {
        logger.info("olla starting", metadata: [
            "version": "\(OllaVersion.string)", "config": "\(source)",
            "load_balancer": "\(config.proxy.loadBalancer.rawValue)",
            "routing_strategy": "\(config.modelRegistry.routingStrategy.type.rawValue)",
        ])
        for endpoint in wiring.endpoints {
            logger.info("endpoint", metadata: [
                "endpoint": "\(endpoint.name)", "url": "\(endpoint.url.baseURL)", "type": "\(endpoint.type.rawValue)",
                "priority": .stringConvertible(endpoint.priority), "weight": .stringConvertible(endpoint.weight),
            ])
        }
    }

    /// Probes every endpoint and reads its models before the port opens, so the first
    /// clients see the full catalogue. Bounded: a hanging endpoint cannot delay start-up
    /// beyond the longest check timeout plus the discovery timeout.
    private func warmUp(_ monitor: EndpointMonitor, logger: Logger) {
        let done = WarmUpFlag()
        Task { await monitor.warmUp(); done.set() }
        let longestCheck = config.discovery.staticEndpoints.endpoints.map(\.checkTimeout).max() ?? .seconds(2)
        let deadline = ContinuousClock.now + longestCheck + config.discovery.modelDiscovery.timeout
        while !done.isSet && ContinuousClock.now < deadline { usleep(5_000) }
        if !done.isSet { logger.warning("endpoint warm-up still running; serving anyway") }
        for view in monitor.registrySnapshot.endpoints {
            logger.info("endpoint checked", metadata: [
                "endpoint": "\(view.config.name)", "state": "\(view.state.rawValue)",
                "models": .stringConvertible(view.inventory?.models.count ?? 0),
            ])
        }
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
    private func drain(servers: [HTTPServer], transports: [CurlTransport], engine: ProxyEngine, logger: Logger) {
        for (server, transport) in zip(servers, transports) {
            transport.execute { server.stopAccepting() }
        }
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
        let clean = engine.liveCount == 0
        for transport in transports { transport.shutdown() }
        // libmicrohttpd must not be stopped with suspended connections: if a client still
        // holds one (it stopped reading), the process exit closes it instead.
        if clean { for server in servers { server.stop() } }
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

import Synchronization

/// Set once by the warm-up task, polled by the main thread.
final class WarmUpFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

import Glibc
import Logging
import OllaCore
import OllaEngine
import OllaEventLoop
import OllaHTTPServer
import OllaUpstream
import Synchronization

/// The running daemon: wires the engine between the inbound servers and the curl transports
/// (the two drivers of each worker loop), starts them in order, waits for signals, reloads on
/// SIGHUP, and stops in reverse order.
struct Daemon {
    let config: OllaConfig
    /// The configuration file, or nil for built-in defaults.
    let path: String?

    func run() -> Int32 {
        Signals.blockHandled()
        let logger = Self.bootstrapLogging(config.logging)
        let wiring: Wiring
        do {
            wiring = try Wiring(config: config)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            return 1
        }
        let workers: [Worker]
        let transports: [CurlTransport]
        do {
            (workers, transports) = try Self.startWorkers(count: wiring.workerCount)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            return 1
        }
        let monitors = MonitorSlot(fetcher: Fetcher(transport: transports[0]), logger: logger)
        let registry = EndpointRegistry(endpoints: wiring.endpoints, scheduling: config.proxy.scheduler)
        let engine = ProxyEngine(generation: wiring.generation(config: config, registry: registry),
                                 logger: logger, refreshInventory: { await monitors.current?.refreshNow($0) })
        logStartup(logger, config: config, wiring: wiring)
        monitors.start(registry: registry, discovery: config.discovery.modelDiscovery, warmUpWithin: warmUpBound(config))
        logEndpoints(logger, monitors)
        adviseWhenNothingAnswers(logger, registry)
        let housekeeping = Task { await Self.housekeep(engine) }
        let memoryTrimming = Task { await Self.trimMemoryAfterBursts(engine, transports: transports, logger: logger) }
        let servers = zip(workers, transports).map { worker, transport in
            HTTPServer(engine: engine, transport: transport, worker: worker, options: wiring.serverOptions)
        }
        var bound = ""
        do {
            for server in servers {
                bound = try server.start()
                server.worker.register(server)
            }
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            monitors.stop()
            for worker in workers { worker.stop() }
            return 1
        }
        logger.info("listening", metadata: [
            "address": "\(bound)", "base_url": "http://\(bound)\(ProxyRoute.prefix)/",
            "workers": .stringConvertible(wiring.workerCount),
        ])
        var running = config
        while true {
            let signal = Signals.wait()
            if signal == SIGHUP {
                running = reload(from: running, engine: engine, monitors: monitors, logger: logger)
                continue
            }
            logger.info("shutting down", metadata: ["signal": "\(Signals.name(signal))"])
            break
        }
        drain(servers: servers, workers: workers, engine: engine, timeout: running.server.shutdownTimeout, logger: logger)
        housekeeping.cancel()
        memoryTrimming.cancel()
        monitors.stop()
        logger.info("stopped")
        return 0
    }

    // MARK: Reload

    /// Applies a changed configuration file without dropping anything in flight. An invalid
    /// file is refused and the running configuration stays.
    private func reload(from running: OllaConfig, engine: ProxyEngine, monitors: MonitorSlot, logger: Logger) -> OllaConfig {
        guard let path else {
            logger.warning("SIGHUP ignored: running on built-in defaults, there is no file to reload")
            return running
        }
        let next: OllaConfig
        do {
            next = try OllaConfig.load(path: path)
        } catch {
            logger.error("reload refused: the new configuration is invalid; keeping the running one",
                         metadata: ["error": "\(error)"])
            return running
        }
        for key in Self.restartOnlyChanges(running, next) {
            logger.warning("reload: this change needs a restart to take effect", metadata: ["key": "\(key)"])
        }
        let wiring: Wiring
        do {
            wiring = try Wiring(config: next)
        } catch {
            logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
            return running
        }
        let registry = EndpointRegistry(endpoints: wiring.endpoints, carryingOver: engine.generation.registry,
                                        scheduling: next.proxy.scheduler)
        engine.install(wiring.generation(config: next, registry: registry, previous: engine.generation.policy))
        monitors.start(registry: registry, discovery: next.discovery.modelDiscovery, warmUpWithin: nil)
        logger.info("configuration reloaded", metadata: [
            "config": "\(path)", "endpoints": .stringConvertible(wiring.endpoints.count),
            "load_balancer": "\(next.proxy.loadBalancer.rawValue)",
        ])
        return next
    }

    /// Keys the running process cannot change: the listening sockets, the worker threads and
    /// the logging setup.
    static func restartOnlyChanges(_ old: OllaConfig, _ new: OllaConfig) -> [String] {
        var keys: [String] = []
        if old.server.host != new.server.host { keys.append("server.host") }
        if old.server.port != new.server.port { keys.append("server.port") }
        if old.server.readTimeout != new.server.readTimeout { keys.append("server.read_timeout") }
        if old.server.workers != new.server.workers { keys.append("server.workers") }
        if old.server.requestLimits.maxHeaderSize != new.server.requestLimits.maxHeaderSize {
            keys.append("server.request_limits.max_header_size (the per-connection buffer)")
        }
        if old.logging != new.logging { keys.append("logging") }
        return keys
    }

    // MARK: Start-up

    private func logStartup(_ logger: Logger, config: OllaConfig, wiring: Wiring) {
        logger.info("olla starting", metadata: [
            "version": "\(OllaVersion.string)", "config": "\(path ?? "built-in defaults")",
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

    private func logEndpoints(_ logger: Logger, _ monitors: MonitorSlot) {
        guard let snapshot = monitors.current?.registrySnapshot else { return }
        for view in snapshot.endpoints {
            logger.info("endpoint checked", metadata: [
                "endpoint": "\(view.config.name)", "state": "\(view.state.rawValue)",
                "models": .stringConvertible(view.inventory?.models.count ?? 0),
            ])
        }
    }

    /// One plain line when no instance answered the start-up checks (StartupAdvice).
    private func adviseWhenNothingAnswers(_ logger: Logger, _ registry: EndpointRegistry) {
        let unanswered = registry.snapshot.endpoints.filter { !$0.isRoutable }.map { view in
            StartupAdvice.Unanswered(name: view.config.name, url: view.config.url.baseURL,
                                     error: registry.healthSnapshot(view.config.name)?.lastError)
        }
        if let advice = StartupAdvice.nothingAnswers(unanswered, total: registry.endpoints.count, configFile: path) {
            logger.warning("\(advice)")
        }
    }

    /// A hanging endpoint cannot hold start-up back longer than its check plus discovery.
    private func warmUpBound(_ config: OllaConfig) -> Duration {
        let longestCheck = config.discovery.staticEndpoints.endpoints.map(\.checkTimeout).max() ?? .seconds(2)
        return longestCheck + config.discovery.modelDiscovery.timeout
    }

    /// Periodic chores that belong to no request.
    static func housekeep(_ engine: ProxyEngine) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(60))
            engine.cleanupRateLimits()
        }
    }

    // MARK: Stop

    /// Stops accepting, lets requests in flight finish within `shutdown_timeout`, then ends
    /// the remaining streams with an error trailer.
    private func drain(servers: [HTTPServer], workers: [Worker], engine: ProxyEngine,
                       timeout: Duration, logger: Logger) {
        for server in servers {
            server.worker.execute { server.stopAccepting() }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
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
        for worker in workers { worker.stop() }
        // libmicrohttpd must not be stopped with suspended connections: if a client still
        // holds one (it stopped reading), the process exit closes it instead.
        if clean { for server in servers { server.stop() } }
    }

    /// `count` workers (`server.workers`, by default one per core), each with its curl
    /// transport registered, started; the inbound servers join them once the endpoints were
    /// checked.
    static func startWorkers(count: Int) throws -> ([Worker], [CurlTransport]) {
        var workers: [Worker] = []
        var transports: [CurlTransport] = []
        do {
            for index in 0..<count {
                let worker = try Worker(name: "worker \(index)")
                transports.append(try CurlTransport(worker: worker))
                try worker.start()
                workers.append(worker)
            }
        } catch {
            for worker in workers { worker.stop() }
            throw error
        }
        return (workers, transports)
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

/// The endpoint monitor of the running configuration; replaced on reload.
final class MonitorSlot: Sendable {
    private let fetcher: Fetcher
    private let logger: Logger
    private let slot = Mutex<(monitor: EndpointMonitor, task: Task<Void, Never>)?>(nil)

    init(fetcher: Fetcher, logger: Logger) {
        self.fetcher = fetcher
        self.logger = logger
    }

    var current: EndpointMonitor? { slot.withLock { $0?.monitor } }

    /// Starts monitoring `registry` (stopping the previous monitor). With `warmUpWithin`,
    /// first probes every endpoint and reads its models, waiting at most that long.
    func start(registry: EndpointRegistry, discovery: ModelDiscoveryConfig, warmUpWithin bound: Duration?) {
        let monitor = EndpointMonitor(registry: registry, fetcher: fetcher, discovery: discovery, logger: logger)
        if let bound {
            let done = WarmUpFlag()
            Task { await monitor.warmUp(); done.set() }
            let deadline = ContinuousClock.now + bound
            while !done.isSet && ContinuousClock.now < deadline { usleep(5_000) }
            if !done.isSet { logger.warning("endpoint warm-up still running; serving anyway") }
        }
        let task = Task { await monitor.run() }
        let previous = slot.withLock { slot in
            defer { slot = (monitor, task) }
            return slot?.task
        }
        previous?.cancel()
    }

    func stop() {
        slot.withLock { $0?.task.cancel() }
    }
}

/// Set once by the warm-up task, polled by the main thread.
final class WarmUpFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

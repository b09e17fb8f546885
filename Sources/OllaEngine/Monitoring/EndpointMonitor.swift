import Logging
import OllaCore
import Synchronization

/// Keeps the registry true: probes each endpoint on its own schedule, and discovers what
/// models each one has and has loaded.
///
/// One scheduler loop wakes every `tick` and starts the probes that are due, so each endpoint
/// keeps its own `check_interval` (and its own backoff) instead of sharing one global timer.
public final class EndpointMonitor: Sendable {
    static let tick: Duration = .milliseconds(100)

    private let registry: EndpointRegistry
    private let fetcher: Fetcher
    private let discovery: ModelDiscoveryConfig
    private let logger: Logger
    private let probing = Mutex<Set<String>>([])
    private let lastDiscovery = Mutex<[String: ContinuousClock.Instant]>([:])
    private let lastResidencyPoll = Mutex<[String: ContinuousClock.Instant]>([:])
    /// How often `/api/ps` is read while an instance has requests of Olla's running (or
    /// requests are held): its residency changes with every load and eviction.
    static let activeResidencyInterval: Duration = .seconds(1)

    /// Creates the monitor of `registry`'s endpoints; probes and discovery go through `fetcher`.
    /// Nothing runs until `run()`.
    public init(registry: EndpointRegistry, fetcher: Fetcher, discovery: ModelDiscoveryConfig, logger: Logger) {
        self.registry = registry
        self.fetcher = fetcher
        self.discovery = discovery
        self.logger = logger
    }

    /// Probes and discovers every endpoint once, concurrently: run before serving so the
    /// catalogue is filled when the first client arrives.
    public func warmUp() async {
        await withTaskGroup(of: Void.self) { group in
            for endpoint in registry.endpoints {
                group.addTask { await self.probe(endpoint) }
            }
        }
    }

    /// Runs until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            for (endpoint, due) in registry.probeSchedule() where due <= now && claim(endpoint.name) {
                Task { await self.probe(endpoint) }
            }
            for endpoint in registry.endpoints where discoveryDue(endpoint.name, now: now) {
                if claim(endpoint.name) { Task { await self.discoverClaimed(endpoint) } }
            }
            for endpoint in registry.endpoints where residencyDue(endpoint, now: now) && claim(endpoint.name) {
                Task { await self.pollLoadedClaimed(endpoint) }
            }
            // Held requests past their wait bound are refused, and the others reconsidered.
            registry.scheduler.pump(now: now)
            try? await Task.sleep(for: Self.tick)
        }
    }

    /// The registry's current view (for start-up logging).
    public var registrySnapshot: RoutingSnapshot { registry.snapshot }

    /// Re-reads an endpoint's models and returns when the catalogue shows the result.
    public func refreshNow(_ name: String) async {
        guard let endpoint = registry.endpoint(named: name) else { return }
        await discover(endpoint)
    }

    // MARK: Probing

    private func probe(_ endpoint: EndpointConfig) async {
        defer { release(endpoint.name) }
        let result = await fetcher.fetch(.init(url: endpoint.resolvedHealthCheckURL, headers: authHeaders(endpoint),
                                               timeout: endpoint.checkTimeout, maxResponseBytes: 64 * 1024))
        let now = ContinuousClock.now
        let transition: EndpointHealth.Transition?
        switch result {
        case .success(let response) where (200..<300).contains(response.status):
            transition = registry.updateHealth(endpoint.name, now: now) { $0.probeSucceeded(latency: response.latency, now: now) }
        case .success(let response):
            transition = registry.updateHealth(endpoint.name, now: now) { $0.probeFailed(.status(response.status), now: now) }
        case .failure(let failure):
            let kind: ProbeFailure = failure == .connectTimedOut || failure == .firstByteTimedOut || failure == .idleTimedOut
                ? .timeout : .transport(failure.message)
            let streams = registry.streamingCount(endpoint.name)
            if kind == .timeout && streams > 0 {
                // Streaming bytes right now: alive, only too busy to answer the probe in time
                // (llama.cpp's health route waits behind the running generation).
                transition = registry.updateHealth(endpoint.name, now: now) {
                    $0.probeTimedOutWhileServing(streams: streams, now: now)
                }
            } else {
                transition = registry.updateHealth(endpoint.name, now: now) { $0.probeFailed(kind, now: now) }
            }
        }
        if let transition { log(transition, endpoint) }
        let routable = registry.snapshot.view(endpoint.name)?.isRoutable ?? false
        guard routable else { return }
        if transition?.recovered == true || registry.snapshot.view(endpoint.name)?.inventory == nil {
            await discover(endpoint)
        } else if endpoint.type == .ollama {
            await pollLoaded(endpoint)
        }
    }

    // MARK: Discovery

    private func discoverClaimed(_ endpoint: EndpointConfig) async {
        defer { release(endpoint.name) }
        await discover(endpoint)
    }

    private func discover(_ endpoint: EndpointConfig) async {
        lastDiscovery.withLock { $0[endpoint.name] = .now }
        let models = await fetchModels(endpoint)
        var loaded: [LoadedModel]? = nil
        var version: String? = nil
        if endpoint.type == .ollama {
            loaded = await fetchLoaded(endpoint)
            if let body = await get(endpoint, endpoint.url.resolving("/api/version")) {
                version = CatalogueParser.version(body)
            }
        }
        registry.updateInventory(endpoint.name, models: models, loaded: loaded, version: version)
        if let loaded { registry.scheduler.observed(loaded, on: endpoint.name) }
        if let models {
            logger.debug("models discovered", metadata: ["endpoint": "\(endpoint.name)", "count": .stringConvertible(models.count)])
        }
    }

    private func pollLoaded(_ endpoint: EndpointConfig) async {
        lastResidencyPoll.withLock { $0[endpoint.name] = .now }
        if let loaded = await fetchLoaded(endpoint) {
            registry.updateInventory(endpoint.name, models: nil, loaded: loaded, version: nil)
            registry.scheduler.observed(loaded, on: endpoint.name)
        }
    }

    private func pollLoadedClaimed(_ endpoint: EndpointConfig) async {
        defer { release(endpoint.name) }
        await pollLoaded(endpoint)
    }

    private func fetchModels(_ endpoint: EndpointConfig) async -> [ModelEntry]? {
        guard let body = await get(endpoint, endpoint.resolvedModelURL) else { return nil }
        do {
            return endpoint.type == .ollama && !endpoint.modelURL.hasSuffix("/v1/models")
                ? try CatalogueParser.tags(body) : try CatalogueParser.openAIModels(body)
        } catch {
            logger.warning("cannot read model list", metadata: ["endpoint": "\(endpoint.name)", "error": "\(error)"])
            return nil
        }
    }

    private func fetchLoaded(_ endpoint: EndpointConfig) async -> [LoadedModel]? {
        guard let body = await get(endpoint, endpoint.url.resolving("/api/ps")) else { return nil }
        return try? CatalogueParser.loaded(body)
    }

    private func get(_ endpoint: EndpointConfig, _ url: String) async -> [UInt8]? {
        let result = await fetcher.fetch(.init(url: url, headers: authHeaders(endpoint), timeout: discovery.timeout))
        switch result {
        case .success(let response) where (200..<300).contains(response.status):
            return response.body
        case .success(let response):
            logger.warning("discovery request refused", metadata: [
                "endpoint": "\(endpoint.name)", "url": "\(url)", "status": .stringConvertible(response.status)])
        case .failure(let failure):
            logger.warning("discovery request failed", metadata: [
                "endpoint": "\(endpoint.name)", "url": "\(url)", "error": "\(failure.message)"])
        }
        return nil
    }

    private func authHeaders(_ endpoint: EndpointConfig) -> [HTTPHeader] {
        endpoint.headers
    }

    // MARK: Bookkeeping

    private func discoveryDue(_ name: String, now: ContinuousClock.Instant) -> Bool {
        guard discovery.enabled, registry.snapshot.view(name)?.isRoutable == true else { return false }
        let last = lastDiscovery.withLock { $0[name] }
        return last.map { now - $0 >= discovery.interval } ?? false
    }

    /// Residency is read at least every second while the instance is in use, and otherwise
    /// only after probes (lazily).
    private func residencyDue(_ endpoint: EndpointConfig, now: ContinuousClock.Instant) -> Bool {
        guard endpoint.type == .ollama, registry.snapshot.view(endpoint.name)?.isRoutable == true,
              registry.scheduler.isActive(endpoint.name) else { return false }
        let last = lastResidencyPoll.withLock { $0[endpoint.name] }
        return last.map { now - $0 >= Self.activeResidencyInterval } ?? true
    }

    /// One probe or discovery at a time per endpoint.
    private func claim(_ name: String) -> Bool {
        probing.withLock { $0.insert(name).inserted }
    }

    private func release(_ name: String) {
        _ = probing.withLock { $0.remove(name) }
    }

    private func log(_ transition: EndpointHealth.Transition, _ endpoint: EndpointConfig) {
        let health = registry.healthSnapshot(endpoint.name)
        let metadata: Logger.Metadata = [
            "endpoint": "\(endpoint.name)", "from": "\(transition.from.rawValue)", "to": "\(transition.to.rawValue)",
            "error": "\(health?.lastError ?? "")",
        ]
        if transition.to.isRoutable {
            logger.info("endpoint state changed", metadata: metadata)
        } else {
            logger.warning("endpoint state changed", metadata: metadata)
        }
    }
}

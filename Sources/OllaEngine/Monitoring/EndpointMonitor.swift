import Logging
import OllaCore
import Synchronization

/// Keeps the registry true: probes each endpoint on its own schedule, and discovers what
/// models each one has and has loaded.
///
/// One scheduler loop starts the probes that are due, so each endpoint keeps its own
/// `check_interval` (and its own backoff) instead of sharing one global timer. Between rounds
/// it sleeps until the next thing due (at most `longestSleep`; `tick` while requests are held,
/// whose bounds and rents run on time), woken early by the registry's `WakeSignal` when
/// something that changes what is due happens: an idle daemon wakes once a second, not ten
/// times.
///
/// Probes and inventory reads (model discovery, `/api/ps` polls) hold separate claims: a
/// hung instance's discovery may wait up to `model_discovery.timeout` per request, and a
/// probe must still run on time and take the instance out of routing. At most one probe and
/// one inventory read are in flight per endpoint, so a hung instance does not collect a
/// pile of waiting requests either.
public final class EndpointMonitor: Sendable {
    /// How often held requests are reconsidered (their wait bounds, rents that ran out).
    static let tick: Duration = .milliseconds(100)
    /// The longest sleep between rounds, whatever is due: a bound on how late anything the
    /// wake-ups do not cover can be noticed (the first `/api/ps` poll of an instance that
    /// just got traffic is one).
    static let longestSleep: Duration = .seconds(1)

    private let registry: EndpointRegistry
    private let fetcher: Fetcher
    private let discovery: ModelDiscoveryConfig
    private let logger: Logger
    /// Endpoints with a probe in flight.
    private let probing = ClaimSet()
    /// Endpoints with a discovery or `/api/ps` poll in flight.
    private let reading = ClaimSet()
    /// Endpoints whose models must be re-read (they recovered, or were never listed) while
    /// another inventory read was in flight: read as soon as it ends.
    private let discoveryPending = Mutex<Set<String>>([])
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
    /// catalogue is filled when the first client arrives. It holds the same claims as
    /// `run()`, which may start while a slow warm-up is still going.
    public func warmUp() async {
        await withTaskGroup(of: Void.self) { group in
            for endpoint in registry.endpoints where probing.claim(endpoint.name) {
                group.addTask {
                    let next = await self.probe(endpoint)
                    self.probing.release(endpoint.name)
                    guard next != .nothing, self.reading.claim(endpoint.name) else { return }
                    await self.read(next, endpoint)
                    self.reading.release(endpoint.name)
                }
            }
        }
    }

    /// Runs until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            var wake = now + Self.longestSleep
            for (endpoint, due) in registry.probeSchedule() where !probing.contains(endpoint.name) {
                guard due <= now else {
                    wake = min(wake, due)
                    continue
                }
                guard probing.claim(endpoint.name) else { continue }
                Task {
                    let next = await self.probe(endpoint)
                    self.probing.release(endpoint.name)
                    self.startReading(next, endpoint)
                    self.registry.wake.ring()  // its next probe is scheduled now
                }
            }
            // One snapshot for the round: each endpoint's routability is read from it in place
            // (taking it and copying its view out per question cost ~2 K per endpoint a round).
            let snapshot = registry.snapshot
            for (slot, endpoint) in registry.endpoints.enumerated() {
                let routable = Self.isRoutable(endpoint.name, slot: slot, in: snapshot)
                if discoveryDue(endpoint.name, routable: routable, now: now) {
                    startReading(.models, endpoint)
                } else if residencyDue(endpoint, routable: routable, now: now) {
                    startReading(.loaded, endpoint, at: now)
                }
                if let due = nextRead(endpoint, routable: routable, now: now) { wake = min(wake, due) }
            }
            // Held requests past their wait bound are refused, and the others reconsidered.
            registry.scheduler.pump(now: now)
            sendUnloads()
            if registry.scheduler.holdsRequests { wake = min(wake, now + Self.tick) }
            await registry.wake.sleep(until: wake)
        }
    }

    /// Sends the unloads the scheduler ordered to make room (`ModelUnloader`), each in its own task.
    private func sendUnloads() {
        for order in registry.scheduler.takeUnloadOrders() {
            guard let endpoint = registry.endpoint(named: order.instance) else {
                registry.scheduler.unloadAnswered(order, succeeded: false)
                continue
            }
            let unloader = ModelUnloader(fetcher: fetcher, logger: logger)
            Task { await unloader.send(order, to: endpoint, scheduler: self.registry.scheduler) }
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

    /// What to read from an endpoint after a probe.
    enum InventoryRead: Equatable {
        /// Nothing: the endpoint is not routable.
        case nothing
        /// Its models, loaded models and version (it recovered, or was never listed).
        case models
        /// Its loaded models (`/api/ps`), which change with every load and eviction.
        case loaded
    }

    /// Probes `endpoint` once, records the outcome, and says what to read from it next.
    private func probe(_ endpoint: EndpointConfig) async -> InventoryRead {
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
            let kind = Self.probeFailure(failure)
            let streams = registry.streamingCount(endpoint.name)
            if (kind == .timeout || kind == .connectTimeout) && streams > 0 {
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
        guard routable else { return .nothing }
        if transition?.recovered == true || registry.snapshot.view(endpoint.name)?.inventory == nil {
            return .models
        }
        return endpoint.type == .ollama ? .loaded : .nothing
    }

    /// What a probe's transfer failure says about the endpoint. A connect that timed out
    /// (libcurl's own connect timer) is kept apart from a timeout on an accepted connection:
    /// the first is as strong as a refusal, the second is weak when the instance answered
    /// just before (`EndpointHealth.probeFailed`). A connect timeout that Olla's first-byte
    /// clock caught first reads as a plain timeout, the weaker kind.
    static func probeFailure(_ failure: UpstreamFailure) -> ProbeFailure {
        switch failure {
        case .connectTimedOut: .connectTimeout
        case .firstByteTimedOut, .idleTimedOut: .timeout
        default: .transport(failure.message)
        }
    }

    // MARK: Inventory reads

    /// Starts `what` in its own task unless an inventory read of `endpoint` is in flight;
    /// a model listing that must wait is remembered and started once that read ends.
    /// `now`: when the loop found an `/api/ps` poll due (else the clock is read here).
    private func startReading(_ what: InventoryRead, _ endpoint: EndpointConfig, at now: ContinuousClock.Instant = .now) {
        guard what != .nothing else { return }
        guard reading.claim(endpoint.name) else {
            if what == .models { _ = discoveryPending.withLock { $0.insert(endpoint.name) } }
            return
        }
        // A poll counts from when it was found due: the next one is due a whole interval
        // later, when the loop, which never sleeps longer than that, wakes anyway.
        if what == .loaded { lastResidencyPoll.withLock { $0[endpoint.name] = now } }
        Task {
            await self.read(what, endpoint)
            self.reading.release(endpoint.name)
            // The loop is woken only when it must act before it wakes by itself: for a listing
            // that waited for this read, after a listing (what it found may be due sooner), or
            // when this poll outlasted its interval (the next one is due now). Ringing after
            // every poll of an instance in use cost a second round of the loop each second.
            if what == .models || ContinuousClock.now - now >= Self.activeResidencyInterval
                || self.discoveryPending.withLock({ $0.contains(endpoint.name) }) {
                self.registry.wake.ring()
            }
        }
    }

    private func read(_ what: InventoryRead, _ endpoint: EndpointConfig) async {
        switch what {
        case .nothing: return
        case .models: await discover(endpoint)
        case .loaded: await pollLoaded(endpoint)
        }
    }

    // MARK: Discovery

    private func discover(_ endpoint: EndpointConfig) async {
        lastDiscovery.withLock { $0[endpoint.name] = .now }
        _ = discoveryPending.withLock { $0.remove(endpoint.name) }
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
        if let loaded = await fetchLoaded(endpoint) {
            registry.updateInventory(endpoint.name, models: nil, loaded: loaded, version: nil)
            registry.scheduler.observed(loaded, on: endpoint.name)
        }
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

    /// Whether the endpoint called `name` is routable in `snapshot`: read at `slot` (its
    /// position in the registry's endpoints, which the snapshot keeps) when the name is
    /// there, else found by name.
    private static func isRoutable(_ name: String, slot: Int, in snapshot: RoutingSnapshot) -> Bool {
        if snapshot.endpoints.indices.contains(slot), snapshot.endpoints[slot].config.name == name {
            return snapshot.endpoints[slot].isRoutable
        }
        return snapshot.view(name)?.isRoutable ?? false
    }

    /// A listing is due when one is pending (a recovery while another read was in flight)
    /// or, with periodic discovery on, every `model_discovery.interval`; only while routable.
    private func discoveryDue(_ name: String, routable: Bool, now: ContinuousClock.Instant) -> Bool {
        guard routable, !reading.contains(name) else { return false }
        if discoveryPending.withLock({ $0.contains(name) }) { return true }
        guard discovery.enabled else { return false }
        let last = lastDiscovery.withLock { $0[name] }
        return last.map { now - $0 >= discovery.interval } ?? false
    }

    /// Residency is read at least every second while the instance is in use, and otherwise
    /// only after probes (lazily).
    private func residencyDue(_ endpoint: EndpointConfig, routable: Bool, now: ContinuousClock.Instant) -> Bool {
        guard endpoint.type == .ollama, routable,
              !reading.contains(endpoint.name), registry.scheduler.isActive(endpoint.name) else { return false }
        let last = lastResidencyPoll.withLock { $0[endpoint.name] }
        return last.map { now - $0 >= Self.activeResidencyInterval } ?? true
    }

    /// When the next inventory read of `endpoint` falls due (a periodic listing, or the
    /// `/api/ps` poll of an instance in use); nil when none is scheduled or one is in flight
    /// (the loop wakes within `longestSleep` anyway, and a read that ends later than that
    /// rings the wake signal: `startReading`).
    private func nextRead(_ endpoint: EndpointConfig, routable: Bool, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard routable, !reading.contains(endpoint.name) else { return nil }
        var due: ContinuousClock.Instant? = nil
        if discovery.enabled, let last = lastDiscovery.withLock({ $0[endpoint.name] }) {
            due = last + discovery.interval
        }
        if endpoint.type == .ollama, registry.scheduler.isActive(endpoint.name) {
            let poll = lastResidencyPoll.withLock { $0[endpoint.name] }.map { $0 + Self.activeResidencyInterval } ?? now
            due = min(due ?? poll, poll)
        }
        return due
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

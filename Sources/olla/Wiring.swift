import Glibc
import Logging
import OllaCore
import OllaEngine
import OllaHTTPServer

/// Translates the configuration into what each part of the daemon takes.
struct Wiring {
    let endpoints: [EndpointConfig]
    let proxySettings: ProxySettings
    let serverOptions: HTTPServer.Options
    let balancer: Balancer
    let routingStrategy: RoutingStrategyKind
    let pullTarget: Router.PullTarget
    /// How many event loops (inbound server + outbound curl) run: `server.workers`, or one per
    /// online core when it is 0.
    let workerCount: Int

    struct SecretError: Error, CustomStringConvertible {
        let description: String
    }

    init(config: OllaConfig) throws(SecretError) {
        endpoints = try Self.withCredentials(config.discovery.staticEndpoints.endpoints)
        workerCount = Self.workerCount(configured: config.server.workers)
        let proxy = config.proxy
        balancer = Balancer(strategy: BalancerStrategy(proxy.loadBalancer) ?? .modelAware)
        routingStrategy = config.modelRegistry.routingStrategy.type
        pullTarget = Self.pullTarget(config.modelRegistry.pullTarget)
        proxySettings = ProxySettings(
            connectTimeout: proxy.connectionTimeout,
            responseTimeout: Self.limit(proxy.responseTimeout),
            readTimeout: Self.limit(proxy.readTimeout),
            writeTimeout: Self.limit(config.server.writeTimeout),
            maxRetries: proxy.maxRetries,
            streamBufferSize: proxy.streamBufferSize,
            maxBodySize: Int64(config.server.requestLimits.maxBodySize))
        serverOptions = HTTPServer.Options(
            host: config.server.host,
            port: config.server.port,
            readTimeoutSeconds: config.server.readTimeout.secondsRoundedUp,
            maxHeaderSize: config.server.requestLimits.maxHeaderSize)
    }

    /// Every endpoint whose `auth` secrets cannot be resolved now, one message each, as
    /// start-up would report it (`--validate-config` runs the same resolution).
    static func credentialProblems(_ endpoints: [EndpointConfig]) -> [String] {
        endpoints.compactMap { endpoint -> String? in
            guard let auth = endpoint.auth else { return nil }
            do {
                _ = try auth.header(environment: environment, readFile: readSecretFile)
                return nil
            } catch {
                return "discovery.static.endpoints[\(endpoint.name)].auth: \(error)"
            }
        }
    }

    /// Resolves each endpoint's `auth` block into the header it sends, so probes, discovery
    /// and proxied requests all carry it. `auth` wins over a `headers` entry of the same name.
    static func withCredentials(_ endpoints: [EndpointConfig]) throws(SecretError) -> [EndpointConfig] {
        var resolved: [EndpointConfig] = []
        for var endpoint in endpoints {
            if let auth = endpoint.auth {
                let header: (name: String, value: String)
                do {
                    header = try auth.header(environment: environment, readFile: readSecretFile)
                } catch {
                    throw SecretError(description: "discovery.static.endpoints[\(endpoint.name)].auth: \(error)")
                }
                endpoint.headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
                endpoint.headers.append(EndpointHeader(name: header.name, value: header.value))
            }
            resolved.append(endpoint)
        }
        return resolved
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    static func readSecretFile(_ path: String) -> String? {
        guard let bytes = try? ConfigFileReader.readAll(path: path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The engine's view of this configuration. `previous` keeps rate-limit buckets on reload.
    func generation(config: OllaConfig, registry: EndpointRegistry, previous: AccessPolicy? = nil) -> ProxyEngine.Generation {
        ProxyEngine.Generation(
            settings: proxySettings, registry: registry,
            router: Router(registry: registry, strategy: routingStrategy, balancer: balancer, pullTarget: pullTarget),
            policy: AccessPolicy(server: config.server, previous: previous, environment: Self.environment),
            requestLogging: config.server.requestLogging)
    }

    /// `server.workers` when set, else one worker per online core (at least one).
    static func workerCount(configured: Int) -> Int {
        configured > 0 ? configured : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    static func pullTarget(_ value: String) -> Router.PullTarget {
        switch value {
        case "best": .best
        case "all": .all
        default: .endpoint(value)
        }
    }

    /// Zero in the configuration means "no limit".
    static func limit(_ duration: Duration) -> Duration? {
        duration == .zero ? nil : duration
    }

    static func logLevel(_ level: LogLevel) -> Logger.Level {
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        }
    }
}

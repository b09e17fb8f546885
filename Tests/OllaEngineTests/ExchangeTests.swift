import Logging
import Synchronization
import Testing
@testable import OllaCore
@testable import OllaEngine

/// A whole request through `ProxyEngine.begin` and its `Exchange`, with the two adapters
/// replaced by recorders: no socket, no curl, no libmicrohttpd.
@Suite struct ExchangeTests {
    /// Records what the exchange asks of its client connection.
    final class Client: ClientConnection, @unchecked Sendable {
        let calls = Mutex<[String]>([])
        func suspend() { calls.withLock { $0.append("suspend") } }
        func resume() { calls.withLock { $0.append("resume") } }
        func sendChunk(_ bytes: UnsafeRawBufferPointer) -> ChunkSend { .notTaken }
    }

    /// Records what the exchange asks of curl's loop.
    final class Transport: UpstreamTransport, @unchecked Sendable {
        let started = Mutex<[UpstreamRequest]>([])
        let commands = Mutex<[String]>([])
        func start(_ request: UpstreamRequest, delegate: TransferDelegate) { started.withLock { $0.append(request) } }
        func cancel(transferID: UInt64) { commands.withLock { $0.append("cancel") } }
        func unpause(transferID: UInt64) { commands.withLock { $0.append("unpause") } }
        func execute(_ work: @escaping @Sendable () -> Void) { work() }
        func wake() {}
    }

    private func engine(strategy: RoutingStrategyKind = .optimistic) throws -> ProxyEngine {
        var endpoints: [EndpointConfig] = []
        for name in ["a", "b"] {
            var config = EndpointConfig.localOllama
            config.name = name
            config.url = try EndpointURL(parsing: "http://\(name).local:11434")
            endpoints.append(config)
        }
        let registry = EndpointRegistry(endpoints: endpoints)
        let tags = try CatalogueParser.tags(Array(#"{"models":[{"name":"m:latest","model":"m:latest","modified_at":"2024-01-01T00:00:00Z","size":1,"digest":"d","details":{}}]}"#.utf8))
        registry.updateInventory("a", models: tags, loaded: [], version: "0.6.0")
        registry.updateInventory("b", models: tags, loaded: [], version: "0.6.0")
        let router = Router(registry: registry, strategy: strategy, balancer: Balancer(strategy: .priority), pullTarget: .best)
        let settings = ProxySettings(connectTimeout: .seconds(1), responseTimeout: nil, readTimeout: nil, writeTimeout: nil,
                                     maxRetries: 1, streamBufferSize: 1 << 20, maxBodySize: 0)
        return ProxyEngine(
            generation: .init(settings: settings, registry: registry, router: router,
                              policy: AccessPolicy(server: .defaults), requestLogging: false),
            logger: Logger(label: "test"), refreshInventory: { _ in })
    }

    private let body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8)

    private func head() -> InboundHead {
        InboundHead(method: "POST", rawTarget: "/olla/ollama/api/chat", httpVersion: "HTTP/1.1",
                    headers: [HTTPHeader("Host", "olla"), HTTPHeader("Content-Type", "application/json"), HTTPHeader("Content-Length", String(body.count))],
                    peerAddress: "127.0.0.1")
    }

    @Test func aChatRequestIsProxiedAndItsBodyIsSharedNotCopied() throws {
        let engine = try engine()
        let client = Client(), transport = Transport()
        guard case .proxy(let exchange) = engine.begin(head: head(), client: client, transport: transport) else {
            Issue.record("expected an exchange"); return
        }
        exchange.start()
        #expect(body.withUnsafeBytes { exchange.clientBodyReceived($0) } == nil)
        exchange.clientBodyComplete()
        #expect(engine.liveCount == 1)

        // The first attempt carries the body whole (one write); a connect failure retries with
        // the very same bytes: one copy of the body, shared by every attempt.
        let first = try #require(transport.started.withLock { $0.first })
        #expect(first.inlineBody == body)
        #expect(first.bodyLength == Int64(body.count))
        #expect(first.url.hasSuffix("/api/chat"))
        guard case .wait = exchange.pollAnswer() else { Issue.record("expected to wait"); return }
        exchange.upstreamFinished(.connectFailed("refused"))
        let second = try #require(transport.started.withLock { $0.count == 2 ? $0[1] : nil })
        #expect(second.url != first.url)
        let firstAddress = first.inlineBody?.withUnsafeBytes { $0.baseAddress }
        #expect(firstAddress != nil && firstAddress == second.inlineBody?.withUnsafeBytes { $0.baseAddress })

        // The head resumes the waiting client and is answered with Olla's headers.
        #expect(exchange.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", "application/x-ndjson")])) == .accept)
        guard case .proxied(let status, let headers, let length) = exchange.pollAnswer() else {
            Issue.record("expected a streamed answer"); return
        }
        #expect(status == 200 && length == nil)
        #expect(headers.contains { $0.name == "X-Olla-Model" && $0.value == "m" })
        #expect(headers.contains { $0.name == "X-Olla-Endpoint" })
        #expect(headers.contains { $0.name == "X-Olla-Request-ID" && $0.value == exchange.requestID })

        let line = Array("{\"done\":true,\"eval_count\":3,\"prompt_eval_count\":2}\n".utf8)
        #expect(line.withUnsafeBytes { exchange.upstreamBodyReceived($0) } == .accepted)
        var buffer = [UInt8](repeating: 0, count: 256)
        #expect(buffer.withUnsafeMutableBytes { exchange.readResponse(into: $0) } == .bytes(line.count))
        exchange.upstreamFinished(nil)
        #expect(buffer.withUnsafeMutableBytes { exchange.readResponse(into: $0) } == .end)
        exchange.clientCompleted(successfully: true)
        #expect(engine.liveCount == 0)
        #expect(client.calls.withLock { $0 } == ["suspend", "resume"])
        #expect(transport.commands.withLock { $0 }.isEmpty)
        for name in ["a", "b"] { #expect(engine.generation.registry.inFlightCount(name) == 0) }
    }

    /// The in-flight gauge of `/internal/metrics`, read from the engine's table of live exchanges.
    private func inFlightGauge(_ engine: ProxyEngine) -> String? {
        let get = InboundHead(method: "GET", rawTarget: "/internal/metrics", httpVersion: "HTTP/1.1",
                              headers: [HTTPHeader("Host", "olla")], peerAddress: "127.0.0.1")
        guard case .respond(let response) = engine.begin(head: get, client: Client(), transport: Transport()) else { return nil }
        let line = String(decoding: response.body, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("olla_requests_in_flight ") }
        return line.map { String($0.dropFirst("olla_requests_in_flight ".count)) }
    }

    /// Exchanges leave the live table in any order (each is found at its position and the last
    /// one moved into its place): the count, the in-flight gauge and the peak follow, and a
    /// shutdown reaches every exchange still in it, each once.
    @Test func liveExchangesAreCountedAndReachedWhateverOrderTheyFinishIn() throws {
        let engine = try engine()
        let transport = Transport()
        var exchanges: [Exchange] = []
        for _ in 0..<7 {
            guard case .proxy(let exchange) = engine.begin(head: head(), client: Client(), transport: transport) else {
                Issue.record("expected an exchange"); return
            }
            _ = body.withUnsafeBytes { exchange.clientBodyReceived($0) }
            guard case .wait = exchange.pollAnswer() else { Issue.record("expected to wait"); return }
            exchanges.append(exchange)
        }
        #expect(engine.liveCount == 7)
        #expect(inFlightGauge(engine) == "7")
        #expect(engine.takeLivePeak() == 7)
        // The first, the last, one in the middle, and one finishing twice.
        for at in [0, 6, 3, 3] {
            exchanges[at].clientHungUp()
            exchanges[at].clientCompleted(successfully: false)
        }
        #expect(engine.liveCount == 4)
        #expect(inFlightGauge(engine) == "4")
        #expect(engine.takeLivePeak() == 7)
        #expect(engine.takeLivePeak() == 4)
        transport.commands.withLock { $0.removeAll() }
        engine.terminateAll(reason: "test")
        // Each remaining exchange's transfer is cancelled once; the finished ones are left alone.
        #expect(transport.commands.withLock { $0 } == Array(repeating: "cancel", count: 4))
        for at in [1, 2, 4, 5] { exchanges[at].clientCompleted(successfully: false) }
        #expect(engine.liveCount == 0)
        #expect(inFlightGauge(engine) == "0")
    }

    /// An attempt's URL is the endpoint's base URL followed by the upstream target, byte for
    /// byte (`Exchange.url`, which builds it without `+`).
    @Test func anAttemptsURLIsTheBaseFollowedByTheTarget() {
        let cases: [(String, String)] = [
            ("http://127.0.0.1:11434", "/api/chat"), ("http://a.local:11434/base", "/v1/chat/completions?x=1&y=%20"),
            ("", "/api/tags"), ("http://h", ""), ("", ""), ("http://höst.example:1", "/api/show?name=ünï"),
            ("http://" + String(repeating: "x", count: 300), "/" + String(repeating: "y", count: 5000)),
            (String("xhttp://sub.string".dropFirst()), String("/api/ps?".dropLast())),
        ]
        for (base, target) in cases {
            let url = Exchange.url(base, target)
            #expect(url == base + target)
            #expect(Array(url.utf8) == Array(base.utf8) + Array(target.utf8))
        }
    }

    @Test func aClientLeavingWhileWaitingCancelsTheTransfer() throws {
        let engine = try engine()
        let client = Client(), transport = Transport()
        guard case .proxy(let exchange) = engine.begin(head: head(), client: client, transport: transport) else {
            Issue.record("expected an exchange"); return
        }
        _ = body.withUnsafeBytes { exchange.clientBodyReceived($0) }
        exchange.clientBodyComplete()
        guard case .wait = exchange.pollAnswer() else { Issue.record("expected to wait"); return }
        exchange.clientHungUp()
        #expect(transport.commands.withLock { $0 } == ["cancel"])
        #expect(client.calls.withLock { $0 } == ["suspend", "resume"])
        exchange.clientCompleted(successfully: false)
        #expect(engine.liveCount == 0)
        for name in ["a", "b"] { #expect(engine.generation.registry.inFlightCount(name) == 0) }
    }

    /// libmicrohttpd's calls as they come: body bytes, then polls only. The first poll ends the
    /// body (the server keeps no flag of its own); later polls only ask.
    @Test func theFirstPollEndsTheBodyAndLaterPollsOnlyAsk() throws {
        let engine = try engine()
        let client = Client(), transport = Transport()
        guard case .proxy(let exchange) = engine.begin(head: head(), client: client, transport: transport) else {
            Issue.record("expected an exchange"); return
        }
        exchange.start()
        _ = body.withUnsafeBytes { exchange.clientBodyReceived($0) }
        #expect(transport.started.withLock { $0.isEmpty })
        guard case .wait = exchange.pollAnswer() else { Issue.record("expected to wait"); return }
        #expect(transport.started.withLock { $0.count } == 1, "routed and started by the first poll")
        #expect(engine.generation.registry.inFlightCount("a") + engine.generation.registry.inFlightCount("b") == 1)
        guard case .wait = exchange.pollAnswer() else { Issue.record("expected to wait"); return }
        #expect(transport.started.withLock { $0.count } == 1, "a later poll starts nothing")
        #expect(client.calls.withLock { $0 } == ["suspend"])
        exchange.clientHungUp()
        exchange.clientCompleted(successfully: false)
        for name in ["a", "b"] { #expect(engine.generation.registry.inFlightCount(name) == 0) }
    }

    /// A request Olla answers itself at routing (no model in the body) is answered by the
    /// first poll, without a suspension.
    @Test func anAnswerDecidedAtRoutingComesWithTheFirstPoll() throws {
        let engine = try engine(strategy: .strict)
        let client = Client(), transport = Transport()
        guard case .proxy(let exchange) = engine.begin(head: head(), client: client, transport: transport) else {
            Issue.record("expected an exchange"); return
        }
        _ = Array(#"{"model":"absent"}"#.utf8).withUnsafeBytes { exchange.clientBodyReceived($0) }
        guard case .local(let response) = exchange.pollAnswer() else { Issue.record("expected Olla's answer"); return }
        #expect(response.status == 404)
        #expect(client.calls.withLock { $0 }.isEmpty)
        #expect(transport.started.withLock { $0 }.isEmpty)
        exchange.clientCompleted(successfully: true)
    }

    /// curl stops asking at a declared length: the exchange says which bytes are the last, and
    /// whether a silent transfer is one it paused.
    @Test func theExchangeTellsTheTransportTheLastBytesAndItsPause() throws {
        let engine = try engine()
        let client = Client(), transport = Transport()
        guard case .proxy(let exchange) = engine.begin(head: head(), client: client, transport: transport) else {
            Issue.record("expected an exchange"); return
        }
        _ = body.withUnsafeBytes { exchange.clientBodyReceived($0) }
        _ = exchange.pollAnswer()
        var buffer = [UInt8](repeating: 0, count: body.count - 10)
        #expect(buffer.withUnsafeMutableBytes { exchange.readUpload(into: $0) } == .bytes(body.count - 10))
        #expect(buffer.withUnsafeMutableBytes { exchange.readUpload(into: $0) } == .lastBytes(10))
        #expect(!exchange.holdsAnswerPaused)
        exchange.clientHungUp()
        exchange.clientCompleted(successfully: false)
    }
}

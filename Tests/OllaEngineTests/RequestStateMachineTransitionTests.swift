import Testing
@testable import OllaCore
@testable import OllaEngine

/// Every event in every state of `RequestStateMachine`: where it moves and what the owner
/// must do, or that the event is impossible there and stops the process (an exit test).
///
/// The table below is the specification, written out by hand; the machine is driven into
/// each state by real events (`Fixture.make()`), never by setting its state directly.
@Suite struct RequestStateMachineTransitionTests {
    typealias Machine = RequestStateMachine

    /// A state to start from, reached through real events.
    enum Fixture: String, CaseIterable, Codable, Sendable {
        case receivingBody, awaitingUploadRoute, routing, held, connecting, connectingUpload, fanningOut
        /// The backend's head is in, not yet queued; the transfer runs.
        case answeringReady
        /// The head is queued, the transfer runs (body bytes flowing).
        case streaming
        /// Olla's own error, not yet queued; no transfer.
        case answeringError
        /// The head is queued and the transfer finished.
        case answered
        case finishedClientLeft, finished

        func make() -> Machine {
            var m = Machine.fixture(streamsUpload: self == .awaitingUploadRoute || self == .connectingUpload)
            func apply(_ action: Machine.Action) { _ = action }
            switch self {
            case .receivingBody, .awaitingUploadRoute:
                break
            case .connectingUpload:
                apply(m.uploadRouted(.forward(Machine.a, Machine.b)))
            case .routing:
                Machine.send(#"{"model":"m"}"#, to: &m)
                apply(m.clientBodyComplete())
            default:
                Machine.send(#"{"model":"m"}"#, to: &m)
                apply(m.clientBodyComplete())
                switch self {
                case .held: apply(m.routed(.held("m"), model: "m", changesHoldings: false))
                case .fanningOut: apply(m.routed(.fanOut(Machine.a, Machine.b), model: "m", changesHoldings: false))
                case .answeringError: apply(m.routed(.rejected, model: "m", changesHoldings: false))
                default:
                    apply(m.routed(.forward(Machine.a, Machine.b), model: "m", changesHoldings: false))
                    switch self {
                    case .connecting: break
                    case .finishedClientLeft: apply(m.clientLeft())
                    default:
                        apply(m.upstreamHeadReceived(Machine.ndjsonHead, at: .now).0)
                        if self == .answeringReady { break }
                        _ = m.pollAnswer()
                        if self == .streaming { break }
                        apply(m.upstreamFinished(nil))
                        if self == .answered { break }
                        apply(m.clientCompleted())
                    }
                }
            }
            return m
        }
    }

    /// One event, with fixed arguments.
    enum Event: String, CaseIterable, Codable, Sendable {
        case uploadRouted, routed, clientBodyReceived, clientBodyComplete, pollAnswer, readResponse
        case upstreamHeadReceived, upstreamBodyReceived, upstreamFinished, upstreamConnectFailed, readUpload
        case fanOutFinished, heldRequestReleased, heldRequestRefused, clientLeft, clientCompleted, terminate

        @discardableResult
        func apply(to m: inout Machine) -> Machine.Action {
            var buffer = [UInt8](repeating: 0, count: 64)
            switch self {
            case .uploadRouted: return m.uploadRouted(.forward(Machine.a))
            case .routed: return m.routed(.forward(Machine.a), model: "m", changesHoldings: false)
            case .clientBodyReceived: return Array("x".utf8).withUnsafeBytes { m.clientBodyReceived($0) }.0
            case .clientBodyComplete: return m.clientBodyComplete()
            case .pollAnswer: return m.pollAnswer().0
            case .readResponse: return buffer.withUnsafeMutableBytes { m.readResponse(into: $0) }.0
            case .upstreamHeadReceived: return m.upstreamHeadReceived(Machine.ndjsonHead, at: .now).0
            case .upstreamBodyReceived: return Array("x".utf8).withUnsafeBytes { m.upstreamBodyReceived($0) }.0
            case .upstreamFinished: return m.upstreamFinished(nil)
            case .upstreamConnectFailed: return m.upstreamFinished(.connectFailed("refused"))
            case .readUpload: return buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.0
            case .fanOutFinished: return m.fanOutFinished(LocalResponse(status: 200, headers: [], body: []))
            case .heldRequestReleased: return m.heldRequestReleased(.forward(Machine.a))
            case .heldRequestRefused: return m.heldRequestRefused(ProxyError(.serviceUnavailable, "busy"), retryAfterSeconds: 5)
            case .clientLeft: return m.clientLeft()
            case .clientCompleted: return m.clientCompleted()
            case .terminate: return m.terminate(reason: "olla is shutting down")
            }
        }
    }

    /// What an event does in a state.
    enum Outcome: Equatable {
        /// The state afterwards (`State.name`) and the action, by its case name.
        case moves(String, String)
        /// The event is a bug in the caller: the process stops.
        case traps
    }

    static let T = Outcome.traps
    static func to(_ state: String, _ action: String = "none") -> Outcome { .moves(state, action) }
    static let stays = "same"

    static let sent = "answering(sent, running)"
    static let ready = "answering(ready, running)"
    static let sentEnded = "answering(sent, ended)"
    static let readyEnded = "answering(ready, ended)"

    /// The specification: for each event, its outcome in each fixture. A fixture missing
    /// from an event's row traps.
    static let table: [Event: [Fixture: Outcome]] = [
        .uploadRouted: [.awaitingUploadRoute: to("connecting", "startAttempt")],
        .routed: [.routing: to("connecting", "startAttempt"), .finishedClientLeft: to(stays), .finished: to(stays)],
        .clientBodyReceived: [
            .receivingBody: to(stays), .connectingUpload: to(stays),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .clientBodyComplete: [
            .receivingBody: to("routing", "route"), .connectingUpload: to(stays),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .pollAnswer: [
            .held: to(stays, "suspendClient"), .connecting: to(stays, "suspendClient"),
            .connectingUpload: to(stays, "suspendClient"), .fanningOut: to(stays, "suspendClient"),
            .answeringReady: to(sent), .answeringError: to(sentEnded),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .readResponse: [
            .streaming: to(stays, "suspendClient"), .answered: to(stays),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .upstreamHeadReceived: [
            .connecting: to(ready), .connectingUpload: to(ready),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .upstreamBodyReceived: [
            .answeringReady: to(stays), .streaming: to(stays),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .upstreamFinished: [
            .connecting: to(readyEnded), .connectingUpload: to(readyEnded),
            .answeringReady: to(readyEnded), .streaming: to(sentEnded),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .upstreamConnectFailed: [
            .connecting: to("connecting", "startAttempt"), .connectingUpload: to("connecting", "startAttempt"),
            .answeringReady: to(readyEnded), .streaming: to(sentEnded),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .readUpload: [
            .connecting: to(stays), .connectingUpload: to(stays), .answeringReady: to(stays), .streaming: to(stays),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .fanOutFinished: [
            .fanningOut: to(readyEnded),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .heldRequestReleased: [
            .held: to("connecting", "startAttempt"),
            .answeringReady: to(stays), .streaming: to(stays), .answeringError: to(stays), .answered: to(stays),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .heldRequestRefused: [
            .held: to(readyEnded),
            .answeringReady: to(stays), .streaming: to(stays), .answeringError: to(stays), .answered: to(stays),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .clientLeft: [
            .receivingBody: to("finished(clientLeft)"), .awaitingUploadRoute: to("finished(clientLeft)"),
            .routing: to("finished(clientLeft)"), .held: to("finished(clientLeft)"),
            .connecting: to("finished(clientLeft)", "cancelTransfer"),
            .connectingUpload: to("finished(clientLeft)", "cancelTransfer"),
            .fanningOut: to("finished(clientLeft)", "cancelTransfer"),
            .answeringReady: to("finished(clientLeft)", "cancelTransfer"),
            .streaming: to("finished(clientLeft)", "cancelTransfer"),
            .answeringError: to("finished(clientLeft)"), .answered: to("finished(clientLeft)"),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .clientCompleted: [
            .receivingBody: to("finished"), .awaitingUploadRoute: to("finished"), .routing: to("finished"),
            .held: to("finished"),
            .connecting: to("finished", "cancelTransfer"), .connectingUpload: to("finished", "cancelTransfer"),
            .fanningOut: to("finished", "cancelTransfer"), .answeringReady: to("finished", "cancelTransfer"),
            .streaming: to("finished", "cancelTransfer"),
            .answeringError: to("finished"), .answered: to("finished"),
            .finishedClientLeft: to(stays), .finished: to(stays),
        ],
        .terminate: [
            .receivingBody: to(stays), .awaitingUploadRoute: to(stays), .routing: to(stays), .held: to(stays),
            .connecting: to(readyEnded, "cancelTransfer"), .connectingUpload: to(readyEnded, "cancelTransfer"),
            .fanningOut: to(readyEnded, "cancelTransfer"),
            .answeringReady: to(readyEnded, "cancelTransfer"), .streaming: to(sentEnded, "cancelTransfer"),
            .answeringError: to(stays), .answered: to(stays), .finishedClientLeft: to(stays), .finished: to(stays),
        ],
    ]

    struct Pair: Codable, Sendable, CustomTestStringConvertible {
        var event: Event
        var fixture: Fixture
        var testDescription: String { "\(event.rawValue) in \(fixture.rawValue)" }
    }

    static let allPairs = Event.allCases.flatMap { event in Fixture.allCases.map { Pair(event: event, fixture: $0) } }
    static let possiblePairs = allPairs.filter { table[$0.event]?[$0.fixture] != nil }
    static let impossiblePairs = allPairs.filter { table[$0.event]?[$0.fixture] == nil }

    @Test func fixturesReachTheirStates() {
        let expected: [Fixture: String] = [
            .receivingBody: "receivingBody", .awaitingUploadRoute: "awaitingUploadRoute", .routing: "routing",
            .held: "held", .connecting: "connecting", .connectingUpload: "connecting", .fanningOut: "fanningOut",
            .answeringReady: Self.ready, .streaming: Self.sent, .answeringError: "answering(ready, ended)",
            .answered: Self.sentEnded, .finishedClientLeft: "finished(clientLeft)", .finished: "finished",
        ]
        for fixture in Fixture.allCases {
            #expect(fixture.make().state.name == expected[fixture], "\(fixture)")
        }
    }

    @Test func theTableCoversEveryEventInEveryState() {
        #expect(Self.allPairs.count == Event.allCases.count * Fixture.allCases.count)
        #expect(Self.possiblePairs.count + Self.impossiblePairs.count == Self.allPairs.count)
    }

    @Test(arguments: possiblePairs)
    func possibleEvent(_ pair: Pair) {
        guard case .moves(let next, let action) = Self.table[pair.event]![pair.fixture]! else { return }
        var m = pair.fixture.make()
        let before = m.state.name
        let result = pair.event.apply(to: &m)
        #expect(m.state.name == (next == Self.stays ? before : next))
        #expect(result.caseName == action)
    }

    @Test(arguments: impossiblePairs)
    func impossibleEventStopsTheProcess(_ pair: Pair) async {
        await #expect(processExitsWith: .failure) { [pair] in
            var m = pair.fixture.make()
            pair.event.apply(to: &m)
        }
    }
}

extension RequestStateMachine.Action {
    /// The case's name, for tables.
    var caseName: String {
        switch self {
        case .none: "none"
        case .suspendClient: "suspendClient"
        case .resumeClient: "resumeClient"
        case .startAttempt: "startAttempt"
        case .unpauseTransfer: "unpauseTransfer"
        case .unpauseTransferAndSuspendClient: "unpauseTransferAndSuspendClient"
        case .cancelTransfer: "cancelTransfer"
        case .cancelTransferAndResumeClient: "cancelTransferAndResumeClient"
        case .route: "route"
        case .startFanOut: "startFanOut"
        case .hold: "hold"
        }
    }
}

extension RequestStateMachine {
    static let a = EndpointTarget(name: "a", baseURL: "http://127.0.0.1:1", priority: 1)
    static let b = EndpointTarget(name: "b", baseURL: "http://127.0.0.1:2", priority: 1)
    static let ndjsonHead = UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", "application/x-ndjson")])

    static func fixture(streamsUpload: Bool = false, highWater: Int = 8, attempts: Int = 2, maxBody: Int64 = 0,
                        keepsTail: Bool = false, flavor: APIFlavor = .native, announced: Int64? = -1) -> Self {
        Self(limits: Limits(streamsUpload: streamsUpload, highWater: highWater, maxAttempts: attempts,
                            maxBodySize: maxBody, keepsTail: keepsTail, flavor: flavor),
             announcedBodyLength: announced)
    }

    static func send(_ text: String, to m: inout Self) {
        _ = Array(text.utf8).withUnsafeBytes { m.clientBodyReceived($0) }
    }
}

extension RoutingPlan {
    static func forward(_ targets: EndpointTarget...) -> RoutingPlan {
        RoutingPlan(target: .forward(targets), strategy: .optimistic, decision: .routed, reason: "test")
    }
    static func fanOut(_ targets: EndpointTarget...) -> RoutingPlan {
        RoutingPlan(target: .fanOut(targets), strategy: .optimistic, decision: .fanOut, reason: "test")
    }
    static func held(_ model: String) -> RoutingPlan {
        RoutingPlan(target: .hold(model: model), strategy: .optimistic, decision: .routed, reason: "test")
    }
    static let rejected = RoutingPlan(target: .reject(ProxyError(.notFound, "no model"), retryAfterSeconds: nil),
                                      strategy: .optimistic, decision: .rejected, reason: "test")
}

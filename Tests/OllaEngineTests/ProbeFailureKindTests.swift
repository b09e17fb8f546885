import Testing
import OllaCore
@testable import OllaEngine

/// How a probe's transfer failure is weighed: a connect that timed out is as strong as a
/// refusal; a timeout on an accepted connection is the weak kind a late probe may be.
@Suite struct ProbeFailureKindTests {
    @Test func connectTimeoutsAreKeptApartFromTimeoutsOnAnAcceptedConnection() {
        #expect(EndpointMonitor.probeFailure(.connectTimedOut) == .connectTimeout)
        #expect(EndpointMonitor.probeFailure(.firstByteTimedOut) == .timeout)
        #expect(EndpointMonitor.probeFailure(.idleTimedOut) == .timeout)
        let refused = UpstreamFailure.connectFailed("Couldn't connect to server")
        #expect(EndpointMonitor.probeFailure(refused) == .transport("backend unreachable: Couldn't connect to server"))
        #expect(EndpointMonitor.probeFailure(.transferFailed("Connection reset by peer"))
            == .transport("backend connection broke: Connection reset by peer"))
    }
}

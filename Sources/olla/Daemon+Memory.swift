import CGlibcMalloc
import Logging
import OllaCore
import OllaEngine
import OllaUpstream
import Synchronization

extension Daemon {
    /// Idle easy handles each worker's pool keeps after a burst: what a steady load of that
    /// many concurrent backend requests per worker reuses without allocating.
    static let pooledHandlesKeptAfterBurst = 16
    /// The longest the trim waits for the workers to free their pooled handles (a worker busy
    /// with a long round, or stopping); the trim then goes ahead without the rest.
    static let handleShedWait: Duration = .seconds(1)

    /// Samples the live exchange count (and the most that were live at once since the previous
    /// sample, `ProxyEngine.takeLivePeak`) once a second and gives freed heap memory back to
    /// the kernel after a burst of streams has ended (see `MemoryTrimPolicy` for why and
    /// when). First each worker frees the easy handles its pool grew to during the burst
    /// (`CurlTransport.shedIdleHandles`: up to 256 per worker, ~16 KiB each — most of what
    /// stayed resident after 1,000 streams closed, `make bench-instructions`), so the trim
    /// can give their pages back too. The trim runs on this task's thread, not on a worker loop.
    static func trimMemoryAfterBursts(_ engine: ProxyEngine, transports: [CurlTransport], logger: Logger) async {
        var policy = MemoryTrimPolicy()
        let clock = ContinuousClock()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            // The peak since the last sample: a burst shorter than a second counts too.
            let peak = engine.takeLivePeak()
            guard policy.shouldTrim(live: engine.liveCount, peakSinceLastSample: peak, now: clock.now) else { continue }
            let started = clock.now
            await shedPooledHandles(transports, clock: clock)
            let released = malloc_trim(0) == 1
            logger.debug("heap trimmed after a burst of streams", metadata: [
                "released": "\(released)", "duration": "\(clock.now - started)",
            ])
        }
    }

    /// Has every worker free its surplus pooled handles and waits until all have (at most
    /// `handleShedWait`).
    private static func shedPooledHandles(_ transports: [CurlTransport], clock: ContinuousClock) async {
        let pending = PendingWorkers(transports.count)
        for transport in transports {
            transport.shedIdleHandles(keeping: pooledHandlesKeptAfterBurst) {
                pending.count.subtract(1, ordering: .releasing)
            }
        }
        let deadline = clock.now + handleShedWait
        while pending.count.load(ordering: .acquiring) > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// How many workers have not yet freed their surplus pooled handles.
private final class PendingWorkers: Sendable {
    let count: Atomic<Int>
    init(_ count: Int) { self.count = Atomic(count) }
}

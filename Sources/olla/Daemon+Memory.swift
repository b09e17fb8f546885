import CGlibcMalloc
import Logging
import OllaCore
import OllaEngine

extension Daemon {
    /// Samples the live exchange count once a second and gives freed heap memory back to
    /// the kernel after a burst of streams has ended (see `MemoryTrimPolicy` for why and
    /// when). The trim runs on this task's thread, not on a worker loop.
    static func trimMemoryAfterBursts(_ engine: ProxyEngine, logger: Logger) async {
        var policy = MemoryTrimPolicy()
        let clock = ContinuousClock()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard policy.shouldTrim(live: engine.liveCount, now: clock.now) else { continue }
            let started = clock.now
            let released = malloc_trim(0) == 1
            logger.debug("heap trimmed after a burst of streams", metadata: [
                "released": "\(released)", "duration": "\(clock.now - started)",
            ])
        }
    }
}

import Glibc

/// Signals are taken synchronously by the main thread with `sigwait`: blocked in every thread
/// before any is started, so no handler runs at an arbitrary point.
enum Signals {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Must run before any other thread starts, so they inherit the mask.
    static func blockHandled() {
        var set = handledSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // A client that vanishes must surface as a write error, never kill the process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks until one of the handled signals arrives, without a timeout.
    static func wait() -> Int32 {
        var set = handledSet()
        var received: Int32 = 0
        sigwait(&set, &received)
        return received
    }

    private static func handledSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}

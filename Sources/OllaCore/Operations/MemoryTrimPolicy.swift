/// Decides when the daemon hands freed heap memory back to the kernel (`malloc_trim`).
///
/// Why: glibc keeps memory freed by the worker threads in their arenas, and a burst of
/// thousands of concurrent streams leaves those arenas fragmented, so the resident size stays
/// at the burst's peak long after the streams have closed (measured by `make soak`: 255 MB
/// after three rounds of 3,000 streams, 59 MB after one trim; docs/operations.md, "Soak
/// test"). A trim walks every arena and releases its whole free pages, so it costs time in
/// proportion to the heap and holds each arena's lock meanwhile. It is therefore done only
/// after a real burst (`minimumPeak` live exchanges or more) has mostly ended (three
/// quarters of the peak gone), and at most once per `minimumInterval`.
///
/// Pure: the caller samples the live exchange count and the time, and trims when told.
public struct MemoryTrimPolicy: Sendable {
    /// The smallest peak of live exchanges worth trimming after; below it the retained
    /// memory is a few MB.
    public static let minimumPeak = 256
    /// The shortest time between two trims.
    public static let minimumInterval: Duration = .seconds(10)

    private var peak = 0
    private var lastTrim: ContinuousClock.Instant?

    /// Creates a policy that has seen no exchanges yet.
    public init() {}

    /// Records a sample of the live exchange count; returns true when the caller should trim
    /// now (the peak then starts again from `live`).
    public mutating func shouldTrim(live: Int, now: ContinuousClock.Instant) -> Bool {
        shouldTrim(live: live, peakSinceLastSample: live, now: now)
    }

    /// Records a sample of the live exchange count and the most that were live at once since
    /// the previous sample: a burst that begins and ends between two samples (a second apart)
    /// counts too. Returns true when the caller should trim now (the peak then starts again
    /// from `live`).
    public mutating func shouldTrim(live: Int, peakSinceLastSample: Int, now: ContinuousClock.Instant) -> Bool {
        peak = max(peak, peakSinceLastSample, live)
        guard peak >= Self.minimumPeak, live <= peak / 4 else { return false }
        if let lastTrim, now - lastTrim < Self.minimumInterval { return false }
        lastTrim = now
        peak = live
        return true
    }
}

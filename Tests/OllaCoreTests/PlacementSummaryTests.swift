import Testing
@testable import OllaCore

/// The reason of a placement on a free loaded model is appended into one buffer: the same
/// text as the interpolation it replaced, for short, long and non-ASCII instance names.
@Suite struct PlacementSummaryTests {
    @Test(arguments: ["b", "gpu-a", "an-instance-name-longer-than-fifteen-bytes", "gpu-é", "", "ü🦙"])
    func aFreeLoadedModelSaysSo(name: String) {
        let estimate = PlacementEstimate(candidate: SchedulingCandidate(name: name), residency: .loaded, queueWait: 0,
                                         loadTime: 0, canStartNow: true)
        #expect(estimate.summary == "loaded on \(name), free")
        #expect(Placement.dispatch([estimate]).reason == "loaded on \(name), free")
    }
}

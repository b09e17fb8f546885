import Testing
@testable import OllaCore

/// `TokenUsage` keeps its five timings as whole nanoseconds: what goes in is what comes out
/// for every reading a backend or the engine makes, nil stays nil, and extremes saturate
/// instead of trapping or turning into nil.
@Suite struct TokenUsageStorageTests {
    private let readings: [Duration?] = [
        nil, .zero, .nanoseconds(1), .nanoseconds(-1), .nanoseconds(123_456_789), .milliseconds(1.5),
        .seconds(2), .seconds(3_600 * 24 * 365 * 200), .nanoseconds(Int64.max), .nanoseconds(Int64.min + 1),
    ]

    @Test func everyTimingReadsBackAsItWasGiven() {
        for reading in readings {
            var usage = TokenUsage(promptTokens: 3, completionTokens: 4, evalDuration: reading, loadDuration: reading,
                                   totalDuration: reading, promptEvalDuration: reading)
            usage.streamDuration = reading
            #expect(usage.evalDuration == reading)
            #expect(usage.loadDuration == reading)
            #expect(usage.totalDuration == reading)
            #expect(usage.promptEvalDuration == reading)
            #expect(usage.streamDuration == reading)
            #expect(usage.promptTokens == 3 && usage.completionTokens == 4)
        }
    }

    @Test func eachTimingIsItsOwn() {
        var usage = TokenUsage(promptTokens: 1, completionTokens: 2, evalDuration: .seconds(1), loadDuration: .seconds(2),
                               totalDuration: .seconds(3), promptEvalDuration: .seconds(4))
        usage.streamDuration = .seconds(5)
        #expect([usage.evalDuration, usage.loadDuration, usage.totalDuration, usage.promptEvalDuration, usage.streamDuration]
                == [.seconds(1), .seconds(2), .seconds(3), .seconds(4), .seconds(5)])
        usage.loadDuration = nil
        #expect(usage.loadDuration == nil && usage.evalDuration == .seconds(1) && usage.totalDuration == .seconds(3))
        #expect(TokenUsage(promptTokens: 1, completionTokens: 2).streamDuration == nil)
    }

    @Test func theFinalLineInitializerIsTheDurationOne() {
        for value in [nil, 0, 1, 987_654_321, Int.max, Int.min + 1] as [Int?] {
            let nanoseconds = TokenUsage(promptTokens: 5, completionTokens: 6, evalNanoseconds: value, loadNanoseconds: value,
                                         totalNanoseconds: value, promptEvalNanoseconds: value)
            let durations = TokenUsage(promptTokens: 5, completionTokens: 6, evalDuration: value.map { .nanoseconds($0) },
                                       loadDuration: value.map { .nanoseconds($0) }, totalDuration: value.map { .nanoseconds($0) },
                                       promptEvalDuration: value.map { .nanoseconds($0) })
            #expect(nanoseconds == durations)
            #expect(nanoseconds.evalDuration == value.map { .nanoseconds($0) })
        }
    }

    @Test func finerPartsAreCutAndExtremesSaturate() {
        let fine = Duration(secondsComponent: 1, attosecondsComponent: 999_999_999)  // 1 s + 0.999999999 ns
        #expect(TokenUsage(promptTokens: 0, completionTokens: 0, evalDuration: fine).evalDuration == .seconds(1))
        let huge = Duration.seconds(Int64.max)
        #expect(TokenUsage(promptTokens: 0, completionTokens: 0, evalDuration: huge).evalDuration == .nanoseconds(Int64.max))
        #expect(TokenUsage(promptTokens: 0, completionTokens: 0, evalDuration: .zero - huge).evalDuration
                == .nanoseconds(Int64.min + 1))
        #expect(TokenUsage(promptTokens: 0, completionTokens: 0, evalNanoseconds: Int.min, loadNanoseconds: nil,
                           totalNanoseconds: nil, promptEvalNanoseconds: nil).evalDuration == .nanoseconds(Int64.min + 1))
    }

    @Test func timingsAreReportedExactlyWhenABackendTimingIsSet() {
        #expect(TokenUsage(promptTokens: 1, completionTokens: 9).timings == nil)
        #expect(TokenUsage(promptTokens: 1, completionTokens: 9, totalDuration: .seconds(1)).timings
                == GenerationTimings(totalDuration: .seconds(1), evalCount: 9))
        #expect(TokenUsage(promptTokens: 1, completionTokens: 9, loadDuration: .zero).timings
                == GenerationTimings(loadDuration: .zero, evalCount: 9))
        var streamed = TokenUsage(promptTokens: 1, completionTokens: 9)
        streamed.streamDuration = .seconds(2)
        #expect(streamed.timings == GenerationTimings(evalCount: 8, evalDuration: .seconds(2)))
    }

    /// The fleet page's timeline reads a cold load and the generation time as stored; they
    /// are what `timings?.wasColdLoad` and `evalDuration` say, around the threshold and at
    /// the extremes.
    @Test func coldLoadAndGenerationTimeReadAsStored() {
        let threshold = SchedulerSettings.coldLoadThreshold
        var usages: [TokenUsage] = [TokenUsage(promptTokens: 1, completionTokens: 9)]
        for load in [nil, .zero, threshold - .nanoseconds(1), threshold, threshold + .nanoseconds(1), .seconds(-1),
                     .seconds(Int64.max), .zero - .seconds(Int64.max)] as [Duration?] {
            for eval in [nil, .zero, .nanoseconds(1), .seconds(3), .seconds(-2)] as [Duration?] {
                usages.append(TokenUsage(promptTokens: 1, completionTokens: 9, evalDuration: eval, loadDuration: load))
                var streamed = TokenUsage(promptTokens: 1, completionTokens: 9, evalDuration: eval, loadDuration: load)
                streamed.streamDuration = .seconds(5)
                usages.append(streamed)
            }
        }
        for usage in usages {
            #expect(usage.wasColdLoad == (usage.timings?.wasColdLoad ?? false), "\(usage)")
            #expect(usage.evalNanosecondsOrZero == (usage.evalDuration ?? .zero).saturatedNanoseconds, "\(usage)")
        }
        #expect(TokenUsage(promptTokens: 1, completionTokens: 9, loadDuration: threshold).wasColdLoad)
        #expect(!TokenUsage(promptTokens: 1, completionTokens: 9, loadDuration: threshold - .nanoseconds(1)).wasColdLoad)
    }
}

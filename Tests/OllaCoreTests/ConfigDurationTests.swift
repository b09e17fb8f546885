import Testing
import OllaCore

@Suite("Durations")
struct ConfigDurationTests {
    @Test(arguments: [
        ("0", Duration.zero),
        ("0s", .zero),
        ("500ms", .milliseconds(500)),
        ("1.5s", .milliseconds(1_500)),
        ("10m", .seconds(600)),
        ("1h30m", .seconds(5_400)),
        ("30m1h", .seconds(5_400)),
        ("250us", .microseconds(250)),
        ("250µs", .microseconds(250)),
        ("250μs", .microseconds(250)),
        ("100ns", .nanoseconds(100)),
        (".5s", .milliseconds(500)),
        ("1.s", .seconds(1)),
        ("1h1m1s1ms1us1ns", .nanoseconds(3_661_001_001_001)),
        ("0.000000001s", .nanoseconds(1)),
        ("1.0000000019999s", .nanoseconds(1_000_000_001)),
        ("2562047h", .seconds(2_562_047 * 3_600)),
    ])
    func parses(_ text: String, _ expected: Duration) throws {
        #expect(try DurationParser.parse(text) == expected)
    }

    @Test(arguments: [
        ("", "empty string"),
        ("5", #"missing unit after "5" (write e.g. "5s"; units: ns, us, ms, s, m, h)"#),
        ("1h5", #"missing unit after "5" (write e.g. "5s"; units: ns, us, ms, s, m, h)"#),
        ("-5s", "negative durations are not allowed"),
        ("+5s", "unexpected character '+', expected a number"),
        ("5 s", #"unknown unit " s" (units: ns, us, ms, s, m, h)"#),
        ("5S", #"unknown unit "S" (units: ns, us, ms, s, m, h)"#),
        ("5d", #"unknown unit "d" (units: ns, us, ms, s, m, h)"#),
        ("s", "unexpected character 's', expected a number"),
        (".s", "unexpected character 's', expected a number"),
        ("1..5s", #"missing unit after "1." (write e.g. "1.s"; units: ns, us, ms, s, m, h)"#),
        ("5s ", #"unknown unit "s " (units: ns, us, ms, s, m, h)"#),
        ("2562048h", "too large (maximum is about 292 years)"),
        ("99999999999999999999999s", "too large (maximum is about 292 years)"),
    ])
    func rejects(_ text: String, _ reason: String) {
        #expect(throws: DurationParseError(input: text, reason: reason)) {
            try DurationParser.parse(text)
        }
    }

    @Test func errorDescriptionQuotesInput() {
        let error = DurationParseError(input: "5", reason: "missing unit")
        #expect(error.description == #"invalid duration "5": missing unit"#)
    }

    @Test(arguments: [
        (Duration.zero, "0s"),
        (.nanoseconds(100), "100ns"),
        (.microseconds(250), "250us"),
        (.nanoseconds(1_500), "1.5us"),
        (.milliseconds(500), "500ms"),
        (.microseconds(1_250), "1.25ms"),
        (.seconds(1), "1s"),
        (.milliseconds(1_500), "1.5s"),
        (.seconds(30), "30s"),
        (.seconds(90), "1m30s"),
        (.seconds(600), "10m"),
        (.seconds(3_600), "1h"),
        (.seconds(3_630), "1h30s"),
        (.seconds(5_400), "1h30m"),
        (.seconds(-90), "-1m30s"),
        (.nanoseconds(3_661_001_001_001), "1h1m1.001001001s"),
    ])
    func formats(_ duration: Duration, _ expected: String) {
        #expect(DurationFormatter.format(duration) == expected)
    }

    @Test func formattedDurationsParseBack() throws {
        let samples: [Duration] = [.zero, .nanoseconds(7), .microseconds(3), .milliseconds(42),
                                   .milliseconds(61_001), .seconds(86_400), .nanoseconds(9_876_543_210_123)]
        for duration in samples {
            #expect(try DurationParser.parse(DurationFormatter.format(duration)) == duration)
        }
    }

    @Test func dropsSubNanosecondPrecision() {
        #expect(DurationFormatter.format(.nanoseconds(1) + .init(secondsComponent: 0, attosecondsComponent: 5)) == "1ns")
    }
}

import Testing
@testable import OllaCore

@Suite("Catalogue: RFC3339Timestamp")
struct CatalogueTimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("2024-05-22T10:01:30+02:00", 1_716_364_890),
        ("2024-06-04T14:38:31-07:00", 1_717_537_111),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
        ("2000-03-01T00:00:00Z", 951_868_800),
        ("0001-01-01T00:00:00Z", -62_135_596_800),  // Go's zero time.Time
        ("9999-12-31T23:59:59Z", 253_402_300_799),
        ("2024-05-22t08:01:30z", 1_716_364_890),
        ("2024-05-22 08:01:30Z", 1_716_364_890),
    ])
    func parsesUnixSeconds(_ text: String, _ seconds: Int) {
        #expect(RFC3339Timestamp(parsing: text)?.unixSeconds == seconds)
    }

    @Test func parsesFractionsOfAnyLength() {
        let nano = RFC3339Timestamp(parsing: "2024-05-22T10:01:30.123456789+02:00")
        #expect(nano == RFC3339Timestamp(unixSeconds: 1_716_364_890, nanoseconds: 123_456_789))
        #expect(RFC3339Timestamp(parsing: "2024-05-22T08:01:30.5Z")?.nanoseconds == 500_000_000)
        #expect(RFC3339Timestamp(parsing: "2024-05-22T08:01:30.1234567891234Z")?.nanoseconds == 123_456_789)
    }

    @Test(arguments: [
        "", "2024-05-22", "2024-05-22T08:01:30", "2024-05-22T08:01:30.Z", "2024-05-22T08:01:30+0200",
        "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-05-22T24:00:00Z",
        "2024-05-22T08:60:00Z", "2024-05-22T08:01:60Z", "24-05-22T08:01:30Z", "2024-05-22T08:01:30Zjunk",
        "2024-05-22T08:01:30+24:00", "２０２４-05-22T08:01:30Z",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(RFC3339Timestamp(parsing: text) == nil)
    }

    @Test func comparesInstantsAcrossOffsets() throws {
        let early = try #require(RFC3339Timestamp(parsing: "2024-05-22T10:00:00+02:00"))
        let late = try #require(RFC3339Timestamp(parsing: "2024-05-22T09:00:00Z"))
        #expect(early < late)
    }

    @Test func formatsAsGoFormatsUTC() {
        #expect(RFC3339Timestamp(unixSeconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(RFC3339Timestamp(unixSeconds: 1_715_367_049).rfc3339 == "2024-05-10T18:50:49Z")
        #expect(RFC3339Timestamp(unixSeconds: -1).rfc3339 == "1969-12-31T23:59:59Z")
        #expect(RFC3339Timestamp(unixSeconds: 1_709_164_800, nanoseconds: 120_000_000).rfc3339 == "2024-02-29T00:00:00.12Z")
        #expect(RFC3339Timestamp(unixSeconds: 253_402_300_799).rfc3339 == "9999-12-31T23:59:59Z")
        #expect(RFC3339Timestamp(unixSeconds: 253_402_300_800).rfc3339 == nil)
        #expect(RFC3339Timestamp(unixSeconds: -62_135_596_800).rfc3339 == "0001-01-01T00:00:00Z")
    }

    @Test func roundTripsEveryDayOverFourCenturies() {
        // 1900 is not a leap year, 2000 is: a 400-year span covers every calendar rule.
        var days = RFC3339Timestamp.daysFromCivil(year: 1800, month: 1, day: 1)
        let end = RFC3339Timestamp.daysFromCivil(year: 2200, month: 1, day: 1)
        var failures = 0
        while days < end {
            let date = RFC3339Timestamp.civilFromDays(days)
            if RFC3339Timestamp.daysFromCivil(year: date.year, month: date.month, day: date.day) != days {
                failures += 1
            }
            days += 1
        }
        #expect(failures == 0)
    }
}

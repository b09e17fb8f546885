// libFuzzer target: Go-style durations in the configuration (`"1h30m"`, `"250ms"`).
// Property: parse -> format -> parse gives the same duration.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let duration = try? DurationParser.parse(text) else { return 0 }
    precondition(duration >= .zero, "negative duration from \(text)")
    let formatted = DurationFormatter.format(duration)
    let again = try? DurationParser.parse(formatted)
    precondition(again == duration, "round trip: \(text) -> \(duration) -> \(formatted) -> \(String(describing: again))")
    return 0
}

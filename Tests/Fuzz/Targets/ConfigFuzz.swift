// libFuzzer target: the configuration loader (file contents from an operator, reloaded on
// SIGHUP while serving). Property: any bytes give a config or a ConfigError, never a trap,
// and an error names its source.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        _ = try OllaConfig.parse(bytes, source: "fuzz.json")
    } catch {
        precondition(error.description.hasPrefix("fuzz.json"), "error without its source: \(error)")
    }
    return 0
}

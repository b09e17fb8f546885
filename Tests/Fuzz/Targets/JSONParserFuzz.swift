// libFuzzer target: the strict JSON parser (config files, backend model lists, usage lines).
// Property: whatever parses renders to JSON that parses again and renders to the same bytes.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let node = try? JSONParser().parse(bytes) else { return 0 }
    let rendered = JSONWriter().render(node.value)
    guard let again = try? JSONParser().parse(rendered) else {
        fatalError("rendered JSON does not parse: \(String(decoding: rendered, as: UTF8.self))")
    }
    precondition(JSONWriter().render(again.value) == rendered, "rendering is not stable")
    return 0
}

// libFuzzer target: the parser of backend response heads, fed line by line as libcurl
// does. Property: any lines give heads with a status of three digits, never a trap.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var parser = ResponseHeadParser()
    var start = 0
    while start < bytes.count {
        let end = (bytes[start...].firstIndex(of: 0x0A) ?? bytes.count - 1) + 1
        if let head = parser.consume(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
            precondition((0...999).contains(head.status), "status \(head.status)")
        }
        start = end
    }
    return 0
}

// libFuzzer target: the token scanner (every API flavor) that reads usage from the last
// KiB of every response (backend output). Properties: any tail gives usage or nil, never a
// trap; counts are never negative; and the targeted scan agrees with the plain reading
// (`TokenScannerReference`, every line parsed by JSONParser) except on a tail holding an
// unpaired surrogate escape, which the parser rejects and the scan does not decode.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let tail = Array(UnsafeBufferPointer(start: data, count: size))
    let comparable = !hasSurrogateEscape(tail)
    for flavor in [APIFlavor.native, .openAI, .openAIResponses, .anthropic] {
        let usage = TokenScanner.scan(tail, flavor: flavor)
        if let usage {
            precondition(usage.promptTokens >= 0 && usage.completionTokens >= 0, "negative count \(usage)")
        }
        if comparable {
            let reference = TokenScannerReference.scan(tail, flavor: flavor)
            precondition(usage == reference, "\(flavor): scan \(String(describing: usage)) != reference \(String(describing: reference))")
        }
    }
    _ = TokenScanner.lastSequenceNumber(in: tail)
    return 0
}

private func hasSurrogateEscape(_ bytes: [UInt8]) -> Bool {
    guard bytes.count >= 3 else { return false }
    for index in 0..<(bytes.count - 2)
    where bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u") && bytes[index + 2] | 0x20 == UInt8(ascii: "d") {
        return true
    }
    return false
}

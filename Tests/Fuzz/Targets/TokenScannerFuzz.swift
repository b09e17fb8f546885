// libFuzzer target: the token scanner (every API flavor) that reads usage from the last
// KiB of every response (backend output). Property: any tail gives usage or nil, never a
// trap, and counts are never negative.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let tail = Array(UnsafeBufferPointer(start: data, count: size))
    for flavor in [APIFlavor.native, .openAI, .openAIResponses, .anthropic] {
        if let usage = TokenScanner.scan(tail, flavor: flavor) {
            precondition(usage.promptTokens >= 0 && usage.completionTokens >= 0, "negative count \(usage)")
        }
    }
    return 0
}

// libFuzzer target: the parser of a backend's `GET /v1/models` (a broken or hostile backend is
// outside input). Property: whatever parses merges into a catalogue whose every answer
// body is valid JSON, and every parsed model is found in it.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    guard let parsed = try? CatalogueParser.openAIModels(body) else { return 0 }
    let catalogue = Catalogue([EndpointInventory(endpoint: "fuzz", kind: .openAICompatible, models: parsed)])
    for answer in [catalogue.tagsBody(), catalogue.psBody(), catalogue.openAIModelsBody()] + [catalogue.versionBody()].compactMap({ $0 }) {
        precondition((try? JSONParser().parse(answer)) != nil, "catalogue answer is not JSON: \(String(decoding: answer, as: UTF8.self))")
    }
    for name in parsed.map(\.name) {
        precondition(catalogue.holders(of: name).contains("fuzz"), "model \(name) not in the catalogue")
        if let model = catalogue.openAIModelBody(id: name) {
            precondition((try? JSONParser().parse(model)) != nil, "model answer is not JSON")
        }
    }
    return 0
}

// libFuzzer target: the parser of a backend's `GET /api/ps` (a broken or hostile backend is
// outside input). Property: whatever parses merges into a catalogue whose every answer
// body is valid JSON, and every parsed model is found in it.
import OllaCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    guard let parsed = try? CatalogueParser.loaded(body) else { return 0 }
    let catalogue = Catalogue([EndpointInventory(endpoint: "fuzz", kind: .ollama, models: [], loaded: parsed, version: "0.5.1")])
    for answer in [catalogue.tagsBody(), catalogue.psBody(), catalogue.openAIModelsBody()] + [catalogue.versionBody()].compactMap({ $0 }) {
        precondition((try? JSONParser().parse(answer)) != nil, "catalogue answer is not JSON: \(String(decoding: answer, as: UTF8.self))")
    }
    for name in parsed.map(\.name) {
        precondition(catalogue.loadedOn(name).contains("fuzz"), "loaded model \(name) not in the catalogue")
    }
    return 0
}

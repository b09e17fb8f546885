import OllaCore

/// `/api/generate` or `/api/chat` with no prompt and no messages: Ollama only loads the model
/// (or unloads it, with `keep_alive: 0`) and answers `done_reason: "load"` / `"unload"`
/// (`server/routes.go` `GenerateHandler`, `ChatHandler`). `ollama run` preloads this way.
enum LoadRequest {
    static func matches(path: Substring, _ body: RequestBodySummary) -> Bool {
        (path == "/api/generate" || path == "/api/chat") && body.asksOnlyForTheModel
    }
}

/// The blob digests an `/api/create` body refers to (`"files": {"model.gguf": "sha256:…"}`).
enum CreateRequest {
    static func blobDigests(_ body: [UInt8]?) -> [String] {
        guard let body, let object = try? JSONParser().parse(body).value, case .object(let members) = object,
              let files = members.first(where: { $0.key == "files" })?.node.value,
              case .object(let entries) = files else {
            return []
        }
        return entries.compactMap { entry in
            if case .string(let digest) = entry.node.value { return digest }
            return nil
        }
    }
}

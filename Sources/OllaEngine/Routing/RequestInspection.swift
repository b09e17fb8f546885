import OllaCore

/// `{"model": "m", "keep_alive": 0}` with no prompt or messages: Ollama's way to unload a model.
enum UnloadRequest {
    static func matches(_ body: [UInt8]?) -> Bool {
        guard let body, let object = try? JSONParser().parse(body).value, case .object(let members) = object else {
            return false
        }
        func member(_ key: String) -> JSONValue? { members.first { $0.key == key }?.node.value }
        guard let keepAlive = member("keep_alive"), isZero(keepAlive) else { return false }
        return isEmpty(member("prompt")) && isEmpty(member("messages"))
    }

    private static func isZero(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): return number.doubleValue == 0
        case .string(let text): return (try? DurationParser.parse(text)) == .zero
        default: return false
        }
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: return true
        case .string(let text): return text.isEmpty
        case .array(let items): return items.isEmpty
        default: return false
        }
    }
}

/// `/api/generate` or `/api/chat` with no prompt and no messages: Ollama only loads the model
/// (or unloads it, with `keep_alive: 0`) and answers `done_reason: "load"` / `"unload"`
/// (`server/routes.go` `GenerateHandler`, `ChatHandler`). `ollama run` preloads this way.
enum LoadRequest {
    static func matches(path: Substring, _ body: [UInt8]?) -> Bool {
        guard path == "/api/generate" || path == "/api/chat", let body,
              let object = try? JSONParser().parse(body).value, case .object(let members) = object else {
            return false
        }
        func member(_ key: String) -> JSONValue? { members.first { $0.key == key }?.node.value }
        return isEmpty(member("prompt")) && isEmpty(member("messages"))
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: return true
        case .string(let text): return text.isEmpty
        case .array(let items): return items.isEmpty
        default: return false
        }
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

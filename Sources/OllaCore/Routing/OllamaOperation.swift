/// What an Ollama API call does, as far as choosing instances is concerned.
public enum OllamaOperation: Sendable, Equatable {
    /// Needs an instance that has the model: generate, chat, embed(dings), show, push, and
    /// the OpenAI-compatible inference routes.
    case modelBound
    /// Downloads a model onto an instance (placement policy decides which).
    case pull
    /// Acts on every instance that has the model, answered once.
    case copy, delete
    /// Builds a model from blobs uploaded before: goes where the blobs went.
    case create
    case blobUpload(digest: String)
    case blobCheck(digest: String)
    /// Answered from Olla's merged catalogue.
    case listModels, listRunning, version, openAIListModels
    case openAIModel(id: String)
    /// Anything else: any healthy instance.
    case other

    static let modelBoundPaths: Set<Substring> = [
        "/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/api/show", "/api/push",
        "/v1/chat/completions", "/v1/completions", "/v1/embeddings",
    ]

    /// Classifies a request by method and the path part of its upstream target.
    public static func classify(method: String, upstreamTarget: String) -> OllamaOperation {
        let path = upstreamTarget.pathBeforeQuery
        if modelBoundPaths.contains(path) { return .modelBound }
        let reads = method == "GET" || method == "HEAD"
        switch path {
        case "/api/pull": return .pull
        case "/api/copy": return .copy
        case "/api/delete": return .delete
        case "/api/create": return .create
        case "/api/tags" where reads: return .listModels
        case "/api/ps" where reads: return .listRunning
        case "/api/version" where reads: return .version
        case "/v1/models" where reads: return .openAIListModels
        default: break
        }
        if path.hasPrefix("/api/blobs/") {
            let digest = String(path.dropFirst("/api/blobs/".count))
            return method == "POST" ? .blobUpload(digest: digest) : .blobCheck(digest: digest)
        }
        if reads, path.hasPrefix("/v1/models/") {
            return .openAIModel(id: percentDecoded(path.dropFirst("/v1/models/".count)))
        }
        return .other
    }

    /// Model ids in a path may be percent-encoded (`hf.co%2Forg%2Frepo`).
    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

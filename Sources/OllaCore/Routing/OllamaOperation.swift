/// What an Ollama API call does, as far as choosing instances is concerned.
public enum OllamaOperation: Sendable, Equatable {
    /// Needs an instance that has the model: generate, chat, embed(dings), show, push, and
    /// the OpenAI- and Anthropic-compatible inference routes.
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
    /// Anything else: routed by the model when the body names one (a route newer than
    /// Olla's table), otherwise any healthy instance.
    case other

    /// Classifies a request by method and the path part of its upstream target, from
    /// `OllamaRouteTable`. Routes the table does not list are `.other`.
    public static func classify(method: String, upstreamTarget: String) -> OllamaOperation {
        let path = upstreamTarget.pathBeforeQuery
        return classify(method: method, handling: OllamaRouteTable.route(method: method, path: path)?.handling, path: path)
    }

    /// Classifies a forwarded route from what `ProxyRoute` read in the table already
    /// (`Forward.handling`): the same answer as `classify(method:upstreamTarget:)`, without a
    /// second lookup.
    public static func classify(method: String, route: ProxyRoute.Forward) -> OllamaOperation {
        classify(method: method, handling: route.handling, path: route.path)
    }

    private static func classify(method: String, handling: OllamaRoute.Handling?, path: Substring) -> OllamaOperation {
        guard let handling else { return .other }
        switch handling {
        case .modelBound: return .modelBound
        case .pull: return .pull
        case .copy: return .copy
        case .delete: return .delete
        case .create: return .create
        case .listModels: return .listModels
        case .listRunning: return .listRunning
        case .version: return .version
        case .openAIListModels: return .openAIListModels
        case .anyInstance: return .other
        case .blob:
            let digest = String(path.dropFirst("/api/blobs/".count))
            return method == "POST" ? .blobUpload(digest: digest) : .blobCheck(digest: digest)
        case .openAIModel:
            return .openAIModel(id: percentDecoded(path.dropFirst("/v1/models/".count)))
        }
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

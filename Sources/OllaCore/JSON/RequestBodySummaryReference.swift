/// The reading of a request body that `JSONBodyScanner.summary(of:modelKeys:)` must agree
/// with, written the plain way: the body parsed whole by `JSONParser`, the first member of
/// each key looked up in the parsed object. It is the oracle of the unit test
/// (`JSONBodySummaryTests`) and the fuzz target (`BodyScannerFuzz`); the daemon never calls it.
public enum RequestBodySummaryReference {
    /// The summary of `body` (UTF-8 JSON): the first string member named by `modelKeys`, in
    /// their order; `keep_alive` zero as Ollama reads it (a number 0 or a duration string of
    /// zero, `api/types.go` `Duration.UnmarshalJSON`); `prompt` and `messages` absent, null or
    /// empty. A body that does not parse as an object gives the empty summary.
    public static func summary(of body: [UInt8], modelKeys: [String]) -> RequestBodySummary {
        guard let node = try? JSONParser().parse(body), case .object(let members) = node.value else {
            return RequestBodySummary()
        }
        func first(_ key: String) -> JSONValue? { members.first { $0.key == key }?.node.value }
        var model: String?
        for key in modelKeys where model == nil {
            model = members.lazy.compactMap { member -> String? in
                guard member.key == key, case .string(let value) = member.node.value else { return nil }
                return value
            }.first
        }
        let keepAliveIsZero: Bool = switch first("keep_alive") {
        case .number(let number): number.doubleValue == 0
        case .string(let text): (try? DurationParser.parse(text)) == .zero
        default: false
        }
        return RequestBodySummary(model: model, isObject: true, keepAliveIsZero: keepAliveIsZero,
                                  promptIsEmpty: isEmpty(first("prompt")), messagesIsEmpty: isEmpty(first("messages")))
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: true
        case .string(let text): text.isEmpty
        case .array(let items): items.isEmpty
        default: false
        }
    }
}

/// What routing reads from a JSON request body, found in one pass (`JSONBodyScanner.summary`).
///
/// Only top-level members count, and among repeated keys the first. A body that is not
/// exactly one well-formed JSON object has no model and is neither a load nor an unload.
public struct RequestBodySummary: Sendable, Equatable {
    /// The value of the first top-level member named by one of the route's model keys
    /// (earlier keys win), when it is a string.
    public var model: String?
    /// The body is one well-formed JSON object.
    public var isObject: Bool
    /// `keep_alive` is zero: a number equal to 0 (`0`, `0.0`, `-0`) or a duration string
    /// that parses to zero (`"0"`, `"0s"`, `"0m0s"`). Ollama unloads the model then
    /// (api/types.go `Duration.UnmarshalJSON`; server/routes.go).
    public var keepAliveIsZero: Bool
    /// `prompt` is absent, `null`, `""` or `[]`.
    public var promptIsEmpty: Bool
    /// `messages` is absent, `null`, `""` or `[]`.
    public var messagesIsEmpty: Bool

    /// Creates a summary.
    public init(model: String? = nil, isObject: Bool = false, keepAliveIsZero: Bool = false,
                promptIsEmpty: Bool = true, messagesIsEmpty: Bool = true) {
        self.model = model
        self.isObject = isObject
        self.keepAliveIsZero = keepAliveIsZero
        self.promptIsEmpty = promptIsEmpty
        self.messagesIsEmpty = messagesIsEmpty
    }

    /// No prompt and no messages: `/api/generate` and `/api/chat` only load the model (or
    /// unload it, with `keep_alive: 0`) and answer `done_reason: "load"` / `"unload"`
    /// (server/routes.go `GenerateHandler`, `ChatHandler`).
    public var asksOnlyForTheModel: Bool { isObject && promptIsEmpty && messagesIsEmpty }

    /// `{"model": "m", "keep_alive": 0}` with no prompt or messages: Ollama's way to unload.
    public var isUnload: Bool { asksOnlyForTheModel && keepAliveIsZero }
}

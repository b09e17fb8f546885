/// `discovery.static.endpoints[].type`: the API a backend speaks, which decides the
/// default health-check and model-list paths.
public enum EndpointType: String, ConfigChoice {
    case ollama
    case openAICompatible = "openai-compatible"

    /// The default `health_check_url`.
    public var defaultHealthCheckURL: String {
        switch self {
        case .ollama: "/"
        case .openAICompatible: "/v1/models"
        }
    }

    /// The default `model_url`.
    public var defaultModelURL: String {
        switch self {
        case .ollama: "/api/tags"
        case .openAICompatible: "/v1/models"
        }
    }
}

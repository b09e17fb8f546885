/// `model_registry.type`: where discovered models are kept. Only in memory is supported.
public enum ModelRegistryType: String, ConfigChoice {
    case memory
}

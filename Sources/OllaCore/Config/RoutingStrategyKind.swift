/// `model_registry.routing_strategy.type`: what to do when no endpoint is known to
/// serve the requested model.
public enum RoutingStrategyKind: String, ConfigChoice {
    /// Only route to endpoints known to have the model.
    case strict
    /// Fall back to any healthy endpoint when no endpoint is known to have the model.
    case optimistic
}

/// `discovery.type`: where the list of endpoints comes from. Only a static list is supported.
public enum DiscoveryType: String, ConfigChoice {
    case `static`
}

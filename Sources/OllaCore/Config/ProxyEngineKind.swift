/// `proxy.engine`. Go Olla offers two proxy engines; this implementation has one, and
/// accepts both names so existing configurations keep loading.
public enum ProxyEngineKind: String, ConfigChoice {
    case olla
    case sherpa
}

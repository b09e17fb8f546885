/// `proxy.profile`. Accepted for compatibility with Go Olla; every response is streamed
/// to the client as it arrives regardless of the profile.
public enum ProxyProfile: String, ConfigChoice {
    case auto
    case streaming
    case standard
}

import Glibc

/// Whether libcurl would send backend requests through an HTTP proxy named in the
/// environment, read once at start-up.
///
/// Why: libcurl looks up `no_proxy`/`NO_PROXY` and then the proxy variables for every
/// transfer it sets up (url.c, `create_conn_helper_init_proxy` / `detect_proxy`, libcurl
/// 7.88), even on a reused connection. Olla has no proxy setting of its own; when none of the
/// variables is set, `CURLOPT_NOPROXY "*"` tells libcurl so and the lookups stop. When one is
/// set, libcurl keeps honouring it as before.
enum ProxyEnvironment {
    /// The variables libcurl reads for an `http://` or `https://` backend (`HTTP_PROXY` in
    /// upper case is ignored by libcurl for http, but honoured here to stay on the safe side).
    static let variables = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]

    /// True when any proxy variable is set to a non-empty value in Olla's environment.
    static let isSet: Bool = variables.contains { name in
        guard let value = getenv(name) else { return false }
        return value.pointee != 0
    }
}

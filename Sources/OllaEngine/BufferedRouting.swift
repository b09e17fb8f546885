import OllaCore

/// How a buffered request is routed once its body is complete: the model its body names,
/// the router's plan, and whether its answer must wait for the catalogue.
struct BufferedRouting {
    var plan: RoutingPlan
    var model: String?
    /// The request changes what an instance holds (see `changesHoldings(_:path:body:)`).
    var changesHoldings: Bool

    /// Bodies up to this many bytes are looked into beyond the model (unload, load and create
    /// requests are tiny).
    static let inspectedBodyLimit = 64 * 1024

    /// Reads the body in place, in one pass (`JSONBodyScanner.summary`: the model and what
    /// makes the call a load or an unload; an audio upload names its model in a form field),
    /// and asks `router` for a plan. Nothing is copied: a small body is handed to the router
    /// as the same array (a create request's blobs are read from it). `contentType` is asked
    /// for only when the JSON scan found no model (a form upload may name it; a JSON body's
    /// request paid a header lookup for nothing).
    static func decide(body: RequestBody, method: String, route: ProxyRoute.Forward, operation: OllamaOperation,
                       id: UInt64, contentType: () -> String?, router: Router) -> BufferedRouting {
        let (summary, model) = body.bytes.withUnsafeBytes { bytes in
            let summary = JSONBodyScanner.summary(of: bytes, modelKeys: route.modelKeys)
            return (summary, summary.model ?? MultipartFormScanner.field("model", in: bytes, contentType: contentType()))
        }
        let small = body.count <= inspectedBodyLimit ? body.bytes : nil
        let plan = router.plan(RoutingRequest(
            method: method, route: route, operation: operation, model: model, smallBody: small, id: id, body: summary))
        return BufferedRouting(plan: plan, model: model,
                               changesHoldings: changesHoldings(operation, path: route.path, body: summary))
    }

    /// Whether a request changes what an instance holds: models on disk (pull, create, copy,
    /// delete) or in memory (a load or unload request). Its answer must not end before the
    /// catalogue shows the change: a chat sent right after a pull returned must find the
    /// model, `ollama ps` right after a load must list it.
    static func changesHoldings(_ operation: OllamaOperation, path: Substring, body: RequestBodySummary) -> Bool {
        switch operation {
        case .pull, .create, .copy, .delete: true
        case .modelBound: LoadRequest.matches(path: path, body)
        default: false
        }
    }
}

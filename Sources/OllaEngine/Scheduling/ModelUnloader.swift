import Logging
import OllaCore

/// Sends the unloads the scheduler orders to make room (`FleetScheduler.takeUnloadOrders`):
/// `POST /api/generate` with `{"model": …, "keep_alive": 0}`, Ollama's own way — an empty
/// prompt with a zero keep-alive expires the model at once, or as soon as its requests end,
/// and is answered `{"done": true, "done_reason": "unload"}` (server/routes.go
/// GenerateHandler, server/sched.go expireRunner). An expiring model is the first Ollama
/// evicts (findRunnerToUnload sorts by keep-alive), so a load sent after the answer evicts it.
struct ModelUnloader: Sendable {
    /// Bounds connect, head and body of one unload.
    static let timeout = InstanceResidency.unloadAnswerBound

    let fetcher: Fetcher
    let logger: Logger

    /// Sends `order` to `endpoint` and reports the answer to `scheduler`.
    func send(_ order: UnloadOrder, to endpoint: EndpointConfig, scheduler: FleetScheduler) async {
        let result = await fetcher.fetch(.init(
            url: endpoint.url.resolving("/api/generate"), method: "POST", headers: endpoint.headers,
            body: Self.body(order.model), timeout: Self.timeout, maxResponseBytes: 64 * 1024))
        let succeeded: Bool
        switch result {
        case .success(let response):
            succeeded = (200..<300).contains(response.status)
            if !succeeded {
                logger.warning("unload refused", metadata: [
                    "endpoint": "\(endpoint.name)", "model": "\(order.model)", "status": .stringConvertible(response.status)])
            }
        case .failure(let failure):
            succeeded = false
            logger.warning("unload failed", metadata: [
                "endpoint": "\(endpoint.name)", "model": "\(order.model)", "error": "\(failure.message)"])
        }
        if succeeded {
            logger.debug("unloaded to make room", metadata: [
                "endpoint": "\(endpoint.name)", "model": "\(order.model)", "for": "\(order.forModel)"])
        }
        scheduler.unloadAnswered(order, succeeded: succeeded)
    }

    /// `{"model":"…","keep_alive":0}`, the name escaped as a JSON string.
    static func body(_ model: String) -> [UInt8] {
        var body = Array("{\"model\":".utf8)
        JSONString.append(model, to: &body)
        body.append(contentsOf: ",\"keep_alive\":0}".utf8)
        return body
    }
}

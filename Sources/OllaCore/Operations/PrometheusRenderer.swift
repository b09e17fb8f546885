/// Renders metrics in the Prometheus text exposition format, version 0.0.4, for
/// `GET /internal/metrics`.
///
/// Every family has `# HELP` and `# TYPE` lines, even when it has no samples yet, so
/// dashboards and alerts can refer to it from the start.
public enum PrometheusRenderer {
    /// The `Content-Type` of the rendered text.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition text for `metrics` and the endpoint rows; `unloads`: the unloads the
    /// residency-aware scheduler sent to make room, per endpoint (`FleetScheduler.unloadsSent`).
    public static func render(metrics: MetricsSnapshot, endpoints: [EndpointStatusRow],
                              unloads: [(endpoint: String, count: Int)] = []) -> String {
        var out = PrometheusText()

        out.family("olla_requests_total", .counter, "Requests completed, by endpoint, model, normalised route and status.")
        for sample in metrics.requests {
            out.sample("olla_requests_total", [("endpoint", sample.endpoint), ("model", sample.model),
                                               ("route", sample.route), ("status", String(sample.status))], sample.count)
        }

        out.family("olla_requests_in_flight", .gauge, "Requests being handled now.")
        out.sample("olla_requests_in_flight", [], metrics.inFlight)

        out.family("olla_request_ttfb_seconds", .histogram, "Time from request start to the first response byte.")
        for sample in metrics.timeToFirstByte {
            out.histogram("olla_request_ttfb_seconds", [("endpoint", sample.endpoint), ("route", sample.route)], sample.histogram)
        }

        out.family("olla_request_duration_seconds", .histogram, "Time from request start to the end of the response.")
        for sample in metrics.duration {
            out.histogram("olla_request_duration_seconds", [("endpoint", sample.endpoint), ("route", sample.route)], sample.histogram)
        }

        out.family("olla_response_bytes_total", .counter, "Response body bytes sent to clients, by endpoint.")
        for sample in metrics.responseBytes {
            out.sample("olla_response_bytes_total", [("endpoint", sample.endpoint)], sample.bytes)
        }

        renderEndpoints(endpoints, to: &out)

        out.family("olla_failovers_total", .counter, "Requests moved from an endpoint to another one, by reason.")
        for sample in metrics.failovers {
            out.sample("olla_failovers_total", [("endpoint", sample.endpoint), ("reason", sample.reason)], sample.count)
        }

        out.family("olla_rejections_total", .counter, "Requests Olla refused itself, by reason.")
        for sample in metrics.rejections {
            out.sample("olla_rejections_total", [("reason", sample.reason.rawValue)], sample.count)
        }

        out.family("olla_tokens_total", .counter, "Tokens reported by backends, by endpoint, model and kind.")
        for sample in metrics.tokens {
            let labels = [("endpoint", sample.endpoint), ("model", sample.model)]
            out.sample("olla_tokens_total", labels + [("kind", "prompt")], sample.prompt)
            out.sample("olla_tokens_total", labels + [("kind", "completion")], sample.completion)
        }

        out.family("olla_scheduler_cold_loads_total", .counter,
                   "Model loads caused by requests the residency-aware scheduler placed (final chunk's load_duration).")
        for sample in metrics.coldLoads {
            out.sample("olla_scheduler_cold_loads_total", [("endpoint", sample.endpoint)], sample.count)
        }

        out.family("olla_scheduler_unloads_total", .counter,
                   "Models the residency-aware scheduler unloaded (keep_alive 0) to choose what a load evicts.")
        for sample in unloads {
            out.sample("olla_scheduler_unloads_total", [("endpoint", sample.endpoint)], sample.count)
        }

        out.family("olla_scheduler_wait_error_seconds", .histogram,
                   "Absolute error of the scheduler's time-to-first-byte estimate against the real one.")
        out.histogram("olla_scheduler_wait_error_seconds", [], metrics.waitEstimateError)

        out.family("olla_tokens_per_second", .gauge, "Generation speed of the last response that reported timing.")
        for sample in metrics.tokens {
            if let rate = sample.lastTokensPerSecond {
                out.sample("olla_tokens_per_second", [("endpoint", sample.endpoint), ("model", sample.model)], rate)
            }
        }
        return out.text
    }

    private static func renderEndpoints(_ endpoints: [EndpointStatusRow], to out: inout PrometheusText) {
        out.family("olla_endpoint_up", .gauge, "1 when the endpoint is routable, else 0.")
        for row in endpoints {
            out.sample("olla_endpoint_up", [("endpoint", row.name)], row.routable ? 1 : 0)
        }
        out.family("olla_endpoint_state", .gauge, "1 for the endpoint's current health state, 0 for the others.")
        for row in endpoints {
            for state in EndpointState.allCases {
                out.sample("olla_endpoint_state", [("endpoint", row.name), ("state", state.rawValue)], state == row.state ? 1 : 0)
            }
        }
        out.family("olla_endpoint_in_flight", .gauge, "Requests to the endpoint in progress now.")
        for row in endpoints {
            out.sample("olla_endpoint_in_flight", [("endpoint", row.name)], row.inFlight)
        }
    }
}

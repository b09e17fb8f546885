extension StatusRenderer {
    /// `GET /internal/status/models` with the `residency-aware` balancer's view: the
    /// catalogue as `models(_:)` renders it, plus `instances` (per endpoint: slots, what it
    /// holds now, learned costs per model) and `held` (requests waiting per model).
    public static func models(_ catalogue: Catalogue, scheduler: ResidencyScheduler, held: [String: Int],
                              now: ContinuousClock.Instant) -> [UInt8] {
        guard case .object(var members) = modelsValue(catalogue) else { return models(catalogue) }
        let instances = scheduler.fleet.sorted { $0.name < $1.name }
        members.append(field("instances", .array(instances.map { .synthesized(instance($0, now: now)) })))
        members.append(field("held", .array(held.keys.sorted().map { model in
            .synthesized(.makeObject(["model": .string(model), "count": .integer(held[model] ?? 0)]))
        })))
        return JSONWriter().render(.object(members))
    }

    /// One instance: `num_parallel` (slots per model, and whether configured or confirmed),
    /// `max_loaded_models`, `running`, `resident` models and `learned` costs.
    static func instance(_ instance: InstanceResidency, now: ContinuousClock.Instant) -> JSONValue {
        let resident = instance.models.keys.sorted().compactMap { key -> JSONNode? in
            guard let model = instance.models[key] else { return nil }
            return .synthesized(.makeObject([
                "model": .string(model.name),
                "state": .string(model.isLoading(now: now) ? "loading" : "loaded"),
                "confirmed": .bool(model.confirmed),
                "running": .integer(instance.runningCount(key)),
                "size_vram": model.sizeVRAM.map { .integer($0) } ?? .null,
                "idle_ms": milliseconds(now - model.lastUsed),
            ]))
        }
        let learned = instance.costs.keys.sorted().compactMap { key -> JSONNode? in
            guard let costs = instance.costs[key] else { return nil }
            return .synthesized(.makeObject([
                "model": .string(key),
                "load_time_ms": seconds(costs.loadTime.value),
                "generation_time_ms": seconds(costs.generationTime.value),
                "tokens_per_second": tenths(costs.tokensPerSecond.value),
                "loads_seen": .integer(costs.loadTime.count),
                "generations_seen": .integer(costs.generationTime.count),
            ]))
        }
        return .makeObject([
            "endpoint": .string(instance.name),
            "num_parallel": instance.slotsPerModel.map { .integer($0) } ?? .null,
            "num_parallel_known": .bool(instance.parallelConfirmed),
            "max_loaded_models": .integer(instance.maxLoadedModels),
            "running": .integer(instance.running.count),
            "cold_loads": .integer(instance.coldLoads),
            "unloads_sent": .integer(instance.unloadsSent),
            "resident": .array(resident),
            "learned": .array(learned),
        ])
    }

    private static func field(_ key: String, _ value: JSONValue) -> JSONMember {
        JSONMember(key: key, keyPosition: .synthesized, node: .synthesized(value))
    }

    /// Seconds as whole milliseconds; null when unknown.
    private static func seconds(_ value: Double?) -> JSONValue {
        value.map { milliseconds(.schedulingSeconds($0)) } ?? .null
    }

    /// A rate with one decimal; null when unknown.
    private static func tenths(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .number(JSONNumber(text: PlacementEstimate.seconds(value)))
    }
}

extension ResidencyScheduler {
    /// The fleet-wide placement plan at `now` (`PlacementPlan`): every model with recent
    /// demand, at its request rate, placed among the instances that offered it (as its
    /// requests last found them) and that report what they hold. Computed when a load
    /// would evict, not kept: it follows demand and residency as they change.
    public func plan(now: ContinuousClock.Instant) -> PlacementPlan {
        var capacity: [String: Int] = [:]
        for instance in fleet where instance.reportsResidency {
            capacity[instance.name] = instance.maxLoadedModels
        }
        let wanted = demand.models.map { model in
            PlacementPlan.Wanted(
                model: model, rate: demand.rate(model, now: now), homes: demand.homes(model),
                residentOn: Set(fleet.filter { $0.reportsResidency && $0.holds(model) }.map { $0.name }))
        }
        return PlacementPlan(wanted, capacity: capacity, loadTime: typicalLoadTime,
                             halfLife: SchedulerSettings.demandHalfLife.schedulingSeconds)
    }

    /// Seconds a load takes on this fleet: the mean of every load learned, else `default_load_time`.
    var typicalLoadTime: Double {
        var sum = 0.0, count = 0
        for instance in fleet {
            for costs in instance.costs.values {
                if let load = costs.expectedLoadTime { sum += load; count += 1 }
            }
        }
        return count > 0 ? sum / Double(count) : settings.defaultLoadTime.schedulingSeconds
    }
}

extension EndpointHealth {
    /// A change of `state` caused by one event.
    public struct Transition: Sendable, Equatable {
        /// The state before the event.
        public var from: EndpointState
        /// The state after the event.
        public var to: EndpointState

        /// Creates a transition.
        public init(from: EndpointState, to: EndpointState) {
            self.from = from
            self.to = to
        }

        /// The endpoint became routable again after being unroutable. Its models may have
        /// changed while it was away (restart, pulls), so the owner re-discovers them.
        /// `unknown → healthy` is not a recovery: `unknown` was already routable, and
        /// start-up discovery covers it.
        public var recovered: Bool { !from.isRoutable && to.isRoutable }

        /// The endpoint stopped being routable.
        public var wentDown: Bool { from.isRoutable && !to.isRoutable }
    }

    /// Runs `change` and reports the state change it caused, if any.
    mutating func recordingTransition(_ change: (inout EndpointHealth) -> Void) -> Transition? {
        let before = state
        change(&self)
        let after = state
        return before == after ? nil : Transition(from: before, to: after)
    }
}

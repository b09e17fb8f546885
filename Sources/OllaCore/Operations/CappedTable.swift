/// A table of values by label set that never grows beyond `capacity` distinct keys
/// (plus the keys `fold` produces), so a client sending random model names cannot make
/// the metrics registry grow without bound.
struct CappedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private(set) var values: [Key: Value] = [:]

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Updates the value for `key`, or for `fold(key)` when `key` is new and the table
    /// is full. `fold` must map into a small fixed set (e.g. model → "other"); its
    /// results are always admitted.
    mutating func update(_ key: Key, initial: @autoclosure () -> Value, fold: (Key) -> Key, _ body: (inout Value) -> Void) {
        // A label set seen before (every request but the first of its kind): one hash lookup,
        // the value changed in place.
        if let index = values.index(forKey: key) {
            body(&values.values[index])
            return
        }
        var key = key
        if values[key] == nil, values.count >= capacity {
            key = fold(key)
        }
        body(&values[key, default: initial()])
    }
}

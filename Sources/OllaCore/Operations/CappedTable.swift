/// A table of values by label set that never grows beyond `capacity` distinct keys
/// (plus the keys `fold` produces), so a client sending random model names cannot make
/// the metrics registry grow without bound.
///
/// Values live in an array and keep their place (the table never shrinks), so a caller
/// that records the same label set again and again can keep the slot `slot(for:…)` gave it
/// and update it without hashing the labels each time (`Metrics` does, per request).
struct CappedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private var slots: [Key: Int] = [:]
    private var entries: [(key: Key, value: Value)] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Every label set and its value.
    var values: [Key: Value] {
        Dictionary(uniqueKeysWithValues: entries.lazy.map { ($0.key, $0.value) })
    }

    /// The value of `key`, if it has one.
    func value(for key: Key) -> Value? {
        slots[key].map { entries[$0].value }
    }

    /// The slot of `key`, or of `fold(key)` when `key` is new and the table is full, made
    /// with `initial` when new. `fold` must map into a small fixed set (e.g. model →
    /// "other"); its results are always admitted. A slot stays valid for the table's life.
    mutating func slot(for key: Key, initial: () -> Value, fold: (Key) -> Key) -> Int {
        if let slot = slots[key] { return slot }
        let admitted = entries.count >= capacity ? fold(key) : key
        if let slot = slots[admitted] { return slot }
        slots[admitted] = entries.count
        entries.append((admitted, initial()))
        return entries.count - 1
    }

    /// Changes the value in `slot` in place.
    mutating func update(slot: Int, _ body: (inout Value) -> Void) {
        body(&entries[slot].value)
    }

    /// Updates the value for `key`, or for `fold(key)` when `key` is new and the table
    /// is full (see `slot(for:initial:fold:)`).
    mutating func update(_ key: Key, initial: @autoclosure () -> Value, fold: (Key) -> Key, _ body: (inout Value) -> Void) {
        update(slot: slot(for: key, initial: initial, fold: fold), body)
    }
}

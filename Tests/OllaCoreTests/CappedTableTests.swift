import Testing
@testable import OllaCore

@Suite struct CappedTableTests {
    @Test func knownKeysKeepTheirValueOnceFullAndNewOnesFold() {
        var table = CappedTable<String, Int>(capacity: 2)
        for key in ["a", "b", "a", "c", "b", "d", "a"] {
            table.update(key, initial: 0, fold: { _ in "other" }) { $0 += 1 }
        }
        #expect(table.values == ["a": 3, "b": 2, "other": 2])
    }

    @Test func theInitialValueIsBuiltOnlyForANewKey() {
        var table = CappedTable<String, [Int]>(capacity: 4)
        var built = 0
        func initial() -> [Int] { built += 1; return [] }
        for value in 1...3 {
            table.update("k", initial: initial(), fold: { $0 }) { $0.append(value) }
        }
        #expect(table.values["k"] == [1, 2, 3])
        #expect(built == 1)
    }
}

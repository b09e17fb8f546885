import Testing
@testable import OllaCore
import OllaTestSupport

/// The scheduler's table of placements by request id (`RequestPlacements`, open addressing
/// with backward-shift deletion) holds exactly what a `Dictionary` would, through growth,
/// removals inside probe chains and ids that collide.
@Suite("Scheduler: placements table")
struct RequestPlacementsTests {
    static func expectSame(_ table: RequestPlacements, _ model: [UInt64: Int], _ ids: some Sequence<UInt64>) {
        #expect(table.count == model.count)
        #expect(table.isEmpty == model.isEmpty)
        for id in ids { #expect(table[id] == model[id], "id \(id)") }
        #expect(Dictionary(uniqueKeysWithValues: table.entries.map { ($0.id, $0.position) }) == model)
    }

    @Test(arguments: [1, 2, 3])
    func randomOperationsMatchADictionary(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var table = RequestPlacements()
        var model: [UInt64: Int] = [:]
        // Sequential ids (as the engine makes them), a few far apart, and ids that share
        // their low and high bits (the same ideal bucket in a small table).
        var pool: [UInt64] = Array(1...300) + [0, .max, 1 << 63, 1 << 40]
        pool += (0..<40).map { UInt64($0) << 58 }
        for _ in 0..<20_000 {
            let id = pool[Int(random.next() % UInt64(pool.count))]
            switch random.next() % 4 {
            case 0, 1:
                let position = Int(random.next() % 8)
                table[id] = position
                model[id] = position
            case 2:
                #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            default:
                table[id] = nil
                model[id] = nil
            }
            #expect(table[id] == model[id])
        }
        Self.expectSame(table, model, pool)
        // Emptied one by one, in a shuffled order: every remaining entry stays reachable.
        for id in pool.shuffled(using: &random) {
            #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            #expect(table.count == model.count)
        }
        #expect(table.isEmpty)
        Self.expectSame(table, model, pool)
    }

    @Test func growsPastItsFirstSizeAndKeepsEverything() {
        var table = RequestPlacements()
        for id in UInt64(1)...5_000 { table[id] = Int(id % 7) }
        #expect(table.count == 5_000)
        for id in UInt64(1)...5_000 { #expect(table[id] == Int(id % 7)) }
        #expect(table[5_001] == nil)
        for id in stride(from: UInt64(2), through: 5_000, by: 2) { table[id] = nil }
        #expect(table.count == 2_500)
        for id in UInt64(1)...5_000 { #expect(table[id] == (id % 2 == 1 ? Int(id % 7) : nil)) }
    }

    @Test func equalityIgnoresLayoutAndRemapKeepsOrDrops() {
        var a = RequestPlacements()
        var b = RequestPlacements()
        for id in UInt64(1)...40 { a[id] = 1 }
        for id in (UInt64(1)...40).reversed() { b[id] = 1 }
        // b grew with other entries first, then lost them: another layout, the same content.
        for id in UInt64(100)...200 { b[id] = 2 }
        for id in UInt64(100)...200 { b[id] = nil }
        #expect(a == b)
        b[7] = 3
        #expect(a != b)
        let moved = a.compactMapValues { $0 == 1 ? 4 : nil }
        #expect(moved.count == 40 && moved[40] == 4)
        #expect(a.compactMapValues { _ in nil }.isEmpty)
    }
}

import Testing
@testable import OllaCore

/// The one-pass ASCII folding of `ModelName.canonical` gives exactly what the `String`
/// operations give, on names built from the characters that matter (`/`, `:`, `@`, case,
/// CR LF, which Swift counts as one character).
@Suite struct ModelNameCanonicalTests {
    @Test func asciiFoldingAgreesWithStringOperations() {
        var random = SplitMix64(seed: 3)
        let alphabet = Array("aZq9/:@._-\r\n ".unicodeScalars)
        for _ in 0..<3000 {
            let length = Int(random.next() % 14)
            var name = ""
            for _ in 0..<length { name.unicodeScalars.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            #expect(ModelName.canonical(name) == ModelName.unicodeCanonical(name), "\(name.debugDescription)")
        }
    }

    @Test func nonASCIINamesAreLoweredByUnicode() {
        #expect(ModelName.canonical("Ünïcode/Modèl") == "ünïcode/modèl:latest")
        #expect(ModelName.canonical("ÉTÉ:Q4") == "été:q4")
    }
}

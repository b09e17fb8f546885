import Testing
@testable import OllaCore
import OllaTestSupport

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

    /// The same with Ollama's defaults in front (scheme, host, namespace), where the two
    /// paths find the end of the defaults differently (bytes vs. a lowered `String`).
    @Test func asciiFoldingAgreesOnDefaultPrefixes() {
        var random = SplitMix64(seed: 5)
        let parts = ["http://", "https://", "HTTP://", "registry.ollama.ai/", "Registry.Ollama.AI/", "library/",
                     "LIBRARY/", "myhost/", "/", "llama3", "Llama3", ":8b", ":", "@sha256:ab", "é"]
        for _ in 0..<3000 {
            let name = (0..<Int(random.next() % 5)).map { _ in parts[Int(random.next() % UInt64(parts.count))] }.joined()
            let folded = ModelName.canonical(name)
            #expect(folded == ModelName.unicodeCanonical(name), "\(name.debugDescription)")
            // Ollama drops one scheme only, so only a name without one folds to a fixed point.
            if !name.contains("://") { #expect(ModelName.canonical(folded) == folded, "idempotent: \(name.debugDescription)") }
        }
    }

    @Test func nonASCIINamesAreLoweredByUnicode() {
        #expect(ModelName.canonical("Ünïcode/Modèl") == "ünïcode/modèl:latest")
        #expect(ModelName.canonical("ÉTÉ:Q4") == "été:q4")
        #expect(ModelName.canonical("registry.ollama.ai/library/Modèl") == "modèl:latest")
        #expect(ModelName.canonical("Library/Modèl:Q4") == "modèl:q4")
    }
}

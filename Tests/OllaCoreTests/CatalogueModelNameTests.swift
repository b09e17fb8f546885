import Testing
@testable import OllaCore

@Suite("Catalogue: ModelName")
struct CatalogueModelNameTests {
    @Test(arguments: [
        ("llama3", "llama3:latest"),
        ("Llama3", "llama3:latest"),
        ("LLAMA3:Latest", "llama3:latest"),
        ("llama3:8b-instruct-q4_0", "llama3:8b-instruct-q4_0"),
        ("llama3:", "llama3:latest"),
        ("library/llama3", "library/llama3:latest"),
        ("hf.co/Bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "hf.co/bartowski/llama-3.2-1b-instruct-gguf:q4_k_m"),
        ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF", "hf.co/bartowski/llama-3.2-1b-instruct-gguf:latest"),
        ("myhost:5000/team/coder", "myhost:5000/team/coder:latest"),
        ("myhost:5000/team/coder:v2", "myhost:5000/team/coder:v2"),
        ("llama3@sha256:abc", "llama3:latest@sha256:abc"),
    ])
    func canonicalForm(_ name: String, _ expected: String) {
        #expect(ModelName.canonical(name) == expected)
    }

    @Test func matchingIsCaseInsensitiveAndFillsTheDefaultTag() {
        #expect(ModelName.canonical("Llama3") == ModelName.canonical("llama3:latest"))
        #expect(ModelName.matches("llama3", "LLAMA3:latest"))
        #expect(ModelName.matches("hf.co/org/repo", "HF.CO/org/repo:latest"))
        #expect(!ModelName.matches("llama3", "llama3:8b"))
        #expect(!ModelName.matches("llama3", "llama3.1"))
        // A path is kept as written: a namespaced name only matches the same path.
        #expect(!ModelName.matches("library/llama3", "llama3"))
        // A port colon in an earlier segment is not a tag.
        #expect(!ModelName.matches("myhost:5000/team/coder", "myhost/team/coder:5000"))
    }

    @Test(arguments: [
        ("llama3", "library"),
        ("llama3:8b", "library"),
        ("jmorgan/tiny:latest", "jmorgan"),
        ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "bartowski"),
        ("registry.ollama.ai/library/llama3", "library"),
        ("/llama3", "library"),
    ])
    func namespaceIsWhatOllamaReportsAsOwnedBy(_ name: String, _ expected: String) {
        #expect(ModelName.namespace(of: name) == expected)
    }
}

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
        // Ollama's default host and namespace are left out, as its /api/tags shows names
        // (types/model/name.go: FillDefault, DisplayShortest), and a scheme in front is dropped.
        ("library/llama3", "llama3:latest"),
        ("Library/Llama3:8B", "llama3:8b"),
        ("registry.ollama.ai/library/llama3", "llama3:latest"),
        ("Registry.Ollama.AI/LIBRARY/llama3:latest", "llama3:latest"),
        ("https://registry.ollama.ai/library/llama3", "llama3:latest"),
        ("http://llama3", "llama3:latest"),
        ("registry.ollama.ai/library/llama3@sha256:abc", "llama3:latest@sha256:abc"),
        ("registry.ollama.ai/jmorgan/tiny", "jmorgan/tiny:latest"),
        // A default is dropped only from the left while every part before it was one.
        ("myhost/library/llama3", "myhost/library/llama3:latest"),
        ("library/library/llama3", "library/library/llama3:latest"),
        ("registry.ollama.ai/llama3", "registry.ollama.ai/llama3:latest"),
        ("a/registry.ollama.ai/library/llama3", "a/registry.ollama.ai/library/llama3:latest"),
        ("library/", "library/:latest"),
        ("HTTP://llama3", "http://llama3:latest"),
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
        // Ollama's defaults: one model under every spelling Ollama accepts for it.
        #expect(ModelName.matches("library/llama3", "llama3"))
        #expect(ModelName.matches("registry.ollama.ai/library/llama3:latest", "LLAMA3"))
        #expect(ModelName.matches("registry.ollama.ai/jmorgan/tiny", "jmorgan/tiny:latest"))
        // Any other host or namespace is a different model.
        #expect(!ModelName.matches("myhost/library/llama3", "llama3"))
        #expect(!ModelName.matches("jmorgan/llama3", "llama3"))
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

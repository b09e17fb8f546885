import Testing
@testable import OllaCore

/// The one-pass body summary agrees with reading the body through `JSONParser` (first
/// member of each key, Ollama's zero `keep_alive`, empty prompt and messages).
@Suite struct JSONBodySummaryTests {
    /// The plain reading: parse, take the first member of each key.
    static func reference(_ body: [UInt8], modelKeys: [String]) -> RequestBodySummary {
        RequestBodySummaryReference.summary(of: body, modelKeys: modelKeys)
    }

    static let bodies: [String] = [
        #"{"model":"llama3","keep_alive":0}"#,
        #"{"model":"llama3","keep_alive":"0"}"#,
        #"{"model":"llama3","keep_alive":"0s","prompt":""}"#,
        #"{"model":"llama3","keep_alive":0.0,"messages":[ ]}"#,
        #"{"model":"llama3","keep_alive":-0,"messages":null}"#,
        #"{"model":"llama3","keep_alive":"0m0s"}"#,
        #"{"model":"llama3","keep_alive":1e-400}"#,
        #"{"model":"llama3","keep_alive":"5m"}"#,
        #"{"model":"llama3","keep_alive":-1}"#,
        #"{"model":"llama3","keep_alive":"-0s"}"#,
        #"{"model":"llama3","keep_alive":0,"prompt":"hi"}"#,
        #"{"model":"llama3","keep_alive":0,"messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"llama3","keep_alive":0,"keep_alive":5}"#,
        #"{"model":"llama3","keep_alive":5,"keep_alive":0}"#,
        #"{"model":"llama3","keep\u005falive":0}"#,
        #"{"model":"llama3","options":{"keep_alive":0}}"#,
        #"{"model":"llama3","keep_alive":"\u0030"}"#,
        #"{"model":"llama3","keep_alive":true}"#,
        #"{"model":"llama3","keep_alive":null}"#,
        #"{"model":"llama3","keep_alive":[0]}"#,
        #"{"model":"llama3","prompt":[],"keep_alive":"0.0s"}"#,
        #"{"name":"x","model":"llama3","keep_alive":0}"#,
        #"{"name":"x","model":5,"keep_alive":0}"#,
        #"{"model":"llama3","keep_alive":0"#,
        #"{"model":"llama3","keep_alive":0,}"#,
        #"[{"model":"llama3","keep_alive":0}]"#,
        #"{"model":"llama3","stream":false,"messages":[{"role":"user","content":"a \"quoted\" \\ text\nwith é and \ud83d\ude00"}],"keep_alive":"30m"}"#,
        "{\"model\" : \"llama3\" ,\r\n \"keep_alive\" :\t0 }\n",
        "",
        // The bench's small chat, and keys of the three names' lengths that are not them.
        #"{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":false}"#,
        #"{"model":"m","prompts":"","messagex":[],"keep_alivf":0,"prompt_":"x"}"#,
        #"{"model":"m","mess\u0061ges":[],"pr\u006fmpt":"","keep_aliv\u0065":0}"#,
        #"{"model":"m","messages":[],"messages":[{"role":"user"}],"prompt":"x","prompt":""}"#,
        #"{"model":"m","s":"short","t":"exactly8","u":"a string of more than sixteen bytes"}"#,
        #"{"model":"m","s":"tab\tinside","t":"\"q\"","u":"é"}"#,
        #"{"model":"m","s":"x"}"# + " ",
        #"{"model":"m","s":"x"#,
        #"{"model":"m","s":"ab"#,
    ]

    /// Containers nested across the first 64 levels (kept in a word of their own by the
    /// nesting stack) and past them: each closer must match its own opener at every depth.
    @Test func nestingAroundTheSixtyFourthLevel() {
        for depth in [62, 63, 64, 65, 66, 127, 128, 129, 200] {
            // Levels alternate object and array: {"k":[{"k":[ ... .
            let openers = (0..<depth).map { $0 % 2 == 0 ? #"{"k":"# : "[" }
            let closers = (0..<depth).reversed().map { $0 % 2 == 0 ? "}" : "]" }
            let valid = #"{"a":"# + openers.joined() + "1" + closers.joined() + #","model":"m"}"#
            var bodies = [valid]
            // One closer swapped for the other kind, at each depth in turn near the boundary.
            for level in [0, 1, depth / 2, depth - 66, depth - 65, depth - 64, depth - 63, depth - 2, depth - 1] where level >= 0 {
                var swapped = closers
                swapped[level] = swapped[level] == "}" ? "]" : "}"
                bodies.append(#"{"a":"# + openers.joined() + "1" + swapped.joined() + #","model":"m"}"#)
            }
            for body in bodies {
                let bytes = Array(body.utf8)
                let summary = bytes.withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: ["model"]) }
                #expect(summary == Self.reference(bytes, modelKeys: ["model"]), "depth \(depth): \(body)")
            }
            #expect(Array(valid.utf8).withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: ["model"]) }.model == "m")
        }
    }

    @Test func agreesWithTheParser() {
        for body in Self.bodies {
            let bytes = Array(body.utf8)
            let summary = bytes.withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: ["model", "name"]) }
            #expect(summary == Self.reference(bytes, modelKeys: ["model", "name"]), "\(body)")
        }
    }

    @Test func unloadAndLoad() {
        func summary(_ body: String) -> RequestBodySummary {
            Array(body.utf8).withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: ["model"]) }
        }
        #expect(summary(#"{"model":"m","keep_alive":0}"#).isUnload)
        #expect(summary(#"{"model":"m","keep_alive":"0s","messages":[]}"#).isUnload)
        #expect(!summary(#"{"model":"m","keep_alive":"5m"}"#).isUnload)
        #expect(summary(#"{"model":"m","keep_alive":"5m"}"#).asksOnlyForTheModel)
        #expect(!summary(#"{"model":"m","prompt":"hi","keep_alive":0}"#).isUnload)
        #expect(!summary(#"{"model":"m","keep_alive":0"#).isUnload)
        #expect(summary(#"{"model":"m","keep_alive":0}"#).model == "m")
    }

    @Test func seededMutationsAgree() {
        var random = SplitMix64(seed: 5)
        let alphabet = Array(#"{}[]":,\0-.5e"#.utf8)
        for body in Self.bodies where !body.isEmpty {
            for _ in 0..<60 {
                var bytes = Array(body.utf8)
                let index = Int(random.next() % UInt64(bytes.count))
                bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                // Unpaired surrogate escapes: the parser refuses them, the scanner does not decode skipped strings.
                guard !bytes.indices.dropLast(2).contains(where: { bytes[$0] == 0x5C && bytes[$0 + 1] == 0x75 && bytes[$0 + 2] | 0x20 == 0x64 }) else { continue }
                let summary = bytes.withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: ["model", "name"]) }
                #expect(summary == Self.reference(bytes, modelKeys: ["model", "name"]), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}

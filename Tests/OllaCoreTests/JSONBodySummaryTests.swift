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
    ]

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

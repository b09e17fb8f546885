import Testing
@testable import OllaCore
import OllaTestSupport

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

/// The plain reading (`JSONBodyScanner.plainSummary`: printable ASCII without a backslash,
/// one pass without the walk) decides what the walk decides, and leaves the rest to it.
@Suite struct JSONBodyPlainSummaryTests {
    static let keys = ["model", "name"]

    /// Bodies the plain reading must decide, each with what it must find.
    static let plain: [String] = [
        #"{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":false}"#,
        #"{ "model" : "llama3" , "messages" : [ { "role" : "user" , "content" : "hi" } ] , "stream" : false }"#,
        "  " + #"{"model":"m"}"# + "   ",
        #"{}"#, #"{ }"#, #"{"model":""}"#, #"{"":"x","model":"m"}"#,
        // The model's name inside a string, a nested object, an earlier non-string member.
        #"{"x":"model","y":"'","model":"m"}"#, #"{"x":"model:no","z":"{'model':1}","model":"m"}"#,
        #"{"x":"'model':'y'","model":"m"}"#,
        #"{"options":{"model":"inner","name":"inner"},"model":"m"}"#,
        #"{"model":5,"model":"m"}"#, #"{"model":null,"name":"n"}"#, #"{"model":{"a":"b"},"name":"n"}"#,
        // Duplicate keys: the first string of the best-ranked key, the first of the three names.
        #"{"model":"a","model":"b"}"#, #"{"name":"n","model":"m","name":"o"}"#, #"{"name":"n"}"#,
        #"{"model":"m","keep_alive":0,"keep_alive":5}"#, #"{"model":"m","keep_alive":5,"keep_alive":0}"#,
        #"{"model":"m","prompt":"","prompt":"x","messages":[],"messages":[1]}"#,
        #"{"model":"m","prompt":"x","prompt":"","messages":[1],"messages":[]}"#,
        // Unload, load and the values `keep_alive`, `prompt` and `messages` can take.
        #"{"model":"m","keep_alive":0}"#, #"{"model":"m","keep_alive":"0s","messages":[ ]}"#,
        #"{"model":"m","keep_alive":-0,"prompt":null}"#, #"{"model":"m","keep_alive":0.0e5}"#,
        #"{"model":"m","keep_alive":"5m"}"#, #"{"model":"m","keep_alive":"0m0s","prompt":[]}"#,
        #"{"model":"m","keep_alive":true,"prompt":false,"messages":{}}"#,
        #"{"model":"m","keep_alive":[0],"prompt":"hi","messages":[{"role":"user"}]}"#,
        // Keys of the three names' lengths that are not them.
        #"{"model":"m","prompts":"","messagex":[],"keep_alivf":0,"prompt_":"x","promp ":""}"#,
        // Numbers of every form; strings around the sixteen- and eight-byte steps; DEL.
        #"{"model":"m","a":-0,"b":0.5,"c":1e10,"d":1E+2,"e":-1.5e-3,"f":[1,2,3],"g":12345678901234567890}"#,
        #"{"model":"a string of more than sixteen bytes","s":"exactly8","t":"exactly sixteen!","u":"x"}"#,
        "{\"model\":\"m\",\"d\":\"del\u{7F}\"}",
        // Nesting at the plain reading's limit: 64 open containers (an empty one is not open).
        #"{"a":"# + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + #","model":"m"}"#,
        #"{"a":"# + String(repeating: #"{"k":"#, count: 64) + "1" + String(repeating: "}", count: 64) + #","model":"m"}"#,
    ]

    /// Bodies it must leave to the walk (some well-formed, some not; the walk answers both).
    static let undecided: [String] = [
        #"{"model":"m","s":"a \"quoted\" text"}"#, #"{"model":"m\u0065"}"#, #"{"mod\u0065l":"m"}"#,
        "{\"model\":\"m\",\n\"stream\":false}", "{\"model\":\"m\",\t\"stream\":false}", "{\"model\":\"m\"}\r\n",
        #"{"model":"é"}"#, #"{"model":"m","s":"😀"}"#,
        #"{"a":"# + String(repeating: "[", count: 66) + String(repeating: "]", count: 66) + #","model":"m"}"#,
        #"{"a":"# + String(repeating: #"{"k":"#, count: 65) + "1" + String(repeating: "}", count: 65) + #","model":"m"}"#,
        "", " ", "{", "}", "[]", #"[{"model":"m"}]"#, #""model""#, "null",
        #"{"model":"m"}x"#, #"{"model":"m"} {}"#, #"{"model":"m""#, #"{"model":"m",}"#, #"{,"model":"m"}"#,
        #"{"model" "m"}"#, #"{"model":}"#, #"{"model":"m" "x":1}"#, #"{model:"m"}"#, #"{"model":'m'}"#,
        #"{"a":[}"#, #"{"a":{"b"}}"#, #"{"a":{"b":1,}}"#, #"{"a":[1,]}"#, #"{"a":[1 2]}"#, #"{"a":{"b":1]}"#,
        #"{"a":[1}"#, #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":falsey}"#, #"{"a":"unterminated}"#,
        #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"a":1e}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":1e+}"#, #"{"a":--1}"#,
    ]

    static func plainSummary(_ body: [UInt8]) -> RequestBodySummary? {
        body.withUnsafeBytes { JSONBodyScanner.plainSummary(of: $0, modelKeys: keys) }
    }

    static func walked(_ body: [UInt8]) -> RequestBodySummary {
        body.withUnsafeBytes { JSONBodyScanner.walkedSummary(of: $0, modelKeys: keys) }
    }

    @Test func decidesPlainBodiesAsTheWalkAndTheParser() {
        for body in Self.plain {
            let bytes = Array(body.utf8)
            let decided = Self.plainSummary(bytes)
            #expect(decided != nil, "undecided: \(body)")
            #expect(decided == Self.walked(bytes), "\(body)")
            #expect(decided == RequestBodySummaryReference.summary(of: bytes, modelKeys: Self.keys), "\(body)")
        }
    }

    @Test func leavesTheRestToTheWalk() {
        for body in Self.undecided {
            let bytes = Array(body.utf8)
            #expect(Self.plainSummary(bytes) == nil, "decided: \(body)")
            let summary = bytes.withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: Self.keys) }
            #expect(summary == RequestBodySummaryReference.summary(of: bytes, modelKeys: Self.keys), "\(body)")
        }
    }

    /// Every body cut short, and seeded mutations of each byte into structure, spaces,
    /// digits and letters: whatever the plain reading decides, the walk decides the same.
    @Test func cutsAndMutationsAgreeWithTheWalk() {
        var random = SplitMix64(seed: 14)
        let alphabet = Array(#"{}[]":, 0-.5eE+tfnlrua\"#.utf8) + [0x09, 0x0A, 0x7F, 0xC3]
        var decided = 0
        for body in Self.plain + Self.undecided + JSONBodySummaryTests.bodies {
            let original = Array(body.utf8)
            var variants = (0...original.count).map { Array(original[..<$0]) }
            for _ in 0..<(original.isEmpty ? 0 : 150) {
                var bytes = original
                for _ in 0...(random.next() % 2) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                }
                variants.append(bytes)
            }
            for bytes in variants {
                guard let plain = Self.plainSummary(bytes) else { continue }
                decided += 1
                #expect(plain == Self.walked(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(decided > 1_000)
    }
}

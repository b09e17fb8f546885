import Testing
@testable import OllaCore

@Suite("Operations: the start-up line when no instance answers")
struct OperationsStartupAdviceTests {
    private let local = StartupAdvice.Unanswered(
        name: "local-ollama", url: "http://localhost:11434", error: "probe failed: backend unreachable: Couldn't connect to server")

    @Test func builtInDefaultsNameTheURLTheReasonAndTheThreeWaysOut() throws {
        let line = try #require(StartupAdvice.nothingAnswers([local], total: 1, configFile: nil))
        #expect(line.hasPrefix("nothing answers at http://localhost:11434 (probe failed: backend unreachable: Couldn't connect to server): "))
        #expect(line.contains("ollama serve"))
        #expect(line.contains("--config FILE"))
        #expect(line.contains("make demo"))
        #expect(!line.contains("\n"))
    }

    @Test func aConfigFileListsEveryInstanceAndNamesTheFile() throws {
        let a = StartupAdvice.Unanswered(name: "gpu-box", url: "http://gpu-box.lan:11434", error: "probe failed: timeout")
        let b = StartupAdvice.Unanswered(name: "laptop", url: "http://laptop.lan:11434", error: nil)
        let line = try #require(StartupAdvice.nothingAnswers([a, b], total: 2, configFile: "/etc/olla/config.json"))
        #expect(line == "no instance answers (gpu-box at http://gpu-box.lan:11434: probe failed: timeout; "
            + "laptop at http://laptop.lan:11434: no answer yet): check that they run and that "
            + "/etc/olla/config.json has their URLs right; until one answers, requests for models fail")
    }

    @Test func silentWhileOneInstanceAnswers() {
        #expect(StartupAdvice.nothingAnswers([local], total: 2, configFile: "c.json") == nil)
        #expect(StartupAdvice.nothingAnswers([], total: 1, configFile: nil) == nil)
        #expect(StartupAdvice.nothingAnswers([], total: 0, configFile: nil) == nil)
    }
}

import Testing
@testable import OllaCore

@Suite struct MultipartFormScannerTests {
    private func field(_ name: String, _ body: String, _ contentType: String?) -> String? {
        Array(body.utf8).withUnsafeBytes { MultipartFormScanner.field(name, in: $0, contentType: contentType) }
    }

    private let form = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
        + "Content-Type: audio/wav\r\n\r\nRIFF\r\n--\r\n--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
        + "whisper:small\r\n--XyZ--\r\n"

    @Test func findsAFieldAfterAFilePart() {
        #expect(field("model", form, "multipart/form-data; boundary=XyZ") == "whisper:small")
        #expect(field("model", form, "Multipart/Form-Data; charset=utf-8; boundary=\"XyZ\"") == "whisper:small")
    }

    @Test func missingOrMalformedGivesNil() {
        #expect(field("language", form, "multipart/form-data; boundary=XyZ") == nil)
        #expect(field("model", form, "application/json") == nil)
        #expect(field("model", form, nil) == nil)
        #expect(field("model", form, "multipart/form-data") == nil)
        #expect(field("model", "--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nno end", "multipart/form-data; boundary=XyZ") == nil)
        #expect(field("model", "--XyZ", "multipart/form-data; boundary=XyZ") == nil)
        #expect(field("model", "", "multipart/form-data; boundary=XyZ") == nil)
    }

    @Test func longValuesAreNotModelNames() {
        let long = String(repeating: "a", count: 5000)
        let body = "--B\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n\(long)\r\n--B--\r\n"
        #expect(field("model", body, "multipart/form-data; boundary=B") == nil)
    }
}

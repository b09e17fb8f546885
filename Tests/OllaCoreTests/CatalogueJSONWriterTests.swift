import Testing
@testable import OllaCore

@Suite("Catalogue: JSONWriter")
struct CatalogueJSONWriterTests {
    private func render(_ text: String, escapesHTML: Bool = true) throws -> String {
        let node = try JSONParser().parse(Array(text.utf8))
        return String(decoding: JSONWriter(escapesHTML: escapesHTML).render(node.value), as: UTF8.self)
    }

    @Test(arguments: [
        #"{"b":1,"a":[true,false,null],"b":"dup"}"#,
        #"{"size":18446744073709551615,"f":1.50,"e":1E+3,"n":-0,"z":0.000}"#,
        #"[]"#, #"{}"#, #"[[],{},[{}]]"#, #""plain""#, "12", "null",
    ])
    func compactInputRendersBackByteForByte(_ text: String) throws {
        #expect(try render(text) == text)
    }

    @Test func dropsWhitespace() throws {
        #expect(try render(" {\n  \"a\" : [ 1 , 2 ] ,\t\"b\" : { } \n} ") == #"{"a":[1,2],"b":{}}"#)
    }

    @Test func escapesStringsAsGoDoes() throws {
        #expect(try render(#""q\" b\\ s\/ n\n r\r t\t b\b f\f \u0001 \u001F""#)
            == #""q\" b\\ s/ n\n r\r t\t b\b f\f \u0001 \u001f""#)
        #expect(try render(#""<b>&amp;</b>""#) == #""\u003cb\u003e\u0026amp;\u003c/b\u003e""#)
        #expect(try render(#""<b>&""#, escapesHTML: false) == #""<b>&""#)
        #expect(try render(#""a\u2028b\u2029c""#) == #""a\u2028b\u2029c""#)
        #expect(try render(#""é 日本 😀 \u00e9""#) == "\"é 日本 😀 é\"")
        #expect(try render(#""\ud83d\ude00""#) == "\"😀\"")
    }

    @Test func escapedOutputParsesBackToTheSameString() throws {
        let original = "line\nbreak \"quoted\" \\ <tag> & \u{1} \u{7F} \u{2028} ☃"
        let bytes = JSONWriter().render(.string(original))
        #expect(try JSONParser().parse(bytes).value == .string(original))
    }
}

import Testing
@testable import OllaHTTPServer

@Suite struct ReaderBlockSizeTests {
    @Test func aSizedBodyIsReadThroughABlockAsLargeAsItUpTo32KiB() {
        #expect(ServerCallbacks.readerBlockSize(contentLength: 297, http10: false) == 297)
        #expect(ServerCallbacks.readerBlockSize(contentLength: 0, http10: false) == 1, "never 0: libmicrohttpd refuses it")
        #expect(ServerCallbacks.readerBlockSize(contentLength: 100_000_000, http10: true) == 32 * 1024)
    }

    @Test func aChunkedStreamNeverUsesTheBlock() {
        #expect(ServerCallbacks.readerBlockSize(contentLength: nil, http10: false) == 64)
    }

    @Test func aStreamToAnHTTP10ClientIsReadThroughTheBlock() {
        #expect(ServerCallbacks.readerBlockSize(contentLength: nil, http10: true) == 4 * 1024)
    }
}

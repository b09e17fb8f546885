/// A complete, buffered request body: the one copy of the client's bytes that routing, every
/// backend attempt and a fan-out all read.
///
/// The bytes are copied once, from libmicrohttpd's read buffer into `RequestBody.Builder`,
/// and never again by Olla: the router scans them in place, curl sends them from here
/// (`UpstreamRequest.inlineBody`, `CURLOPT_POSTFIELDS`) or reads them through the upload
/// callback on a replay. The storage never changes after `Builder.finish()`, so an address
/// taken from it stays valid for as long as any copy of the body lives.
///
/// A value holding the array, not an object around it: copies share the one array buffer
/// (never written after `finish()`), and a body costs one allocation, not two. Whether two
/// bodies are the same body is `isSame(as:)`, the identity of that buffer.
public struct RequestBody: Sendable {
    /// The body as the client sent it.
    public let bytes: [UInt8]

    /// Wraps complete body bytes (tests, fan-outs built from a literal).
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The body's length in bytes.
    public var count: Int { bytes.count }

    /// Whether both are the same body: the same bytes in the same storage (what `===` said of
    /// the object this was). Two empty bodies are the same.
    func isSame(as other: RequestBody) -> Bool {
        bytes.withUnsafeBufferPointer { mine in
            other.bytes.withUnsafeBufferPointer { theirs in
                mine.baseAddress == theirs.baseAddress && mine.count == theirs.count
            }
        }
    }

    /// Collects a body as it arrives, with room for the announced length reserved up front so
    /// a body of known length is never moved while it grows.
    struct Builder {
        private(set) var bytes: [UInt8] = []

        /// Reserves `announcedLength` bytes, capped at `cap` (a client's `Content-Length`
        /// alone must not make Olla allocate gigabytes); nil or negative reserves nothing.
        init(announcedLength: Int64?, cap: Int64) {
            if let length = announcedLength, length > 0 {
                bytes.reserveCapacity(Int(min(length, cap)))
            }
        }

        /// Bytes received so far.
        var count: Int { bytes.count }

        /// Appends bytes from the server's buffer (the one copy of the body).
        mutating func append(_ chunk: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: chunk)
        }

        /// The finished body; the builder is spent.
        consuming func finish() -> RequestBody {
            RequestBody(bytes)
        }
    }
}

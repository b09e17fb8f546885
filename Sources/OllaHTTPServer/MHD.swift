import CMicroHTTPD
import OllaCore
import OllaEngine

/// The raw libmicrohttpd calls Olla makes, one Swift function per C call.
/// Nothing outside this target sees an MHD type.
enum MHD {
    static let yes = MHD_Result.YES
    static let no = MHD_Result.NO

    static func suspend(_ connection: OpaquePointer) {
        MHD_suspend_connection(connection)
    }

    static func resume(_ connection: OpaquePointer) {
        MHD_resume_connection(connection)
    }

    /// Every request header in arrival order, names as the client spelled them.
    static func requestHeaders(_ connection: OpaquePointer) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        withUnsafeMutablePointer(to: &headers) { pointer in
            _ = MHD_get_connection_values(connection, .HEADER_KIND, collectHeader, pointer)
        }
        return headers
    }

    private static let collectHeader: MHD_KeyValueIterator = { cls, _, key, value in
        guard let cls, let key else { return MHD_Result.YES }
        let headers = cls.assumingMemoryBound(to: [HTTPHeader].self)
        headers.pointee.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
        return MHD_Result.YES
    }

    /// Queues a complete in-memory response (errors and local answers).
    static func queue(_ response: LocalResponse, on connection: OpaquePointer) -> MHD_Result {
        let handle = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let handle else { return no }
        return queue(handle, status: response.status, headers: response.headers, on: connection)
    }

    /// Queues a response whose body the reader callback produces as it arrives.
    static func queueStreaming(
        status: Int, headers: [HTTPHeader], contentLength: UInt64?, blockSize: Int,
        context: UnsafeMutableRawPointer, reader: MHD_ContentReaderCallback,
        free: MHD_ContentReaderFreeCallback, on connection: OpaquePointer
    ) -> MHD_Result {
        let size = contentLength ?? cmhd_size_unknown
        guard let handle = MHD_create_response_from_callback(size, blockSize, reader, context, free) else {
            return no
        }
        return queue(handle, status: status, headers: headers, on: connection)
    }

    private static func queue(
        _ handle: OpaquePointer, status: Int, headers: [HTTPHeader], on connection: OpaquePointer
    ) -> MHD_Result {
        for header in headers {
            _ = MHD_add_response_header(handle, header.name, header.value)
        }
        let result = MHD_queue_response(connection, UInt32(status), handle)
        MHD_destroy_response(handle)
        return result
    }

    static func connectionFD(_ connection: OpaquePointer) -> Int32 {
        cmhd_connection_fd(connection)
    }
}

import CMicroHTTPD
import OllaCore

/// Hands libmicrohttpd the writer of its own error answers' bodies (`LibraryErrorBody`), so
/// they take the error shape of the request's route. The hook exists only in Olla's patched
/// build (scripts/libmicrohttpd/0002): a compile error naming
/// `olla_MHD_set_error_body_callback` means an older build is installed; run `make build-deps`.
enum LibraryErrorBodies {
    /// Installs the writer for every daemon in the process; later calls do nothing.
    static func install() { _ = installed }

    private static let installed: Void = {
        precondition(Int(OLLA_MHD_TARGET_MAX) == LibraryErrorBody.targetPrefixLimit)
        MHD.setErrorBodyWriter(write)
    }()

    /// Runs on the thread processing the connection; writes into libmicrohttpd's buffer and
    /// returns the length, or 0 (libmicrohttpd then writes `{"error":"message"}`).
    private static let write: OLLA_MHD_ErrorBodyCallback = { target, targetLength, status, message, body, bodySize in
        guard let body else { return 0 }
        let prefix = target.map { Array(UnsafeRawBufferPointer(start: $0, count: targetLength)) }
        let text = LibraryErrorBody.render(
            rawTargetPrefix: prefix, status: Int(status), message: message.map { String(cString: $0) } ?? "")
        let bytes = Array(text.utf8)
        guard bytes.count <= bodySize else { return 0 }
        bytes.withUnsafeBytes { UnsafeMutableRawPointer(body).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return bytes.count
    }
}

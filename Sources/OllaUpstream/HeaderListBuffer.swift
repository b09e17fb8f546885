import CCurl
import OllaCore
import OllaEngine

/// The request header lines of one transfer as libcurl's `CURLOPT_HTTPHEADER` list, written
/// into memory its easy handle keeps from transfer to transfer.
///
/// Why not `curl_slist_append`: it copies every line into two fresh allocations, and the
/// lines had to be Swift Strings first (one more each): 14.7 K instructions per small request
/// (`make bench-instructions`, 0f4d7ee). libcurl only reads the list it is given
/// (`Curl_checkheaders`, `Curl_add_custom_headers`; lib/http.c, libcurl 7.88) until the handle
/// is removed from the multi handle, so the nodes and their text can live in two buffers
/// Olla owns, rewritten in place for the handle's next transfer. Loop thread only.
///
/// The lines: the request's headers in order, as `Name: value`, or `Name;` for an empty
/// value (libcurl reads `Name:` as "remove my default"; `Name;` sends the header empty).
/// Then the defaults libcurl would add on its own are switched off with an empty `Name:` line,
/// unless the client sent that header: `Expect: 100-continue` (libcurl would wait a second
/// for it), `Accept: */*`, and the form `Content-Type` of a request with a body.
final class HeaderListBuffer {
    /// The NUL-terminated lines, one after another.
    private var text: UnsafeMutablePointer<CChar>
    private var textCapacity: Int
    /// One node per line, each pointing into `text`, linked in order.
    private var nodes: UnsafeMutablePointer<curl_slist>
    private var nodeCapacity: Int
    /// How many nodes the last `write` linked.
    private var count = 0

    /// Starting sizes: room for a typical request (a dozen headers) without growing.
    init(textCapacity: Int = 1024, nodeCapacity: Int = 16) {
        self.textCapacity = textCapacity
        self.nodeCapacity = nodeCapacity
        text = .allocate(capacity: textCapacity)
        nodes = .allocate(capacity: nodeCapacity)
    }

    deinit {
        text.deallocate()
        nodes.deallocate()
    }

    /// Writes the lines for `request` over the previous ones and returns the head of the
    /// list, valid until the next `write` (never nil: `Expect:` is always there).
    func write(for request: UpstreamRequest) -> Curl.HeaderList {
        // The headers are read in place, by index: `for header in` copied each one out (a
        // retain and a release of its name and its value, twice per header).
        let headers = request.headers
        var length = 0
        var sawAccept = false
        var sawContentType = false
        for index in headers.indices {
            // `Name: value\0`, or `Name;\0` (shorter) when the value is empty.
            length += headers[index].name.utf8.count + headers[index].value.utf8.count + 3
            if HTTPHeaderName.matches(headers[index].name, "accept") { sawAccept = true }
            if HTTPHeaderName.matches(headers[index].name, "content-type") { sawContentType = true }
        }
        let addAccept = !sawAccept
        let addContentType = !sawContentType && request.bodyLength != nil
        length += Self.expect.utf8CodeUnitCount + 1
        if addAccept { length += Self.accept.utf8CodeUnitCount + 1 }
        if addContentType { length += Self.contentType.utf8CodeUnitCount + 1 }
        reserve(textBytes: length, lines: headers.count + 3)

        // Nodes point into `text`, which no longer moves once reserved.
        var end = 0
        count = 0
        for index in headers.indices {
            let start = end
            end = append(headers[index].name, at: end)
            if headers[index].value.isEmpty {
                end = append(byte: UInt8(ascii: ";"), at: end)
            } else {
                end = append(byte: UInt8(ascii: ":"), at: end)
                end = append(byte: UInt8(ascii: " "), at: end)
                end = append(headers[index].value, at: end)
            }
            end = append(byte: 0, at: end)
            link(lineAt: start)
        }
        end = appendLine(Self.expect, at: end)
        if addAccept { end = appendLine(Self.accept, at: end) }
        if addContentType { end = appendLine(Self.contentType, at: end) }
        return nodes
    }

    /// The lines of the last `write`, in list order (tests and diagnostics).
    var lines: [String] {
        var result: [String] = []
        var node: Curl.HeaderList? = count > 0 ? nodes : nil
        while let current = node {
            result.append(String(cString: current.pointee.data))
            node = current.pointee.next
        }
        return result
    }

    private static let expect: StaticString = "Expect:"
    private static let accept: StaticString = "Accept:"
    private static let contentType: StaticString = "Content-Type:"

    private func reserve(textBytes: Int, lines: Int) {
        if textBytes > textCapacity {
            text.deallocate()
            textCapacity = max(textBytes, textCapacity * 2)
            text = .allocate(capacity: textCapacity)
        }
        if lines > nodeCapacity {
            nodes.deallocate()
            nodeCapacity = max(lines, nodeCapacity * 2)
            nodes = .allocate(capacity: nodeCapacity)
        }
    }

    /// Appends the node for the line starting at `offset` to the list.
    private func link(lineAt offset: Int) {
        nodes[count] = curl_slist(data: text + offset, next: nil)
        if count > 0 { nodes[count - 1].next = nodes + count }
        count += 1
    }

    private func appendLine(_ line: StaticString, at offset: Int) -> Int {
        UnsafeMutableRawPointer(text + offset).copyMemory(from: line.utf8Start, byteCount: line.utf8CodeUnitCount)
        let end = append(byte: 0, at: offset + line.utf8CodeUnitCount)
        link(lineAt: offset)
        return end
    }

    private func append(byte: UInt8, at offset: Int) -> Int {
        text[offset] = CChar(bitPattern: byte)
        return offset + 1
    }

    /// Copies the UTF-8 bytes of `string` (one `memcpy` for a native string).
    private func append(_ string: String, at offset: Int) -> Int {
        let copied = string.utf8.withContiguousStorageIfAvailable { bytes -> Int in
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(text + offset).copyMemory(from: base, byteCount: bytes.count)
            }
            return offset + bytes.count
        }
        if let copied { return copied }
        var end = offset
        for byte in string.utf8 { end = append(byte: byte, at: end) }
        return end
    }
}

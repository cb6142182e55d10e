import Mustache

/// Outbound's HTML escaping for every template value.
///
/// swift-mustache's own HTML content type escapes per `Character`, and a `"` followed by a combining mark
/// (U+0301, U+20DD, a ZWJ, …) is one Character that is not `"`, so it passed through unescaped and ended an
/// attribute value. This escapes per Unicode scalar, so no `& < > " '` ever reaches the page raw.
struct ScalarHTMLContentType: MustacheContentType {
    /// The name templates select it by, with the pragma every template starts with (`Views.load` checks).
    static let name = "OUTBOUND_HTML"
    static let pragma = "{{% CONTENT_TYPE: \(name) }}"

    func escapeText(_ text: String) -> String {
        Self.escape(text)
    }

    static func escape(_ text: String) -> String {
        // The five are ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII, so escaping bytes is escaping
        // scalars. Most values hold none of them and are returned as they are.
        guard text.utf8.contains(where: isSpecial) else { return text }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + 16)
        escape(text, into: &escaped)
        return String(decoding: escaped, as: UTF8.self)
    }

    /// The same escaping, appended to UTF-8 markup being written (`SafeHTML`).
    static func escape(_ text: String, into bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            // Most values hold nothing to escape: copied whole.
            guard utf8.contains(where: isSpecial) else { return bytes.append(contentsOf: utf8) }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): bytes.append(contentsOf: "&#39;".utf8)
                default: bytes.append(byte)
                }
            }
        }
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'")
    }
}

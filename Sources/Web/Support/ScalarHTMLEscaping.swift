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
        var escaped = String.UnicodeScalarView()
        escaped.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}

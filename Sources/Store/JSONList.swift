import OutboundCore

/// JSON arrays handed to SQLite's `json_each(?)` as one bound parameter (`… IN (SELECT value FROM json_each(?))`),
/// written directly: JSONEncoder was a twentieth of an incremental export run's CPU.
enum JSONList {
    static func of(_ numbers: some Sequence<Int64>) -> String {
        "[" + numbers.map(String.init).joined(separator: ",") + "]"
    }

    /// Escapes what JSON requires (quote, backslash, control characters); any other text goes as it is.
    static func of(_ texts: [String]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(texts.reduce(2) { $0 + $1.utf8.count + 3 })
        for (index, text) in texts.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(text, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

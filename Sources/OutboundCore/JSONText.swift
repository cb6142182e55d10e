/// JSON written by hand where the shape is fixed and only strings need escaping: ActiveCampaign's bulk import
/// bodies, and the JSON arrays and objects handed to SQLite's `json_each`. `JSONEncoder` and `JSONSerialization`
/// were the largest share of an export's CPU.
public enum JSONText {
    /// One JSON string (RFC 8259 §7): quote, backslash and control characters escaped, everything else as its UTF-8.
    public static func appendString(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &bytes) }
    }

    /// The same from UTF-8 bytes (a stored batch's fields, read without making strings of them).
    public static func appendString(utf8 text: UnsafeRawBufferPointer, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Almost no value needs escaping: copied whole then, byte by byte only from the first that does.
        let clean = text.firstIndex { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } ?? text.count
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[0..<clean]))
        for byte in text[clean...] {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

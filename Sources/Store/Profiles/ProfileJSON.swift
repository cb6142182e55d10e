import Foundation

/// Reads a profile's stored attributes (`{"a3": "DE", "a8": 141.74, "a9": false}`: one flat object that the
/// importer writes) into attribute id → text, exactly as `JSONSerialization` and `NSNumber.stringValue` read
/// them: strings as they are, `true`/`false` as "1"/"0", nulls left out, and numbers as NSNumber writes them.
/// `JSONSerialization` made an NSNumber or a bridged string of every value and cast each back; 51 rows a page.
/// Anything but a flat object of scalars answers nil, and the caller reads it with `JSONSerialization` instead.
enum ProfileJSON {
    static func values(_ text: String) -> [Int64: String]? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            return reader.object()
        }
    }

    /// What `JSONSerialization` reads a number as, written as `NSNumber.stringValue` does.
    static func number(_ token: Substring) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(token.utf8), options: .fragmentsAllowed) as? NSNumber)?.stringValue
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard at + count <= bytes.count else { return false }
            for index in 0..<count where bytes[at + index] != word.utf8Start[index] { return false }
            at += count
            return true
        }

        mutating func object() -> [Int64: String]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var values: [Int64: String] = [:]
            if take(UInt8(ascii: "}")) { return end() ? values : nil }
            repeat {
                guard take(UInt8(ascii: "\"")), let key = string(), take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard at < bytes.count else { return nil }
                let value: String?
                switch bytes[at] {
                case UInt8(ascii: "\""):
                    at += 1
                    guard let text = string() else { return nil }
                    value = text
                case UInt8(ascii: "t"):
                    guard literal("true") else { return nil }
                    value = "1"
                case UInt8(ascii: "f"):
                    guard literal("false") else { return nil }
                    value = "0"
                case UInt8(ascii: "n"):
                    guard literal("null") else { return nil }
                    value = nil
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard let text = number() else { return nil }
                    value = text
                default:
                    return nil  // an object or an array: not what the importer writes
                }
                if let value, key.hasPrefix("a"), let id = Int64(key.dropFirst()) {
                    guard values.updateValue(value, forKey: id) == nil else { return nil }  // a repeated key: leave it to Foundation
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
            return end() ? values : nil
        }

        mutating func end() -> Bool {
            skipSpace()
            return at == bytes.count
        }

        /// The rest of a string whose opening quote was read, unescaped; nil for what JSON does not allow.
        mutating func string() -> String? {
            let start = at
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                    at += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
                if byte < 0x20 { return nil }
                at += 1
            }
            return nil
        }

        mutating func escapedString(from start: Int) -> String? {
            var out = Array(bytes[start..<at])
            while at < bytes.count {
                let byte = bytes[at]
                at += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard at < bytes.count else { return nil }
                    let escape = bytes[at]
                    at += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard literal("\\u"), let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            return nil
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        return nil
                    }
                default:
                    if byte < 0x20 { return nil }
                    out.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[at]
                at += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        /// A number token: a plain integer of up to 18 digits, or a decimal as Swift writes a Double, is written as
        /// it stands (NSNumber writes the same); any other goes through `JSONSerialization`.
        mutating func number() -> String? {
            let start = at
            var plain = true
            while at < bytes.count {
                let byte = bytes[at]
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): break
                case UInt8(ascii: "-"): if at != start { plain = false }
                case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"): plain = false
                default:
                    return token(start, plain: plain)
                }
                at += 1
            }
            return token(start, plain: plain)
        }

        func token(_ start: Int, plain: Bool) -> String? {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            if plain, !digits.isEmpty, digits.count <= 18, digits == "0" || digits.first != "0", text != "-0" {
                return text
            }
            // A decimal as Swift writes a Double (the importer's "141.74"): NSNumber writes it the same between 1e-4
            // and 1e14 (checked on random values; outside, it may drop a ".0" or change the exponent's form).
            if !plain, !text.utf8.contains(UInt8(ascii: "e")), !text.utf8.contains(UInt8(ascii: "E")), let double = Double(text),
                double.description == text, (1e-4..<1e14).contains(abs(double))
            {
                return text
            }
            return ProfileJSON.number(Substring(text))
        }
    }
}

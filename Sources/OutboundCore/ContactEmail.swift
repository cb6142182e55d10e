/// The identity of a contact in ActiveCampaign: its email, trimmed and lower-cased. An export never sends an
/// address that fails these checks, because one bad email makes the bulk importer refuse its whole batch of 250.
///
/// ActiveCampaign publishes no email grammar; this one is conservative (one @, a dotted domain with a TLD of two
/// or more letters, no spaces, quotes, commas, doubled dots or control characters), and at least as strict as the
/// importer is documented to be.
public enum ContactEmail {
    public enum Problem: String, Error, Sendable, Equatable, CaseIterable {
        case missing, malformed

        /// What a person reads beside the row.
        public var reason: String {
            switch self {
            case .missing: "No email address"
            case .malformed: "Not a valid email address"
            }
        }
    }

    /// The normalised email, or why the value cannot be one.
    public static func normalise(_ raw: String?) -> Result<String, Problem> {
        let trimmed = (raw ?? "").trimmingWhitespace()
        if trimmed.isEmpty { return .failure(.missing) }
        let email = trimmed.lowercased()
        return isWellFormed(email) ? .success(email) : .failure(.malformed)
    }

    static func isWellFormed(_ email: String) -> Bool {
        // Almost every address is ASCII: checked byte by byte, it was a tenth of an incremental run's CPU through
        // Unicode scalars, splits and Character properties. The scalar version below is the reference for the rest.
        if let verdict = email.utf8.withContiguousStorageIfAvailable(isWellFormedASCII) ?? nil { return verdict }
        return isWellFormedByScalars(email)
    }

    /// The same rules on ASCII bytes; nil when a byte is not ASCII (the scalar version decides then).
    static func isWellFormedASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard bytes.count <= 254 else { return false }
        var at: Int? = nil
        var previous: UInt8 = 0
        for (index, byte) in bytes.enumerated() {
            if byte >= 0x80 { return nil }
            switch byte {
            case 0...32, 127, UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"),
                UInt8(ascii: ">"), UInt8(ascii: ";"), UInt8(ascii: "\\"):
                return false
            case UInt8(ascii: "."):
                if previous == byte { return false }
            case UInt8(ascii: "@"):
                if at != nil { return false }
                at = index
            default: break
            }
            previous = byte
        }
        guard let at else { return false }
        let dot = UInt8(ascii: ".")
        let dash = UInt8(ascii: "-")
        guard at > 0, at <= 64, bytes[0] != dot, bytes[at - 1] != dot else { return false }
        // Domain labels: at least two, each 1...63 bytes, not starting or ending with a dash; the last (the TLD) two
        // or more letters.
        var labels = 0
        var start = at + 1
        while true {
            var end = start
            while end < bytes.count, bytes[end] != dot { end += 1 }
            let length = end - start
            guard length >= 1, length <= 63, bytes[start] != dash, bytes[end - 1] != dash else { return false }
            labels += 1
            if end == bytes.count {
                guard labels >= 2, length >= 2 else { return false }
                for index in start..<end {
                    let letter = bytes[index] | 0x20
                    guard letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z") else { return false }
                }
                return true
            }
            start = end + 1
        }
    }

    static func isWellFormedByScalars(_ email: String) -> Bool {
        guard email.utf8.count <= 254,
            email.unicodeScalars.allSatisfy({
                $0.value > 32 && $0.value != 127 && $0 != "," && $0 != "\"" && $0 != "(" && $0 != ")" && $0 != "<" && $0 != ">" && $0 != ";"
                    && $0 != "\\"
            }),
            !hasDoubledDot(email)
        else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.hasSuffix(".") else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2,
            labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
            let tld = labels.last, tld.count >= 2, tld.allSatisfy({ $0.isLetter })
        else { return false }
        return true
    }
}

/// A byte scan: Foundation's `contains("..")` went through CFStringFind and was an eighth of a freeze's CPU.
private func hasDoubledDot(_ text: String) -> Bool {
    var previous: UInt8 = 0
    for byte in text.utf8 {
        if byte == UInt8(ascii: "."), previous == byte { return true }
        previous = byte
    }
    return false
}

extension String {
    /// Trims spaces, tabs and line breaks (ASCII and Unicode) without Foundation.
    public func trimmingWhitespace() -> String {
        // Most values have no whitespace at either end, checked on their first and last bytes: `Character`'s
        // Unicode properties cost the freeze more than the rest of an email's checks.
        if let first = utf8.first, let last = utf8.last, Self.isPlainASCII(first), Self.isPlainASCII(last) { return self }
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }

    /// A printable ASCII byte other than a space: neither whitespace nor the start of a multi-byte character.
    private static func isPlainASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
}

/// A short, stable fingerprint of a mapped payload: 64-bit FNV-1a over its UTF-8 bytes, as 16 hex digits. Stored
/// in the export's ledger, so it must never change between versions. Not a security hash: it only tells
/// "changed since the last delivery" apart from "unchanged".
public enum PayloadFingerprint {
    public static func of(_ text: String) -> String { of(fields: [text], separator: 0) }

    /// The fingerprint of the fields joined by `separator`, without building the joined text (the freeze takes
    /// one per contact).
    public static func of(fields: [String], separator: UInt8) -> String { hex(value(fields: fields, separator: separator)) }

    /// The fingerprint as the number its hex digits spell.
    public static func value(fields: [String], separator: UInt8) -> UInt64 {
        var hasher = FNV1a(separator: separator)
        for field in fields { hasher.add(field: field) }
        return hasher.value
    }

    public static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { digits in
            FNV1a.writeHex(value, into: UnsafeMutableRawBufferPointer(digits))
            return 16
        }
    }

    /// The number a stored fingerprint spells: exactly 16 lowercase hex digits, as `hex` writes them (anything
    /// else is nil, so it equals no fingerprint).
    public static func value(hex digits: some Collection<UInt8>) -> UInt64? {
        guard digits.count == 16 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }

    /// Appends `value`'s 16 hex digits to `bytes` (a fingerprint taken with `FNV1a` over a stored batch's bytes).
    public static func appendHex(_ value: UInt64, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: repeatElement(0, count: 16))
        bytes.withUnsafeMutableBytes { FNV1a.writeHex(value, into: UnsafeMutableRawBufferPointer(rebasing: $0[($0.count - 16)...])) }
    }

    /// The fingerprint's hash, fed one field at a time (as UTF-8 bytes), `separator` between fields.
    public struct FNV1a {
        let separator: UInt8
        public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
        var fields = 0

        public init(separator: UInt8) { self.separator = separator }

        /// A field given as text (nil: an empty field).
        public mutating func add(field: String?) {
            var text = field ?? ""
            // Over the string's contiguous bytes: iterating its UTF-8 view was most of a fingerprint's cost.
            text.withUTF8 { add(field: UnsafeRawBufferPointer($0)) }
        }

        public mutating func add(field: UnsafeRawBufferPointer) {
            var hash = value
            if fields > 0 { hash = (hash ^ UInt64(separator)) &* Self.prime }
            fields += 1
            for index in field.indices { hash = (hash ^ UInt64(field[index])) &* Self.prime }
            value = hash
        }

        private static let prime: UInt64 = 0x0000_0100_0000_01b3

        static func writeHex(_ hash: UInt64, into digits: UnsafeMutableRawBufferPointer) {
            for position in 0..<16 {
                digits[position] = hexDigits[Int((hash >> UInt64(60 - 4 * position)) & 0xF)]
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

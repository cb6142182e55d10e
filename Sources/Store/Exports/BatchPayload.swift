import Foundation
import OutboundCore

/// A batch's contacts stored as one value (`runBatchContacts`, beside its `runBatch` row). One row per contact cost a full export most of
/// its CPU: a million inserts, each contact's row updated when its batch was confirmed, read again for the ledger
/// and deleted when the run ended. A batch is always sent, split, confirmed and recorded whole, so it is stored
/// whole; only the rows a person reads (invalid, held and rejected contacts) stay rows in `runContact`.
///
/// The format is ours and internal (never leaves the database), so it is a plain length-prefixed encoding written
/// here: JSON would be decoded by Foundation at several times the cost, and no maintained library offers a
/// compact binary codec for a struct this small.
///
/// Version 2 (written now): a version byte, then per contact its sequence number (zigzag LEB128: removals have
/// negative ones) and four optional strings — email, first name, last name, phone — each its UTF-8 length plus one
/// as LEB128 (0: none) and its bytes. A contact's profile id and fingerprint are not stored: the fingerprint is
/// its fields' (`ContactPayload.fingerprint`), and its sequence number is its profile's row id, so the rare paths
/// that show a profile id read it from the profile. About 66 bytes a contact, against 116 in version 1; every
/// stored page is written, checkpointed, read for the post and, with SQLite's secure delete, zeroed when freed.
///
/// Version 1 (the v16 migration and releases before this one wrote it; still read): per contact its sequence
/// number (8 bytes, little-endian) and six optional strings — email, profile id, first name, last name, phone,
/// fingerprint — each a 4-byte little-endian length (`UInt32.max`: none) and its UTF-8 bytes.
enum BatchPayload {
    static let version: UInt8 = 2
    static let version1: UInt8 = 1
    private static let none = UInt32.max

    struct Corrupt: Error, CustomStringConvertible {
        var description: String { "A stored batch of this run could not be read; run the export again." }
    }

    static func encode(_ contacts: [BatchContact]) -> Data {
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(1 + contacts.count * 72)
        func append(_ field: String?) {
            guard var field else { return bytes.append(0) }
            field.withUTF8 { utf8 in
                appendVarint(UInt64(utf8.count) + 1, to: &bytes)
                bytes.append(contentsOf: utf8)
            }
        }
        for contact in contacts {
            appendSeq(contact.seq, to: &bytes)
            append(contact.email)
            append(contact.firstName)
            append(contact.lastName)
            append(contact.phone)
        }
        return Data(bytes)
    }

    /// The bytes that begin a version 2 contact of sequence number `seq`: a stored batch holding it contains them.
    static func seqBytes(_ seq: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        appendSeq(seq, to: &bytes)
        return bytes
    }

    /// A sequence number as zigzag LEB128 (removals have negative ones).
    private static func appendSeq(_ seq: Int64, to bytes: inout [UInt8]) {
        appendVarint(UInt64(bitPattern: (seq << 1) ^ (seq >> 63)), to: &bytes)
    }

    /// LEB128: seven bits a byte, low first, the high bit set on all but the last.
    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Version 1, as the v16 migration has always written it (a migration's result does not change).
    static func encodeVersion1(_ contacts: [BatchContact]) -> Data {
        var bytes: [UInt8] = [version1]
        func append(_ field: String?) {
            guard let field else { return withUnsafeBytes(of: none.littleEndian) { bytes.append(contentsOf: $0) } }
            withUnsafeBytes(of: UInt32(field.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: field.utf8)
        }
        for contact in contacts {
            withUnsafeBytes(of: contact.seq.littleEndian) { bytes.append(contentsOf: $0) }
            for field in [contact.email, contact.profileId, contact.firstName, contact.lastName, contact.phone, contact.fingerprint] {
                append(field)
            }
        }
        return Data(bytes)
    }

    static func decode(_ data: Data) throws -> [BatchContact] {
        var contacts: [BatchContact] = []
        try forEach(data) { seq, fields, stored in
            let email = String(decoding: fields.email, as: UTF8.self)
            let firstName = fields.firstName.map { String(decoding: $0, as: UTF8.self) }
            let lastName = fields.lastName.map { String(decoding: $0, as: UTF8.self) }
            let phone = fields.phone.map { String(decoding: $0, as: UTF8.self) }
            contacts.append(
                BatchContact(
                    seq: seq,
                    email: email,
                    firstName: firstName,
                    lastName: lastName,
                    phone: phone,
                    profileId: stored.profileId.map { String(decoding: $0, as: UTF8.self) },
                    fingerprint: stored.fingerprint.map { String(decoding: $0, as: UTF8.self) }
                        ?? computedFingerprint(seq: seq, fields: fields, stored: stored).map(PayloadFingerprint.hex)
                )
            )
        }
        return contacts
    }

    /// A stored contact's fingerprint when the payload keeps none: version 2 keeps none, and a subscription's is
    /// its fields' (removals, negative, have none; version 1 stored each).
    private static func computedFingerprint(seq: Int64, fields: StoredContacts.Fields, stored: Version1Fields) -> UInt64? {
        stored.isVersion1 || seq < 0 ? nil : ContactPayload.fingerprintValue(of: fields)
    }

    /// What version 1 also stored.
    struct Version1Fields {
        var isVersion1 = false
        var profileId: UnsafeRawBufferPointer?
        var fingerprint: UnsafeRawBufferPointer?
    }

    /// Calls `body` with each contact's sequence number and fields, as the payload's own bytes (no strings made).
    static func forEach(
        _ data: Data,
        _ body: (Int64, StoredContacts.Fields, Version1Fields) throws -> Void
    ) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            var reader = Reader(bytes: raw)
            switch try reader.byte() {
            case version:
                while !reader.atEnd {
                    let zigzag = try reader.varint()
                    let seq = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                    guard let email = try reader.field() else { throw Corrupt() }
                    let fields = StoredContacts.Fields(
                        email: email,
                        firstName: try reader.field(),
                        lastName: try reader.field(),
                        phone: try reader.field()
                    )
                    try body(seq, fields, Version1Fields())
                }
            case version1:
                while !reader.atEnd {
                    let seq = Int64(bitPattern: try reader.uint64())
                    guard let email = try reader.field1() else { throw Corrupt() }
                    let profileId = try reader.field1()
                    let fields = StoredContacts.Fields(
                        email: email,
                        firstName: try reader.field1(),
                        lastName: try reader.field1(),
                        phone: try reader.field1()
                    )
                    let fingerprint = try reader.field1()
                    try body(seq, fields, Version1Fields(isVersion1: true, profileId: profileId, fingerprint: fingerprint))
                }
            default:
                throw Corrupt()
            }
        }
    }

    /// What a stored batch enters in the ledger once delivered, as a JSON object of email → fingerprint (null for
    /// a removal), read by the ledger merge through the SQL function `batch_ledger_entries` so that the merge runs
    /// in SQL (`json_each`, sorted by SQLite): decoding a million contacts in Swift and binding them one upsert at a
    /// time cost a full export a fifth of its CPU, and storing these entries beside each payload cost it a second
    /// copy of every email written, checkpointed and zeroed. Emails are unique in a run and normalised (no quotes
    /// or control characters; escaped all the same).
    static func ledgerEntries(payload: Data) throws -> String {
        var json: [UInt8] = [UInt8(ascii: "{")]
        json.reserveCapacity(2 + payload.count)
        try forEach(payload) { seq, fields, stored in
            if json.count > 1 { json.append(UInt8(ascii: ",")) }
            JSONText.appendString(utf8: fields.email, to: &json)
            json.append(UInt8(ascii: ":"))
            if let fingerprint = stored.fingerprint {
                JSONText.appendString(utf8: fingerprint, to: &json)
            } else if let fingerprint = computedFingerprint(seq: seq, fields: fields, stored: stored) {
                json.append(UInt8(ascii: "\""))
                PayloadFingerprint.appendHex(fingerprint, to: &json)
                json.append(UInt8(ascii: "\""))
            } else {
                json.append(contentsOf: "null".utf8)
            }
        }
        json.append(UInt8(ascii: "}"))
        return String(decoding: json, as: UTF8.self)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
            guard count >= 0, bytes.count - offset >= count else { throw Corrupt() }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }

        mutating func byte() throws -> UInt8 { try take(1)[0] }

        mutating func uint32() throws -> UInt32 {
            UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self))
        }

        mutating func uint64() throws -> UInt64 {
            UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
        }

        /// A version 1 string: 4-byte length (`UInt32.max`: none) and bytes.
        mutating func field1() throws -> UnsafeRawBufferPointer? {
            let length = try uint32()
            if length == BatchPayload.none { return nil }
            return try take(Int(length))
        }

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = try self.byte()
                guard shift < 64 else { throw Corrupt() }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }

        /// A version 2 string: its length plus one as LEB128 (0: none) and bytes.
        mutating func field() throws -> UnsafeRawBufferPointer? {
            let length = try varint()
            if length == 0 { return nil }
            guard length <= UInt64(bytes.count) else { throw Corrupt() }
            return try take(Int(length - 1))
        }
    }
}

/// A batch's stored contacts as read for a post: sent straight from their bytes, decoded into contacts only when
/// a refusal or the try limit needs them (building a million contacts' strings to write them out again cost an
/// export more than the request bodies themselves).
public struct StoredContacts: Sendable {
    /// One contact's fields to send: bytes inside the stored payload, valid only during the call.
    public struct Fields {
        public let email: UnsafeRawBufferPointer
        public let firstName: UnsafeRawBufferPointer?
        public let lastName: UnsafeRawBufferPointer?
        public let phone: UnsafeRawBufferPointer?
    }

    let payload: Data?

    /// No stored row, or a payload of no contacts; a damaged payload is not empty (reading it throws).
    public var isEmpty: Bool {
        guard let payload else { return true }
        return payload.count == 1 && [BatchPayload.version, BatchPayload.version1].contains(payload[payload.startIndex])
    }

    public func contacts() throws -> [BatchContact] {
        try payload.map(BatchPayload.decode) ?? []
    }

    public func forEachToSend(_ body: (Fields) throws -> Void) throws {
        if let payload { try BatchPayload.forEach(payload) { _, fields, _ in try body(fields) } }
    }
}

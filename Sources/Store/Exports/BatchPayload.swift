import Foundation
import OutboundCore

/// A batch's contacts stored as one value (`runBatchContacts`, beside its `runBatch` row). One row per contact cost a full export most of
/// its CPU: a million inserts, each contact's row updated when its batch was confirmed, read again for the ledger
/// and deleted when the run ended. A batch is always sent, split, confirmed and recorded whole, so it is stored
/// whole; only the rows a person reads (invalid, held and rejected contacts) stay rows in `runContact`.
///
/// The format is ours and internal (never leaves the database), so it is a plain length-prefixed encoding written
/// here: JSON would be decoded by Foundation at several times the cost, and no maintained library offers a
/// compact binary codec for a struct this small. Layout: a version byte, then per contact its sequence number
/// (8 bytes, little-endian) and six optional strings, each a 4-byte little-endian length (`UInt32.max`: none)
/// and its UTF-8 bytes. The v16 migration wrote this format: a new one takes another version byte and keeps
/// reading this one.
enum BatchPayload {
    static let version: UInt8 = 1
    private static let none = UInt32.max

    struct Corrupt: Error, CustomStringConvertible {
        var description: String { "A stored batch of this run could not be read; run the export again." }
    }

    static func encode(_ contacts: [BatchContact]) -> Data {
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(1 + contacts.count * 120)
        // Field by field, not through an array of the six: that array was an allocation per contact.
        func append(_ field: String?) {
            guard let field else {
                withUnsafeBytes(of: none.littleEndian) { bytes.append(contentsOf: $0) }
                return
            }
            withUnsafeBytes(of: UInt32(field.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: field.utf8)
        }
        for contact in contacts {
            withUnsafeBytes(of: contact.seq.littleEndian) { bytes.append(contentsOf: $0) }
            append(contact.email)
            append(contact.profileId)
            append(contact.firstName)
            append(contact.lastName)
            append(contact.phone)
            append(contact.fingerprint)
        }
        return Data(bytes)
    }

    static func decode(_ data: Data) throws -> [BatchContact] {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> [BatchContact] in
            var reader = Reader(bytes: raw)
            guard try reader.byte() == version else { throw Corrupt() }
            var contacts: [BatchContact] = []
            while !reader.atEnd {
                let seq = Int64(bitPattern: try reader.uint64())
                guard let email = try reader.string() else { throw Corrupt() }
                let profileId = try reader.string()
                let firstName = try reader.string()
                let lastName = try reader.string()
                let phone = try reader.string()
                let fingerprint = try reader.string()
                contacts.append(
                    BatchContact(
                        seq: seq,
                        email: email,
                        firstName: firstName,
                        lastName: lastName,
                        phone: phone,
                        profileId: profileId,
                        fingerprint: fingerprint
                    )
                )
            }
            return contacts
        }
    }

    /// Calls `body` with each contact's fields to send, as the payload's own bytes (no strings made).
    static func forEachToSend(_ data: Data, _ body: (StoredContacts.Fields) throws -> Void) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            var reader = Reader(bytes: raw)
            guard try reader.byte() == version else { throw Corrupt() }
            while !reader.atEnd {
                _ = try reader.uint64()
                guard let email = try reader.field() else { throw Corrupt() }
                try reader.skipString()  // profile id
                let firstName = try reader.field()
                let lastName = try reader.field()
                let phone = try reader.field()
                try reader.skipString()  // fingerprint
                try body(StoredContacts.Fields(email: email, firstName: firstName, lastName: lastName, phone: phone))
            }
        }
    }

    /// What the batch enters in the ledger once delivered, as a JSON object of email → fingerprint. Emails are
    /// unique in a run and normalised (no quotes or control characters; escaped all the same). Stored beside the
    /// payload so that the ledger merge runs in SQL (`json_each`, sorted by SQLite): decoding a million contacts in
    /// Swift and binding them one upsert at a time cost a full export a fifth of its CPU.
    static func ledgerEntries(_ contacts: [BatchContact]) -> String {
        var json: [UInt8] = [UInt8(ascii: "{")]
        json.reserveCapacity(2 + contacts.count * 64)
        for (index, contact) in contacts.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONText.appendString(contact.email, to: &json)
            json.append(UInt8(ascii: ":"))
            if let fingerprint = contact.fingerprint {
                JSONText.appendString(fingerprint, to: &json)
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

        mutating func skipString() throws {
            let length = try uint32()
            if length != BatchPayload.none { _ = try take(Int(length)) }
        }

        mutating func string() throws -> String? {
            try field().map { String(decoding: $0, as: UTF8.self) }
        }

        mutating func field() throws -> UnsafeRawBufferPointer? {
            let length = try uint32()
            if length == BatchPayload.none { return nil }
            return try take(Int(length))
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

    public var isEmpty: Bool { (payload?.count ?? 0) <= 1 }

    public func contacts() throws -> [BatchContact] {
        try payload.map(BatchPayload.decode) ?? []
    }

    public func forEachToSend(_ body: (Fields) throws -> Void) throws {
        if let payload { try BatchPayload.forEachToSend(payload, body) }
    }
}

import Foundation
import GRDB
import OutboundCore
import Testing

@testable import Store

@Suite struct BatchPayloadTests {
    @Test func aBatchsContactsComeBackAsTheyWereStored() throws {
        let contacts = [
            BatchContact(seq: 1, email: "zoë@example.com", firstName: "Zoë \"Z\"", lastName: "O'Neil\tTab\nLine", phone: ""),
            BatchContact(seq: -42, email: "removed@example.com"),  // a mirror removal: an email and nothing else
            BatchContact(seq: Int64.max, email: "😀@example.com", firstName: nil, lastName: "Ünïcödé", phone: "+49 30 1"),
            BatchContact(
                seq: 300,
                email: String(repeating: "a", count: 200) + "@example.com",
                firstName: String(repeating: "é", count: 90)
            ),
        ]
        let decoded = try BatchPayload.decode(BatchPayload.encode(contacts))
        #expect(decoded.map(\.seq) == contacts.map(\.seq))
        #expect(decoded.map(\.email) == contacts.map(\.email))
        #expect(decoded.map(\.firstName) == contacts.map(\.firstName))
        #expect(decoded.map(\.lastName) == contacts.map(\.lastName))
        #expect(decoded.map(\.phone) == contacts.map(\.phone))
        // Not stored: a subscription's fingerprint is its fields' (the freeze's own), a removal has none, and the
        // profile id is read from the profile when a person needs it.
        #expect(
            decoded.map(\.fingerprint)
                == contacts.map {
                    $0.seq < 0
                        ? nil : ContactPayload.fingerprint(email: $0.email, firstName: $0.firstName, lastName: $0.lastName, phone: $0.phone)
                }
        )
        #expect(decoded.allSatisfy { $0.profileId == nil })
        #expect(try BatchPayload.decode(BatchPayload.encode([])).isEmpty)
    }

    /// Batches stored by the previous version (and by the v16 migration) stay readable, all six fields.
    @Test func aBatchStoredInVersionOneIsStillRead() throws {
        let contacts = [
            BatchContact(
                seq: -7,
                email: "zoë@example.com",
                firstName: "Zoë",
                lastName: nil,
                phone: "+1",
                profileId: "p1",
                fingerprint: "ab12"
            ),
            BatchContact(seq: 8, email: "b@example.com", profileId: "p\u{0}x"),
        ]
        let stored = BatchPayload.encodeVersion1(contacts)
        #expect(stored.first == 1)
        #expect(try BatchPayload.decode(stored) == contacts)
        var sent: [String] = []
        try StoredContacts(payload: stored).forEachToSend { sent.append(String(decoding: $0.email, as: UTF8.self)) }
        #expect(sent == contacts.map(\.email))
    }

    /// The ledger merge reads a stored batch's entries in SQL: SQLite must get back each email and fingerprint
    /// exactly, from either payload version (version 1 stored its fingerprints; version 2's are its fields').
    @Test func sqliteReadsABatchsLedgerEntriesFromItsPayload() throws {
        let contacts = [
            BatchContact(seq: 1, email: "zoë@example.com", firstName: "Zoë", fingerprint: "00ff"),
            BatchContact(seq: 2, email: "\"quoted\\back\"@example.com", lastName: "O'Brien", phone: "+1 555", fingerprint: "ab12"),
            BatchContact(seq: 3, email: "tab\tctl\u{1f}@example.com", fingerprint: nil),
            BatchContact(seq: 4, email: "😀@example.com", fingerprint: "{\"not\": json}"),
        ]
        let database = try AppDatabase.inMemory()
        func entries(_ payload: Data) throws -> [Row] {
            try database.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT key, value FROM json_each(batch_ledger_entries(?)) ORDER BY id", arguments: [payload])
            }
        }
        let version1 = try entries(BatchPayload.encodeVersion1(contacts))
        #expect(version1.map { $0[0] as String } == contacts.map(\.email))
        #expect(version1.map { $0[1] as String? } == contacts.map(\.fingerprint))
        let version2 = try entries(BatchPayload.encode(contacts))
        #expect(version2.map { $0[0] as String } == contacts.map(\.email))
        #expect(
            version2.map { $0[1] as String? }
                == contacts.map {
                    ContactPayload.fingerprint(email: $0.email, firstName: $0.firstName, lastName: $0.lastName, phone: $0.phone)
                }
        )
        #expect(version2[1][1] as String? == PayloadFingerprint.of(fields: [contacts[1].email, "", "O'Brien", "+1 555"], separator: 0x1F))
        #expect(try entries(BatchPayload.encode([])).isEmpty)
        // A damaged payload enters nothing (its contacts go again next run) rather than fail the merge, and with it
        // every way to end the run.
        #expect(try entries(BatchPayload.encode(contacts).dropLast(2)).isEmpty)
    }

    @Test func aDamagedBatchIsAnErrorNotAGuess() {
        let stored = BatchPayload.encode([BatchContact(seq: 7, email: "a@example.com", firstName: "Ann")])
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(stored.dropLast(2)) }
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data([9]) + stored.dropFirst()) }  // another version
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data()) }
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data([2, 2, 0xFF, 0xFF])) }  // a length past the end
        // A post must not take a damaged batch for an empty one (it would be closed with nothing sent).
        #expect(StoredContacts(payload: nil).isEmpty && StoredContacts(payload: BatchPayload.encode([])).isEmpty)
        #expect(!StoredContacts(payload: Data()).isEmpty && !StoredContacts(payload: Data([9])).isEmpty)
        #expect(throws: BatchPayload.Corrupt.self) { try StoredContacts(payload: Data([9])).forEachToSend { _ in } }
    }

    /// Forget finds a profile's contact in stored bytes by how its sequence number begins it.
    @Test func aContactsStoredBytesBeginWithItsSequenceNumber() throws {
        for seq: Int64 in [1, 127, 128, 300_000, -42, .max, .min] {
            let stored = BatchPayload.encode([BatchContact(seq: seq, email: "a@example.com")])
            #expect(Array(stored.dropFirst()).starts(with: BatchPayload.seqBytes(seq)))
            #expect(try BatchPayload.decode(stored).map(\.seq) == [seq])
        }
    }
}

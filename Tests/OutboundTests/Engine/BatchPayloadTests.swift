import Foundation
import GRDB
import Testing

@testable import Store

@Suite struct BatchPayloadTests {
    @Test func aBatchsContactsComeBackAsTheyWereStored() throws {
        let contacts = [
            BatchContact(
                seq: 1,
                email: "zoë@example.com",
                firstName: "Zoë \"Z\"",
                lastName: "O'Neil\tTab\nLine",
                phone: "",
                profileId: "p1",
                fingerprint: "ab12"
            ),
            BatchContact(seq: -42, email: "removed@example.com"),  // a mirror removal: an email and nothing else
            BatchContact(
                seq: Int64.max,
                email: "😀@example.com",
                firstName: nil,
                lastName: "Ünïcödé",
                phone: "+49 30 1",
                profileId: "p\u{0}x"
            ),
        ]
        let stored = BatchPayload.encode(contacts)
        #expect(try BatchPayload.decode(stored) == contacts)
        #expect(try BatchPayload.decode(BatchPayload.encode([])).isEmpty)
    }

    /// The ledger merge reads these in SQL: SQLite must get back each email and fingerprint exactly.
    @Test func sqliteReadsABatchsLedgerEntriesAsTheyWereWritten() throws {
        let contacts = [
            BatchContact(seq: 1, email: "zoë@example.com", fingerprint: "00ff"),
            BatchContact(seq: 2, email: "\"quoted\\back\"@example.com", fingerprint: "ab12"),
            BatchContact(seq: 3, email: "tab\tctl\u{1f}@example.com", fingerprint: nil),
            BatchContact(seq: 4, email: "😀@example.com", fingerprint: "{\"not\": json}"),
        ]
        let rows = try DatabaseQueue().read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT key, value FROM json_each(?) ORDER BY rowid",
                arguments: [BatchPayload.ledgerEntries(contacts)]
            )
        }
        #expect(rows.map { $0[0] as String } == contacts.map(\.email))
        #expect(rows.map { $0[1] as String? } == contacts.map(\.fingerprint))
        #expect(BatchPayload.ledgerEntries([]) == "{}")
    }

    @Test func aDamagedBatchIsAnErrorNotAGuess() {
        let stored = BatchPayload.encode([BatchContact(seq: 7, email: "a@example.com", firstName: "Ann")])
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(stored.dropLast(2)) }
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data([9]) + stored.dropFirst()) }  // another version
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data()) }
    }
}

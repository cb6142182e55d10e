import Foundation
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
        let delivered = try BatchPayload.delivered(stored)
        #expect(delivered.map(\.email) == contacts.map(\.email))
        #expect(delivered.map(\.fingerprint) == contacts.map(\.fingerprint))
        #expect(try BatchPayload.decode(BatchPayload.encode([])).isEmpty)
    }

    @Test func aDamagedBatchIsAnErrorNotAGuess() {
        let stored = BatchPayload.encode([BatchContact(seq: 7, email: "a@example.com", firstName: "Ann")])
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(stored.dropLast(2)) }
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data([9]) + stored.dropFirst()) }  // another version
        #expect(throws: BatchPayload.Corrupt.self) { try BatchPayload.decode(Data()) }
    }
}

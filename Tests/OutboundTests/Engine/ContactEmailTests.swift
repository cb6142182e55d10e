import Foundation
import Testing

@testable import ActiveCampaignSandbox  // its SplitMix64, so the sample is the same on every run
@testable import OutboundCore
@testable import Store  // JSONList

@Suite struct ContactEmailTests {
    @Test(arguments: [
        ("  Ana.Lopez@Example.COM ", "ana.lopez@example.com"),
        ("o'neil+news@mail.example.net", "o'neil+news@mail.example.net"),
        ("Zoë@example.de", "zoë@example.de"),
    ])
    func validEmailsAreTrimmedAndLowerCased(_ raw: String, _ expected: String) {
        #expect(ContactEmail.normalise(raw) == .success(expected))
    }

    @Test(arguments: [nil, "", "   ", "\t"])
    func missingEmailsSaySo(_ raw: String?) {
        #expect(ContactEmail.normalise(raw) == .failure(.missing))
    }

    @Test(arguments: [
        "plainaddress", "a@b", "a@b.c", "two@@example.com", "a..b@example.com", ".a@example.com", "a.@example.com",
        "a b@example.com", "a,b@example.com", "\"q\"@example.com", "a@-example.com", "a@example-.com", "a@example.c0m",
        "a@example..com", String(repeating: "x", count: 65) + "@example.com",
    ])
    func malformedEmailsAreNeverSent(_ raw: String) {
        #expect(ContactEmail.normalise(raw) == .failure(.malformed))
    }

    @Test func theByteCheckAgreesWithTheScalarRulesOnEveryAddress() {
        // The fast ASCII path must decide exactly as the reference rules: random addresses built from the characters
        // the rules care about, from a fixed seed.
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet = Array("ab.-@@..--xyzAZ09_+' ,\"()<>;\\\u{7F}\t") + ["é"]
        var checked = 0
        for _ in 0..<200_000 {
            let length = Int(generator.next() % 24)
            var text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            if generator.next() % 3 == 0 {
                text += ["@example.com", "@ex-ample.co", ".@a.b", "@a..bc", "@-a.de"][Int(generator.next() % 5)]
            }
            #expect(ContactEmail.isWellFormed(text) == ContactEmail.isWellFormedByScalars(text), "\(text.debugDescription)")
            checked += ContactEmail.isWellFormedByScalars(text) ? 1 : 0
        }
        #expect(checked > 1_000, "the sample holds well-formed addresses too")
        for edge in [
            String(repeating: "a", count: 64) + "@example.com", String(repeating: "a", count: 65) + "@example.com",
            "a@" + String(repeating: "b", count: 63) + ".de", "a@" + String(repeating: "b", count: 64) + ".de",
            String(repeating: "a", count: 60) + "@" + String(repeating: "b.", count: 95) + "de",
        ] {
            #expect(ContactEmail.isWellFormed(edge) == ContactEmail.isWellFormedByScalars(edge), "\(edge)")
        }
    }

    @Test func emailListsForSQLiteAreTheJSONArraysJSONEncoderWrites() throws {
        let lists: [[String]] = [[], ["ana@example.com"], ["zoë@example.de", "a\"b", "back\\slash", "tab\there", "\u{1}x", "ünï"]]
        for list in lists {
            let ours = JSONList.of(list)
            #expect(try JSONDecoder().decode([String].self, from: Data(ours.utf8)) == list, "\(ours)")
        }
        #expect(JSONList.of(["a@b.de", "c@d.de"]) == #"["a@b.de","c@d.de"]"#)
    }

    @Test func theFingerprintOfAPayloadNeverChanges() {
        // Stored in every export's ledger: a change here would resend every contact of every export.
        #expect(PayloadFingerprint.of("") == "cbf29ce484222325")
        #expect(PayloadFingerprint.of("a") == "af63dc4c8601ec8c")
        #expect(PayloadFingerprint.of("x7500") == "0041157ac45c93f7")  // leading zeros kept
        #expect(
            ContactPayload.fingerprint(email: "ana@example.com", firstName: "Ana", lastName: "López", phone: "+34 600")
                == "c165b570966aa858"
        )
        #expect(
            ContactPayload.fingerprint(email: "ana@example.com", firstName: nil, lastName: "López", phone: nil)
                == PayloadFingerprint.of("ana@example.com\u{1F}\u{1F}López\u{1F}")
        )
        #expect(
            PayloadFingerprint.of("ana@example.com\u{1F}Ana\u{1F}López\u{1F}+34 600")
                != PayloadFingerprint.of("ana@example.com\u{1F}Ana\u{1F}Lopez\u{1F}+34 600")
        )
    }

    /// The freeze compares a ledger's fingerprints as numbers: a stored one reads back as the number it was made
    /// from, and anything `hex` would not have written equals no fingerprint.
    @Test func aStoredFingerprintReadsBackAsItsNumber() {
        let value = ContactPayload.fingerprintValue(email: "ana@example.com", firstName: "Ana", lastName: "López", phone: "+34 600")
        #expect(PayloadFingerprint.hex(value) == "c165b570966aa858")
        #expect(PayloadFingerprint.value(hex: Array("c165b570966aa858".utf8)) == value)
        #expect(PayloadFingerprint.value(hex: Array("0041157ac45c93f7".utf8)) == 0x0041_157a_c45c_93f7)
        for stored in ["C165B570966AA858", "c165b570966aa85", "c165b570966aa8580", "c165b570966aa85g", ""] {
            #expect(PayloadFingerprint.value(hex: Array(stored.utf8)) == nil, "\(stored)")
        }
    }
}

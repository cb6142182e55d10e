import OutboundCore
import Testing

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

    @Test func theFingerprintOfAPayloadNeverChanges() {
        // Stored in every export's ledger: a change here would resend every contact of every export.
        #expect(PayloadFingerprint.of("") == "cbf29ce484222325")
        #expect(PayloadFingerprint.of("a") == "af63dc4c8601ec8c")
        #expect(
            PayloadFingerprint.of("ana@example.com\u{1F}Ana\u{1F}López\u{1F}+34 600")
                != PayloadFingerprint.of("ana@example.com\u{1F}Ana\u{1F}Lopez\u{1F}+34 600")
        )
    }
}

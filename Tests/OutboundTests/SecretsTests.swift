import Foundation
import Secrets
import Store
import Testing

@testable import Secrets

@Suite struct AESGCMVectorTests {
    // The GCM specification's 256-bit test cases (McGrew & Viega, "The Galois/Counter Mode of Operation",
    // test cases 13 to 16; the 96-bit-IV ones, which is the only IV length Outbound uses).
    static let keyA = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
    static let ivA = hex("cafebabefacedbaddecaf888")
    static let plainA = hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    )
    static let cipherA = hex(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
    )

    struct Vector: Sendable {
        var name: String, key: [UInt8], iv: [UInt8], plaintext: [UInt8], aad: [UInt8], ciphertext: [UInt8], tag: [UInt8]
    }

    static let vectors = [
        Vector(
            name: "13",
            key: [UInt8](repeating: 0, count: 32),
            iv: [UInt8](repeating: 0, count: 12),
            plaintext: [],
            aad: [],
            ciphertext: [],
            tag: hex("530f8afbc74536b9a963b4f1c4cb738b")
        ),
        Vector(
            name: "14",
            key: [UInt8](repeating: 0, count: 32),
            iv: [UInt8](repeating: 0, count: 12),
            plaintext: [UInt8](repeating: 0, count: 16),
            aad: [],
            ciphertext: hex("cea7403d4d606b6e074ec5d3baf39d18"),
            tag: hex("d0d1c8a799996bf0265b98b5d48ab919")
        ),
        Vector(
            name: "15",
            key: keyA,
            iv: ivA,
            plaintext: plainA,
            aad: [],
            ciphertext: cipherA,
            tag: hex("b094dac5d93471bdec1a502270e3cc6c")
        ),
        Vector(
            name: "16",
            key: keyA,
            iv: ivA,
            plaintext: Array(plainA.prefix(60)),
            aad: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
            ciphertext: Array(cipherA.prefix(60)),
            tag: hex("76fc6ece0f4e1768cddf8853bb2d551b")
        ),
    ]

    @Test(arguments: vectors.map(\.name))
    func sealAndOpenMatchTheSpecification(_ name: String) throws {
        let v = Self.vectors.first { $0.name == name }!
        let (ciphertext, tag) = try AES256GCM.seal(key: v.key, nonce: v.iv, plaintext: v.plaintext, aad: v.aad)
        #expect(ciphertext == v.ciphertext)
        #expect(tag == v.tag)
        #expect(try AES256GCM.open(key: v.key, nonce: v.iv, ciphertext: v.ciphertext, tag: v.tag, aad: v.aad) == v.plaintext)
        var badTag = v.tag
        badTag[0] ^= 1
        #expect(throws: AES256GCM.Failure.self) {
            try AES256GCM.open(key: v.key, nonce: v.iv, ciphertext: v.ciphertext, tag: badTag, aad: v.aad)
        }
    }
}

@Suite struct VaultTests {
    let vault = Vault(ring: .generate())
    let context = SealContext(tenantId: 7, table: "connection", column: "apiKeySealed", rowId: 42)
    let apiKey = "4f3c9a0d2b7e61f8a9c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7"

    @Test func sealsAndOpensAndNeverPrintsTheSecret() throws {
        let sealed = try vault.seal(apiKey, context: context)
        #expect(!sealed.contains(apiKey))
        #expect(sealed.hasPrefix("ob1.k1."))
        let opened = try vault.open(sealed, context: context)
        #expect(opened.value == apiKey)
        #expect("\(opened)" == "[redacted]")
        #expect(String(describing: opened) == "[redacted]")
        #expect(String(reflecting: opened) == "[redacted]")
        var dumped = ""
        dump(opened, to: &dumped)
        #expect(!dumped.contains(apiKey))
        #expect(opened.lastFour == "d6e7")
    }

    @Test func aHundredThousandSealsOfOneValueAreAllDistinct() throws {
        var nonces = Set<[UInt8]>()
        var strings = Set<String>()
        for _ in 0..<100_000 {
            let sealed = try vault.seal("the same value", context: context)
            strings.insert(sealed)
            nonces.insert(SealedValue(parsing: sealed)!.nonce)
        }
        #expect(nonces.count == 100_000)
        #expect(strings.count == 100_000)
    }

    @Test func everyFlippedByteGivesTheGenericError() throws {
        let sealed = try vault.seal(apiKey, context: context)
        let value = try #require(SealedValue(parsing: sealed))
        var attempts = 0
        for part in 0..<3 {
            let bytes = [value.nonce, value.ciphertext, value.tag][part]
            for index in bytes.indices {
                for bit in [0, 7] {
                    var parts = [value.nonce, value.ciphertext, value.tag]
                    parts[part][index] ^= UInt8(1 << bit)
                    let tampered = SealedValue(keyId: value.keyId, nonce: parts[0], ciphertext: parts[1], tag: parts[2]).text
                    #expect(throws: SecretUnreadable()) { try vault.open(tampered, context: context) }
                    attempts += 1
                }
            }
        }
        #expect(attempts == 2 * (12 + apiKey.utf8.count + 16))
        // Every character of the stored text changed, too (format, key id and encoding included).
        let characters = Array(sealed)
        for index in characters.indices {
            var changed = characters
            changed[index] = changed[index] == "A" ? "B" : "A"
            #expect(throws: SecretUnreadable()) { try vault.open(String(changed), context: context) }
        }
    }

    @Test func truncatedTagsAreRefused() throws {
        let value = try #require(SealedValue(parsing: try vault.seal(apiKey, context: context)))
        for length in 0..<16 {
            let text = [
                SealedValue.version, value.keyId, Base64URL.encode(value.nonce), Base64URL.encode(value.ciphertext),
                Base64URL.encode(value.tag.prefix(length)),
            ].joined(separator: ".")
            #expect(throws: SecretUnreadable()) { try vault.open(text, context: context) }
            #expect(throws: AES256GCM.Failure.self) {
                try AES256GCM.open(
                    key: [UInt8](repeating: 1, count: 32),
                    nonce: value.nonce,
                    ciphertext: value.ciphertext,
                    tag: Array(value.tag.prefix(length)),
                    aad: []
                )
            }
        }
        let truncated = String(try vault.seal(apiKey, context: context).dropLast(3))
        #expect(throws: SecretUnreadable()) { try vault.open(truncated, context: context) }
    }

    @Test func anotherPlaceAnotherRowOrAnotherKeyDoesNotOpen() throws {
        let sealed = try vault.seal(apiKey, context: context)
        var others: [SealContext] = []
        for change in 0..<4 {
            var other = context
            switch change {
            case 0: other.tenantId = 8
            case 1: other.table = "export"
            case 2: other.column = "apiKeyLastFour"
            default: other.rowId = 43
            }
            others.append(other)
        }
        for other in others {
            #expect(throws: SecretUnreadable()) { try vault.open(sealed, context: other) }
        }
        // Another row's value pasted into this row.
        let neighbour = try vault.seal("another account's key", context: others[3])
        #expect(throws: SecretUnreadable()) { try vault.open(neighbour, context: context) }
        // Another key ring, and a key id this ring does not have.
        #expect(throws: SecretUnreadable()) { try Vault(ring: .generate()).open(sealed, context: context) }
        let unknownKey = sealed.replacingOccurrences(of: "ob1.k1.", with: "ob1.k9.")
        #expect(throws: SecretUnreadable()) { try vault.open(unknownKey, context: context) }
        #expect(throws: SecretUnreadable()) { try vault.open("", context: context) }
        #expect(throws: SecretUnreadable()) { try vault.open("not a sealed value", context: context) }
    }
}

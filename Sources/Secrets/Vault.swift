import Foundation
import Synchronization

/// Where a sealed value belongs. Sealing binds the value to it as associated data, so a value copied to another
/// row, column or tenant does not open.
public struct SealContext: Sendable, Equatable {
    public var tenantId: Int64
    public var table: String
    public var column: String
    public var rowId: Int64

    public init(tenantId: Int64, table: String, column: String, rowId: Int64) {
        self.tenantId = tenantId
        self.table = table
        self.column = column
        self.rowId = rowId
    }

    func associatedData(version: String, keyId: String) -> [UInt8] {
        Array("outbound-sealed|\(version)|\(keyId)|tenant=\(tenantId)|\(table).\(column)|row=\(rowId)".utf8)
    }
}

/// The one error for every failure to open a sealed value: no partial plaintext, no OpenSSL text.
public struct SecretUnreadable: Error, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "The stored secret could not be read." }
}

/// A sealed value as stored: `ob1.<key id>.<nonce>.<ciphertext>.<tag>`, the last three base64url.
struct SealedValue: Equatable {
    static let version = "ob1"
    var keyId: String
    var nonce: [UInt8]
    var ciphertext: [UInt8]
    var tag: [UInt8]

    init(keyId: String, nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.keyId = keyId
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }

    init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == Self.version, !parts[1].isEmpty,
            let nonce = Base64URL.decode(parts[2]), let ciphertext = Base64URL.decode(parts[3]),
            let tag = Base64URL.decode(parts[4]),
            nonce.count == AES256GCM.nonceLength, tag.count == AES256GCM.tagLength,
            // Canonical encoding only: a text that differs from what was stored is refused even when its
            // unused base64 bits decode to the same bytes.
            Base64URL.encode(nonce) == parts[2], Base64URL.encode(ciphertext) == parts[3], Base64URL.encode(tag) == parts[4]
        else { return nil }
        self.init(keyId: String(parts[1]), nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    var text: String {
        [Self.version, keyId, Base64URL.encode(nonce), Base64URL.encode(ciphertext), Base64URL.encode(tag)].joined(separator: ".")
    }

    /// The key id of a stored value, without opening it (for `keys status` and rotation).
    static func keyId(of text: String) -> String? { SealedValue(parsing: text)?.keyId }
}

/// Seals and opens small secrets with the key ring. Shared by the web app, the engine and the CLI. When another
/// process rotates the key ring, the vault notices (the file changed, or a value names a key it has not loaded)
/// and reloads the file once before it calls a value unreadable; `reload()` is also wired to SIGHUP.
public final class Vault: Sendable {
    private let file: KeyRingFile?
    private let state: Mutex<(ring: KeyRing, stamp: timespec?)>

    public init(file: KeyRingFile) throws {
        self.file = file
        self.state = Mutex((try file.load(), file.modificationStamp))
    }

    /// A vault over a ring held in memory only (tests).
    public init(ring: KeyRing) {
        self.file = nil
        self.state = Mutex((ring, nil))
    }

    public var ring: KeyRing { state.withLock { $0.ring } }

    public func reload() throws {
        guard let file else { return }
        let ring = try file.load()
        let stamp = file.modificationStamp
        state.withLock { $0 = (ring, stamp) }
    }

    private func reloadIfChanged() {
        guard let file else { return }
        let current = file.modificationStamp
        let known = state.withLock { $0.stamp }
        if current?.tv_sec != known?.tv_sec || current?.tv_nsec != known?.tv_nsec { try? reload() }
    }

    public func seal(_ plaintext: String, context: SealContext) throws -> String {
        reloadIfChanged()
        let key = state.withLock { $0.ring.sealingKey }
        return try Self.seal(Array(plaintext.utf8), key: key, context: context)
    }

    static func seal(_ plaintext: [UInt8], key: KeyRing.Key, context: SealContext) throws -> String {
        let nonce = SecureRandom.bytes(AES256GCM.nonceLength)
        let aad = context.associatedData(version: SealedValue.version, keyId: key.id)
        let (ciphertext, tag) = try AES256GCM.seal(key: key.material, nonce: nonce, plaintext: plaintext, aad: aad)
        return SealedValue(keyId: key.id, nonce: nonce, ciphertext: ciphertext, tag: tag).text
    }

    public func open(_ sealed: String, context: SealContext) throws -> Redacted {
        guard let value = SealedValue(parsing: sealed) else { throw SecretUnreadable() }
        var key = state.withLock { $0.ring.key(id: value.keyId) }
        if key == nil {
            try? reload()
            key = state.withLock { $0.ring.key(id: value.keyId) }
        }
        guard let key else { throw SecretUnreadable() }
        let aad = context.associatedData(version: SealedValue.version, keyId: value.keyId)
        guard
            let plaintext = try? AES256GCM.open(
                key: key.material,
                nonce: value.nonce,
                ciphertext: value.ciphertext,
                tag: value.tag,
                aad: aad
            ),
            let text = String(validating: plaintext, as: UTF8.self)
        else { throw SecretUnreadable() }
        return Redacted(text)
    }

    /// Re-seals `sealed` with the current sealing key, for rotation. Nil when it already uses that key.
    public func reseal(_ sealed: String, context: SealContext) throws -> String? {
        let sealingId = state.withLock { $0.ring.sealingKey.id }
        guard SealedValue.keyId(of: sealed) != sealingId else { return nil }
        let plaintext = try open(sealed, context: context)
        return try seal(plaintext.value, context: context)
    }

    public static func keyId(of sealed: String) -> String? { SealedValue.keyId(of: sealed) }
}

import Secrets

/// The emails a freeze has met, exactly, in memory: its duplicates (the lowest profile id of an email is sent)
/// and the mirror's removals (delivered emails no member holds any more) are decided against it.
///
/// A million emails as Swift strings would take about 100 MB, and as a temporary SQLite table they spilled out of
/// its page cache into a temporary file (44% of an incremental run's CPU went to writing that table). So each email
/// is kept as a 128-bit keyed hash in an open-addressing table sized once from the member count: 16 bytes an email
/// (about 22 MB for a million). The hash is two SipHash values (the standard library's `Hasher`, whose key is
/// random per process) over the email behind two secret 128-bit salts drawn for each freeze: two distinct emails
/// would need to agree on 128 pseudo-random bits to be mistaken for one another, and data crafted to make them
/// agree would need the salts, which never leave the process. (SHA-256 did the same at three times the cost,
/// through OpenSSL's per-call setup.)
///
/// `@unchecked Sendable`: one freeze owns it and uses it from one place at a time — its own task, or the writer's
/// closure while the task awaits that closure.
final class SeenEmails: @unchecked Sendable {
    private var slots: [UInt64]  // pairs; (0, 0) marks an empty slot
    private var capacity: Int
    private let salts: [UInt64] = SecureRandom.bytes(32).withUnsafeBytes { raw in
        (0..<4).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
    }
    private(set) var count = 0

    /// Room for `expected` emails at a load of at most 0.7; grows if more come (a segment refreshed meanwhile).
    init(expected: Int) {
        capacity = max(64, expected * 10 / 7 + 1)
        slots = [UInt64](repeating: 0, count: capacity * 2)
    }

    /// Adds `email`; false when it was met before.
    func insert(_ email: String) -> Bool {
        if count * 10 >= capacity * 7 { grow() }
        let key = key(email)
        return insert(key)
    }

    func contains(_ email: String) -> Bool {
        let (high, low) = key(email)
        var slot = Self.start(high, capacity)
        while true {
            let a = slots[slot * 2]
            let b = slots[slot * 2 + 1]
            if a == 0 && b == 0 { return false }
            if a == high && b == low { return true }
            slot = slot + 1 == capacity ? 0 : slot + 1
        }
    }

    private func key(_ email: String) -> (UInt64, UInt64) {
        var email = email
        return email.withUTF8 { bytes in
            var first = Hasher()
            first.combine(salts[0])
            first.combine(salts[1])
            first.combine(bytes: UnsafeRawBufferPointer(bytes))
            var second = Hasher()
            second.combine(salts[2])
            second.combine(salts[3])
            second.combine(bytes: UnsafeRawBufferPointer(bytes))
            return (UInt64(UInt(bitPattern: first.finalize())), UInt64(UInt(bitPattern: second.finalize())) | 1)  // never (0, 0)
        }
    }

    private func insert(_ key: (UInt64, UInt64)) -> Bool {
        var slot = Self.start(key.0, capacity)
        while true {
            let a = slots[slot * 2]
            let b = slots[slot * 2 + 1]
            if a == 0 && b == 0 {
                slots[slot * 2] = key.0
                slots[slot * 2 + 1] = key.1
                count += 1
                return true
            }
            if a == key.0 && b == key.1 { return false }
            slot = slot + 1 == capacity ? 0 : slot + 1
        }
    }

    private func grow() {
        let old = slots
        capacity = capacity * 2 + 1
        slots = [UInt64](repeating: 0, count: capacity * 2)
        count = 0
        for slot in 0..<(old.count / 2) where old[slot * 2] != 0 || old[slot * 2 + 1] != 0 {
            _ = insert((old[slot * 2], old[slot * 2 + 1]))
        }
    }

    private static func start(_ hash: UInt64, _ capacity: Int) -> Int {
        // Lemire's multiply-shift: a uniform slot in 0..<capacity without a division.
        Int(hash.multipliedFullWidth(by: UInt64(capacity)).high)
    }
}

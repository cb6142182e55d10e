import OutboundCore
import Foundation

/// Counts failed sign-ins per account and per client address. After `maxFailures` within the lockout window the
/// key is locked until `lockout` has passed since its last failure; it unlocks by itself. Checked before any
/// password is hashed, so a locked key costs the server nothing.
/// Kept in memory: a restart forgets the counts, which only ever unlocks early.
actor LoginThrottle {
    private struct Entry { var failures: Int; var last: Date }
    private var entries: [String: Entry] = [:]
    private let maxFailures: Int
    private let lockout: TimeInterval
    private let clock: AppClock

    init(maxFailures: Int, lockout: TimeInterval, clock: AppClock) {
        self.maxFailures = maxFailures
        self.lockout = lockout
        self.clock = clock
    }

    static func accountKey(_ email: String) -> String { "account:" + email.lowercased() }
    static func addressKey(_ address: String) -> String { "address:" + address }

    /// When the first locked key unlocks, or nil when none is locked.
    func lockedUntil(_ keys: [String]) -> Date? {
        let now = clock.now
        return keys.compactMap { key -> Date? in
            guard let entry = entries[key], entry.failures >= maxFailures else { return nil }
            let until = entry.last.addingTimeInterval(lockout)
            return until > now ? until : nil
        }.max()
    }

    func recordFailure(_ keys: [String]) {
        let now = clock.now
        for key in keys {
            var entry = entries[key] ?? Entry(failures: 0, last: now)
            // Failures older than the window no longer count.
            if now.timeIntervalSince(entry.last) > lockout { entry.failures = 0 }
            entry.failures += 1
            entry.last = now
            entries[key] = entry
        }
        if entries.count > 50_000 { prune(now: now) }
    }

    func recordSuccess(_ key: String) {
        entries[key] = nil
    }

    private func prune(now: Date) {
        entries = entries.filter { now.timeIntervalSince($0.value.last) <= lockout }
    }
}

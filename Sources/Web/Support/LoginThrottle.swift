import Foundation
import OutboundCore

/// Counts failed sign-ins per (account, address) pair, per address and per account. After `maxFailures` within
/// the lockout window a pair or an address is locked until `lockout` has passed since its last failure; it
/// unlocks by itself. Checked before any password is hashed, so a locked key costs the server nothing.
///
/// An account alone is never locked: anyone could keep the only admin out with ten guesses every 15 minutes.
/// Past `maxFailures` account-wide, each further attempt on it is slowed by a growing delay instead
/// (`accountDelay`), so the right password from anywhere still signs in.
/// Kept in memory: a restart forgets the counts, which only ever unlocks early.
actor LoginThrottle {
    private struct Entry {
        var failures: Int
        var last: Date
    }
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
    static func pairKey(_ email: String, _ address: String) -> String { "pair:" + email.lowercased() + " " + address }
    /// The longest an attempt on a much-guessed account waits.
    static let maxAccountDelay: TimeInterval = 30

    /// How long an attempt on this account waits before its password is checked: nothing below `maxFailures`
    /// recent failures, then 1 s, 2 s, 4 s … up to `maxAccountDelay`.
    func accountDelay(_ key: String) -> TimeInterval {
        guard let entry = entries[key], clock.now.timeIntervalSince(entry.last) <= lockout, entry.failures >= maxFailures else {
            return 0
        }
        return min(Self.maxAccountDelay, pow(2, Double(min(entry.failures - maxFailures, 10))))
    }

    /// When the first locked key unlocks, or nil when none is locked.
    func lockedUntil(_ keys: [String]) -> Date? {
        let now = clock.now
        return keys.compactMap { key -> Date? in
            guard let entry = entries[key], entry.failures >= maxFailures else { return nil }
            let until = entry.last.addingTimeInterval(lockout)
            return until > now ? until : nil
        }.max()
    }

    /// Counts a failure for each key; returns the keys this failure locked (for the activity log).
    @discardableResult
    func recordFailure(_ keys: [String]) -> [String] {
        let now = clock.now
        var locked: [String] = []
        for key in keys {
            var entry = entries[key] ?? Entry(failures: 0, last: now)
            // Failures older than the window no longer count.
            if now.timeIntervalSince(entry.last) > lockout { entry.failures = 0 }
            entry.failures += 1
            entry.last = now
            entries[key] = entry
            if entry.failures == maxFailures { locked.append(key) }
        }
        if entries.count > 50_000 { prune(now: now) }
        return locked
    }

    func recordSuccess(_ key: String) {
        entries[key] = nil
    }

    private func prune(now: Date) {
        entries = entries.filter { now.timeIntervalSince($0.value.last) <= lockout }
    }
}

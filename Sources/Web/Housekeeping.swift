import Foundation
import OutboundCore
import ServiceLifecycle
import Store

/// Deletes expired sessions and connection drafts every few minutes. They are refused when met anyway; this keeps
/// them (and a draft's sealed key) from lingering in the database.
struct Housekeeping: Service {
    let database: AppDatabase
    let clock: AppClock
    let idleTimeout: TimeInterval
    var interval: Duration = .seconds(300)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await purge()
                // A sleep cut short by shutdown is the normal way out, not an error (it made SIGTERM exit 1).
                try? await Task.sleep(for: interval)
            }
        }
    }

    func purge() async throws {
        let now = clock.now
        try await database.deleteExpiredSessions(idleBefore: now.addingTimeInterval(-idleTimeout), now: now)
        try await database.deleteExpiredDrafts(now: now)
        for path in try await database.takeAbandonedUploads(olderThan: now.addingTimeInterval(-3600)) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

import Foundation
import Logging
import OutboundCore
import Store

/// Starts each workspace's system refresh when it is due: segments refresh first, then every export on System
/// refresh is queued. Part of the engine service, on its clock. Several engine processes may share a store: each
/// due refresh is claimed with a compare-and-set, so exactly one of them runs it.
public struct RefreshScheduler: Sendable {
    let database: AppDatabase
    let clock: AppClock
    let logger: Logger
    /// Segment refreshes are seconds of SQLite work: they run here, never on the threads tasks run on.
    let pool: BlockingPool

    public init(database: AppDatabase, clock: AppClock, logger: Logger = Logger(label: "outbound.scheduler")) {
        self.database = database
        self.clock = clock
        self.logger = logger
        pool = BlockingPool(name: "refresh", threads: 1, maxPending: 16)
    }

    static let request = RunRequest(trigger: .schedule, userId: nil, by: "System refresh")

    /// Runs every refresh due now that this process claims; returns the workspaces it refreshed.
    @discardableResult
    public func runDue() async -> [Int64] {
        let now = clock.now
        let due: [Int64]
        do { due = try await database.dueSystemRefreshes(now: now) } catch is CancellationError {
            return []  // the engine is stopping
        } catch {
            logger.error("Could not read the due system refreshes", metadata: ["error": "\(error)"])
            return []
        }
        var refreshed: [Int64] = []
        for tenantId in due {
            do {
                guard try await database.claimSystemRefresh(tenantId: tenantId, now: now) else { continue }
                let database = database
                let outcome = try await pool.run {
                    try database.performSystemRefresh(tenantId: tenantId, request: Self.request, actor: .systemRefresh, now: now)
                }
                refreshed.append(tenantId)
                logger.info("System refresh", metadata: ["tenant": "\(tenantId)", "outcome": "\(outcome.summary)"])
            } catch {
                // The claim has moved on: this occurrence is not tried again (at most one refresh per occurrence).
                logger.error("System refresh failed", metadata: ["tenant": "\(tenantId)", "error": "\(error)"])
            }
        }
        return refreshed
    }
}

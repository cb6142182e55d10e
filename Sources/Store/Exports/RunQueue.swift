import Foundation
import GRDB

/// The engine's view of the queue: the only reads across all tenants, named as dispatcher queries.
public struct RunQueue: Sendable {
    let database: AppDatabase
    /// Who holds the leases this queue hands out (one per engine process).
    public let owner: String
    public let leaseDuration: TimeInterval

    public init(database: AppDatabase, owner: String, leaseDuration: TimeInterval = 60) {
        self.database = database
        self.owner = owner
        self.leaseDuration = leaseDuration
    }

    /// Leases the next run: queued runs and runs whose worker's lease expired, tenants with the fewest runs in
    /// progress first (round-robin across tenants), then oldest first.
    /// - Parameter perTenantLimit: runs one workspace may have in progress; below the engine's own limit, so a run of
    ///   another workspace always finds a free slot.
    /// - Parameter only: claim this run or nothing (`exports run --wait` working its own run without an engine).
    public func claimNext(now: Date, excluding: Set<Int64> = [], perTenantLimit: Int = .max, only: Int64? = nil) async throws -> ExportRun?
    {
        try await database.writer.write { db in
            let excluded = JSONList.of(excluding)
            let candidate = try ExportRun.fetchOne(
                db,
                sql: """
                    SELECT r.* FROM exportRun r
                    WHERE (r.state = 'queued' OR (r.state = 'running' AND (r.leaseExpiresAt IS NULL OR r.leaseExpiresAt < :now)))
                      AND r.id NOT IN (SELECT value FROM json_each(:excluded))
                      AND (:only IS NULL OR r.id = :only)
                      AND (SELECT COUNT(*) FROM exportRun a WHERE a.tenantId = r.tenantId AND a.state = 'running'
                           AND a.leaseExpiresAt >= :now) < :perTenant
                    ORDER BY (SELECT COUNT(*) FROM exportRun a WHERE a.tenantId = r.tenantId AND a.state = 'running'
                              AND a.leaseExpiresAt >= :now), r.queuedAt, r.id
                    LIMIT 1
                    """,
                arguments: ["now": now, "excluded": excluded, "only": only, "perTenant": perTenantLimit]
            )
            guard var run = candidate else { return nil }
            run.state = .running
            run.leaseOwner = owner
            run.leaseExpiresAt = now.addingTimeInterval(leaseDuration)
            run.heartbeatAt = now
            run.claims += 1
            if run.startedAt == nil { run.startedAt = now }
            try run.update(db)
            return run
        }
    }

    /// The check before every request: the run is still ours and still running. Renews the lease when half of
    /// it is gone. False when the run was canceled, removed or taken over. (One cached query of three columns: a
    /// whole run decoded per request was a twentieth of a full export's CPU.)
    public func stillOurs(runId: Int64, now: Date) async throws -> Bool {
        let leaseIsFresh = try await database.reader.read { db in try leaseState(db, runId: runId, now: now) }
        guard let leaseIsFresh else { return false }
        if leaseIsFresh { return true }
        return try await database.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE exportRun SET leaseExpiresAt = ?, heartbeatAt = ? WHERE id = ? AND state = 'running' AND leaseOwner = ?
                    """,
                arguments: [now.addingTimeInterval(leaseDuration), now, runId, owner]
            )
            return db.changesCount == 1
        }
    }

    /// A batch's stored contacts, read together with the check `stillOurs` makes. A post sent at once after
    /// (no pacing wait between) needs no read of its own: `leaseChecked` then says the run was ours, running, with
    /// a fresh lease when its contacts were read. False when the lease needs renewing or the run is no longer
    /// ours; the request's own check then does what `stillOurs` does.
    public func contactsBeforePost(runId: Int64, batchSeq: Int64, now: Date) async throws -> (contacts: StoredContacts, leaseChecked: Bool)
    {
        try await database.reader.read { db in
            (try RunBatch.stored(db, runId: runId, seq: batchSeq), try leaseState(db, runId: runId, now: now) == true)
        }
    }

    /// Nil when the run is not ours and running; whether its lease has more than half its time left otherwise.
    private func leaseState(_ db: Database, runId: Int64, now: Date) throws -> Bool? {
        try Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT leaseExpiresAt IS NOT NULL AND leaseExpiresAt > ? FROM exportRun WHERE id = ? AND state = 'running' AND leaseOwner = ?
                    """
            ),
            arguments: [now.addingTimeInterval(leaseDuration / 2), runId, owner]
        )
    }

    /// Gives a run back (shutdown): it stays running with no owner, so the next engine takes it up at once.
    public func release(runId: Int64) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE exportRun SET leaseOwner = NULL, leaseExpiresAt = NULL WHERE id = ? AND state = 'running' AND leaseOwner = ?
                    """,
                arguments: [runId, owner]
            )
        }
    }

    /// The engine process's heartbeat (for `outbound status` and /healthz).
    public func beat(now: Date, startedAt: Date, stopped: Bool = false) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO engineNode (id, startedAt, heartbeatAt, stoppedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET heartbeatAt = excluded.heartbeatAt, stoppedAt = excluded.stoppedAt
                    """,
                arguments: [owner, startedAt, now, stopped ? now : nil]
            )
            // Nodes silent for a day are history.
            try db.execute(sql: "DELETE FROM engineNode WHERE heartbeatAt < ?", arguments: [now.addingTimeInterval(-86_400)])
        }
    }
}

/// The engine as `outbound status` and /healthz report it.
public struct EngineStatus: Sendable, Equatable {
    public var lastHeartbeat: Date?
    public var runningNodes: Int
    public var queueDepth: Int
    public var oldestQueuedAt: Date?
    public var runsByState: [RunState: Int]
}

extension AppDatabase {
    /// A node that has not beaten for this long (it beats every 10 s) is not counted as running: it was killed.
    public static let engineNodeSilentAfter: TimeInterval = 60

    public func engineStatus() async throws -> EngineStatus {
        let alive = clock.now.addingTimeInterval(-Self.engineNodeSilentAfter)
        return try await reader.read { db in
            let beat = try Date.fetchOne(db, sql: "SELECT MAX(heartbeatAt) FROM engineNode WHERE stoppedAt IS NULL")
            let nodes =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM engineNode WHERE stoppedAt IS NULL AND heartbeatAt >= ?",
                    arguments: [alive]
                ) ?? 0
            let queued = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(queuedAt) FROM exportRun WHERE state = 'queued'")!
            var byState: [RunState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM exportRun GROUP BY state") {
                if let state = RunState(rawValue: row[0]) { byState[state] = row[1] }
            }
            return EngineStatus(
                lastHeartbeat: beat,
                runningNodes: nodes,
                queueDepth: queued[0],
                oldestQueuedAt: queued[1],
                runsByState: byState
            )
        }
    }
}

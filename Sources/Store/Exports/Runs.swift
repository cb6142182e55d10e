import Foundation
import GRDB

/// What `enqueueRun` did: a queued run, or a skipped one that says why.
public enum EnqueueOutcome: Sendable, Equatable {
    case queued(ExportRun)
    case skipped(ExportRun)

    public var run: ExportRun {
        switch self {
        case .queued(let run), .skipped(let run): run
        }
    }
}

public enum RunCommandProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound
    case notActive(RunState)
    case notWaitingForConfirmation(RunState)

    public var description: String {
        switch self {
        case .notFound: "There is no such run in this workspace."
        case .notActive(let state):
            "The run is already \(state.label.lowercased()); only queued, processing or waiting runs can be canceled."
        case .notWaitingForConfirmation(let state): "The run is \(state.label.lowercased()), not waiting for confirmation."
        }
    }
}

/// Who asked for a run.
public struct RunRequest: Sendable {
    public var trigger: RunTrigger
    public var userId: Int64?
    public var by: String
    public var fullResync: Bool

    public init(trigger: RunTrigger, userId: Int64?, by: String, fullResync: Bool = false) {
        self.trigger = trigger
        self.userId = userId
        self.by = by
        self.fullResync = fullResync
    }
}

extension AppDatabase {
    /// Queues a run of the export; when one is still going (or waiting for confirmation), records a Skipped run
    /// that says so instead. The partial unique index makes this hold across processes too.
    public func enqueueRun(tenantId: Int64, exportId: Int64, request: RunRequest, actor: Actor, now: Date) async throws -> EnqueueOutcome {
        try await writer.write { db in
            guard let export = try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.id == exportId).fetchOne(db) else {
                throw StoreError.notFound
            }
            return try Self.enqueueRun(db, export: export, request: request, actor: actor, now: now)
        }
    }

    /// `enqueueRun` inside a transaction the caller holds (the system refresh queues its exports in one).
    static func enqueueRun(_ db: Database, export: Export, request: RunRequest, actor: Actor, now: Date) throws -> EnqueueOutcome {
        let tenantId = export.tenantId
        let exportId = export.id!
        let active = try ExportRun.filter(
            ExportRun.Columns.exportId == exportId && RunState.active.map(\.rawValue).contains(ExportRun.Columns.state)
        )
        .fetchOne(db)
        var run = ExportRun(
            tenantId: tenantId,
            exportId: exportId,
            trigger: request.trigger,
            requestedByUserId: request.userId,
            requestedBy: request.by,
            fullResync: request.fullResync,
            state: .queued,
            reason: nil,
            now: now
        )
        if let active {
            run.state = .skipped
            run.phase = .done
            run.finishedAt = now
            run.reason =
                active.state == .needsConfirmation
                ? "Run #\(active.id!) is waiting for confirmation."
                : "The previous run (#\(active.id!)) is still going."
            try run.insert(db)
            return .skipped(run)
        }
        try run.insert(db)
        if request.trigger != .schedule {
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: tenantId,
                actor: actor,
                action: "export.run",
                detail: "Started run #\(run.id!) of export \(export.name)\(request.fullResync ? " (full resync)" : "")"
            )
        }
        return .queued(run)
    }

    /// Cancels a queued, running or waiting run. A worker re-reads its run before every request, so nothing is
    /// sent for it after this commits.
    public func cancelRun(tenantId: Int64, runId: Int64, actor: Actor, now: Date) async throws -> ExportRun {
        try await writer.write { db in
            guard var run = try ExportRun.filter(ExportRun.Columns.tenantId == tenantId && ExportRun.Columns.id == runId).fetchOne(db)
            else {
                throw RunCommandProblem.notFound
            }
            guard run.state.isActive else { throw RunCommandProblem.notActive(run.state) }
            // What its confirmed batches delivered stays known, or the next run would send it again.
            if run.state == .running { try RunWork.recordDelivered(db, runId: runId, exportId: run.exportId) }
            run.state = .canceled
            run.phase = .done
            run.reason = "Canceled by \(actor.email)."
            run.finishedAt = now
            run.leaseOwner = nil
            try run.update(db)
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: tenantId,
                actor: actor,
                action: "export.run.canceled",
                detail: "Canceled run #\(runId)"
            )
            return run
        }
    }

    /// Lets a run held by the mirror's removal guard go on with its removals.
    public func confirmRun(tenantId: Int64, runId: Int64, actor: Actor) async throws -> ExportRun {
        try await writer.write { db in
            guard var run = try ExportRun.filter(ExportRun.Columns.tenantId == tenantId && ExportRun.Columns.id == runId).fetchOne(db)
            else {
                throw RunCommandProblem.notFound
            }
            guard run.state == .needsConfirmation else { throw RunCommandProblem.notWaitingForConfirmation(run.state) }
            run.state = .queued
            run.removalsConfirmed = true
            run.reason = nil
            try run.update(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "export.run.confirmed",
                detail: "Confirmed the removal of \(run.toUnsubscribe) contacts by run #\(runId)"
            )
            return run
        }
    }

    public func run(tenantId: Int64, id: Int64) async throws -> ExportRun? {
        try await reader.read { db in try Self.run(db, tenantId: tenantId, id: id) }
    }

    static func run(_ db: Database, tenantId: Int64, id: Int64) throws -> ExportRun? {
        try SQLRequest<ExportRun>(sql: "SELECT * FROM exportRun WHERE tenantId = ? AND id = ?", arguments: [tenantId, id], cached: true)
            .fetchOne(db)
    }

    public func runs(tenantId: Int64, exportId: Int64, limit: Int = 50) async throws -> [ExportRun] {
        try await reader.read { db in try Self.runs(db, tenantId: tenantId, exportId: exportId, limit: limit) }
    }

    /// An export's runs, newest first.
    static func runs(_ db: Database, tenantId: Int64, exportId: Int64, limit: Int) throws -> [ExportRun] {
        try SQLRequest<ExportRun>(
            sql: "SELECT * FROM exportRun WHERE tenantId = ? AND exportId = ? ORDER BY id DESC LIMIT ?",
            arguments: [tenantId, exportId, limit],
            cached: true
        ).fetchAll(db)
    }

    public enum ProblemKind: String, Sendable, CaseIterable { case invalid, rejected }

    /// A page of a run's invalid or rejected rows, in profile order.
    public func runProblems(
        tenantId: Int64,
        runId: Int64,
        kind: ProblemKind,
        afterSeq: Int64 = Int64.min,
        limit: Int = 100
    ) async throws
        -> [(seq: Int64, row: RunProblemRow)]
    {
        try await reader.read { db in
            guard try ExportRun.filter(ExportRun.Columns.tenantId == tenantId && ExportRun.Columns.id == runId).fetchCount(db) == 1 else {
                return []
            }
            return try Self.runProblems(db, runId: runId, kind: kind, afterSeq: afterSeq, limit: limit)
        }
    }

    /// A page of a run's problem rows; the caller has checked the run is the tenant's.
    static func runProblems(
        _ db: Database,
        runId: Int64,
        kind: ProblemKind,
        afterSeq: Int64,
        limit: Int
    ) throws
        -> [(seq: Int64, row: RunProblemRow)]
    {
        // Each kind has its partial index; named, because the primary key's runId prefix looks as good to SQLite.
        let (index, condition) =
            kind == .invalid ? ("runContact_invalid", "action = 'invalid'") : ("runContact_rejected", "outcome = 'rejected'")
        return try SQLRequest<Row>(
            sql: """
                SELECT seq, profileId, email, reason FROM runContact INDEXED BY \(index) WHERE runId = ? AND \(condition) AND seq > ? ORDER BY seq LIMIT ?
                """,
            arguments: [runId, afterSeq, limit],
            cached: true
        ).fetchAll(db).map { row in
            (row[0], RunProblemRow(profileId: row[1], email: row[2], outcome: kind.rawValue, reason: row[3] ?? ""))
        }
    }
}

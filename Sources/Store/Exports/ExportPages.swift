import Foundation
import GRDB

/// What the Data > Exports list shows, read in one go.
public struct ExportsOverview: Sendable {
    public var exports: [ExportSummary]
    public var connections: [Connection]
    /// Whether the workspace has any segment (the empty state says to create one).
    public var hasSegments: Bool
}

/// What a run's page shows: the export, its connection, the run, a page of each kind of problem row (one more than
/// asked, so the page knows whether a next exists) and the export's recent runs.
public struct RunPageReads: Sendable {
    public var summary: ExportSummary
    public var connection: Connection?
    public var run: ExportRun
    public var invalid: [(seq: Int64, row: RunProblemRow)]
    public var rejected: [(seq: Int64, row: RunProblemRow)]
    public var history: [ExportRun]
}

extension AppDatabase {
    /// Data > Exports in one read: under load each separate awaited read is a hop to a reader and back.
    public func exportsOverview(tenantId: Int64) async throws -> ExportsOverview {
        try await reader.read { db in
            ExportsOverview(
                exports: try Self.exports(db, tenantId: tenantId),
                connections: try Self.connections(db, tenantId: tenantId),
                hasSegments: try SQLRequest<Bool>(
                    sql: "SELECT EXISTS (SELECT 1 FROM segment WHERE tenantId = ?)",
                    arguments: [tenantId],
                    cached: true
                ).fetchOne(db) ?? false
            )
        }
    }

    /// A run's page in one read; nil when the export or the run is not this workspace's, or the run is another
    /// export's.
    public func runPage(
        tenantId: Int64,
        exportId: Int64,
        runId: Int64,
        invalidAfter: Int64,
        rejectedAfter: Int64,
        rowLimit: Int,
        historyLimit: Int
    ) async throws -> RunPageReads? {
        try await reader.read { db in
            guard
                let export = try Self.export(db, tenantId: tenantId, id: exportId),
                let run = try Self.run(db, tenantId: tenantId, id: runId),
                run.exportId == exportId
            else { return nil }
            return RunPageReads(
                summary: try Self.summary(db, export),
                connection: try export.connectionId.flatMap { try Connection.fetchOne(db, tenantId: tenantId, id: $0) },
                run: run,
                invalid: try Self.runProblems(db, runId: runId, kind: .invalid, afterSeq: invalidAfter, limit: rowLimit),
                rejected: try Self.runProblems(db, runId: runId, kind: .rejected, afterSeq: rejectedAfter, limit: rowLimit),
                history: try Self.runs(db, tenantId: tenantId, exportId: exportId, limit: historyLimit)
            )
        }
    }
}

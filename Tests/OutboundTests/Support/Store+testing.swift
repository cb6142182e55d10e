import Foundation
import GRDB
import Secrets

@testable import Store

// Store helpers only tests need: rows for features whose write paths come later (exports), and direct reads and
// writes that the app reaches through other paths. Internal to the test target, so the app cannot call them.
extension AppDatabase {

    /// Replaces the stored key of a connection (sealed for its row), returning the updated record.
    func replaceConnectionKey(tenantId: Int64, connectionId: Int64, apiKey: Redacted, vault: Vault) async throws -> Connection {
        try await writer.write { db in
            guard var connection = try Connection.fetchOne(db, tenantId: tenantId, id: connectionId) else {
                throw StoreError.notFound
            }
            connection.apiKeySealed = try vault.seal(apiKey.value, context: connection.apiKeyContext!)
            connection.apiKeyLastFour = apiKey.lastFour
            connection.updatedAt = clock.now
            try connection.update(db)
            return connection
        }
    }

    /// For tests and, later, the exports issue: a minimal export row.
    func createExport(tenantId: Int64, name: String, connectionId: Int64?, listId: String?) async throws -> ExportReference {
        try await writer.write { db in
            let now = clock.now
            try db.execute(
                sql: """
                    INSERT INTO export (tenantId, name, connectionId, listId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [tenantId, name, connectionId, listId, now, now]
            )
            return ExportReference(id: db.lastInsertedRowID, name: name)
        }
    }

    func exportConnectionId(tenantId: Int64, exportId: Int64) async throws -> Int64?? {
        try await reader.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT connectionId FROM export WHERE tenantId = ? AND id = ?",
                    arguments: [tenantId, exportId]
                )
            else { return nil }
            return .some(row["connectionId"] as Int64?)
        }
    }

    /// Lets an export use a segment. Both must belong to `tenantId` (else `notFound`, as for any foreign id); the
    /// schema's trigger refuses a cross-workspace link from any other writer too.
    func linkExport(tenantId: Int64, exportId: Int64, segmentId: Int64) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO exportSegment (exportId, segmentId)
                    SELECT export.id, segment.id FROM export JOIN segment ON segment.tenantId = export.tenantId
                    WHERE export.tenantId = ? AND export.id = ? AND segment.id = ?
                    """,
                arguments: [tenantId, exportId, segmentId]
            )
            guard db.changesCount == 1 else { throw StoreError.notFound }
        }
    }

    /// The current members' profile ids (for tests and, later, the export engine's prepare step).
    func segmentMemberIds(tenantId: Int64, segmentId: Int64) async throws -> [String] {
        try await reader.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT profile.profileId FROM segment
                    JOIN segmentMember ON segmentMember.segmentId = segment.id AND segmentMember.generation = segment.generation
                    JOIN profile ON profile.rowId = segmentMember.profileRowId AND profile.tenantId = segment.tenantId
                    WHERE segment.tenantId = ? AND segment.id = ? ORDER BY profile.rowId
                    """,
                arguments: [tenantId, segmentId]
            )
        }
    }

    /// Puts a run where the mirror's removal guard would (the engine's guard itself is tested with the engine).
    func holdForConfirmation(runId: Int64, reason: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE exportRun SET state = 'needs_confirmation', phase = 'send', reason = ? WHERE id = ?",
                arguments: [reason, runId]
            )
        }
    }
}

import Foundation
import GRDB

/// An export as other rooms name it: in a connection's removal, a segment's deletion guard, the lists.
public struct ExportReference: Sendable, Equatable {
    public var id: Int64
    public var name: String

    public init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }
}

/// What removing a connection does to the exports that use it.
public enum DetachedExports: String, Sendable {
    /// They keep their settings, show "No connection" and never run until given another connection.
    case detach
    case remove
}

/// The queries other rooms ask about exports: which use a connection or a segment, and letting go of a connection.
/// The `db` forms run inside the caller's transaction, so a guard and its change see the same rows.
enum ExportLinks {
    static func usingConnection(_ db: Database, tenantId: Int64, connectionId: Int64) throws -> [ExportReference] {
        try Row.fetchAll(
            db,
            sql: "SELECT id, name FROM export WHERE tenantId = ? AND connectionId = ? ORDER BY name",
            arguments: [tenantId, connectionId]
        ).map { ExportReference(id: $0[0], name: $0[1]) }
    }

    static func countUsingConnection(_ db: Database, tenantId: Int64, connectionId: Int64) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM export WHERE tenantId = ? AND connectionId = ?",
            arguments: [tenantId, connectionId]
        ) ?? 0
    }

    static func usingSegment(_ db: Database, tenantId: Int64, segmentId: Int64) throws -> [ExportReference] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT export.id, export.name FROM exportSegment JOIN export ON export.id = exportSegment.exportId
                WHERE export.tenantId = ? AND exportSegment.segmentId = ? ORDER BY export.name
                """,
            arguments: [tenantId, segmentId]
        ).map { ExportReference(id: $0[0], name: $0[1]) }
    }

    /// Detaches or removes the exports of a connection that is being removed.
    static func release(_ db: Database, tenantId: Int64, connectionId: Int64, _ choice: DetachedExports) throws {
        switch choice {
        case .detach:
            try db.execute(
                sql: "UPDATE export SET connectionId = NULL WHERE tenantId = ? AND connectionId = ?",
                arguments: [tenantId, connectionId]
            )
        case .remove:
            try db.execute(sql: "DELETE FROM export WHERE tenantId = ? AND connectionId = ?", arguments: [tenantId, connectionId])
        }
    }
}

extension AppDatabase {
    public func exportsUsing(tenantId: Int64, connectionId: Int64) async throws -> [ExportReference] {
        try await reader.read { db in try ExportLinks.usingConnection(db, tenantId: tenantId, connectionId: connectionId) }
    }

    public func exportsUsing(tenantId: Int64, segmentId: Int64) async throws -> [ExportReference] {
        try await reader.read { db in try ExportLinks.usingSegment(db, tenantId: tenantId, segmentId: segmentId) }
    }
}

import Foundation
import GRDB

/// What deleting a workspace removed, as the command line reports it.
public struct TenantDeletionOutcome: Sendable, Equatable {
    public var profiles = 0
    public var exports = 0
    public var connections = 0
    /// Members' accounts that belonged to no other workspace (and were invited to none): nobody could use them
    /// any more.
    public var accounts = 0
    /// False when the write-ahead log could not be emptied (see `ForgetOutcome.logCleared`).
    public var logCleared = true
}

/// One entry of the server's own log (workspaces deleted), which outlives the workspaces it names.
public struct ServerActivityEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "serverActivity"
    public var id: Int64?
    public var actor: String
    public var action: String
    public var detail: String
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AppDatabase {
    /// Deletes a workspace and every row it owns: exports (their runs stop before their next request: the worker
    /// re-reads its run), ledgers and run rows, connections with their sealed keys, profiles, segments, imports,
    /// memberships, invitations and its Activity. Its members' accounts go too when they belong to no other
    /// workspace and are invited to none (an account is global: one that belongs elsewhere stays). Who deleted it
    /// is recorded in the server's log. Returns nil when no workspace has that slug.
    ///
    /// Exports and connections go first in one transaction, so no run sends anything more; profiles follow in
    /// short chunks (the web app and the engine keep working meanwhile); the rest goes in a last transaction.
    public func deleteTenant(slug: String, actor: String) async throws -> TenantDeletionOutcome? {
        guard let tenant = try await tenant(slug: slug), let tenantId = tenant.id else { return nil }
        // First nobody can use it any more (memberships and invitations), and no run sends anything more.
        var outcome = try await securelyDeleting { db in
            var outcome = TenantDeletionOutcome()
            // Its members' accounts (one only invited here may be someone's own account from elsewhere).
            let people = try Int64.fetchAll(db, sql: "SELECT userId FROM membership WHERE tenantId = ?", arguments: [tenantId])
            try db.execute(sql: "DELETE FROM membership WHERE tenantId = ?", arguments: [tenantId])
            try db.execute(sql: "DELETE FROM invitation WHERE tenantId = ?", arguments: [tenantId])
            // Their sessions go with them (ON DELETE CASCADE); other workspaces' Activity keeps their email as written.
            try db.execute(
                sql: """
                    DELETE FROM user WHERE id IN (SELECT value FROM json_each(?))
                      AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.userId = user.id)
                      AND NOT EXISTS (SELECT 1 FROM invitation i WHERE i.userId = user.id)
                    """,
                arguments: [JSONList.of(people)]
            )
            outcome.accounts = db.changesCount
            try db.execute(sql: "DELETE FROM export WHERE tenantId = ?", arguments: [tenantId])
            outcome.exports = db.changesCount
            try db.execute(sql: "DELETE FROM connection WHERE tenantId = ?", arguments: [tenantId])
            outcome.connections = db.changesCount
            return outcome
        }
        while true {
            let removed = try await securelyDeleting { db in
                let rowIds = try Int64.fetchAll(db, sql: "SELECT rowId FROM profile WHERE tenantId = ? LIMIT 5000", arguments: [tenantId])
                return try Self.deleteProfiles(db, tenantId: tenantId, rowIds: rowIds)
            }
            outcome.profiles += removed
            if removed == 0 { break }
        }
        let removed = outcome
        try await securelyDeleting { db in
            // Activity refers to its workspace and may be deleted only once the workspace is gone (trigger
            // `activity_no_delete`), so the reference is checked at commit instead of at each statement.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            try db.execute(sql: "DELETE FROM tenant WHERE id = ?", arguments: [tenantId])
            try db.execute(sql: "DELETE FROM activity WHERE tenantId = ?", arguments: [tenantId])
            var event = ServerActivityEvent(
                actor: actor,
                action: "tenant.deleted",
                detail: "Deleted the workspace \(tenant.slug) (“\(tenant.name)”, id \(tenantId)): \(removed.profiles) profiles, "
                    + "\(removed.exports) exports, \(removed.connections) connections, \(removed.accounts) accounts",
                createdAt: clock.now
            )
            try event.insert(db)
        }
        outcome.logCleared = await truncateLog()
        return outcome
    }

    /// The server's log, newest first.
    public func serverActivity(limit: Int = 100) async throws -> [ServerActivityEvent] {
        try await reader.read { db in
            try ServerActivityEvent.order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }
}

import Foundation
import GRDB
import OutboundCore
import Secrets

/// A connection as the list shows it: with its export user and whether that user is still an admin here.
public struct ConnectionSummary: Sendable, Equatable {
    public var connection: Connection
    public var exportUserEmail: String?
    public var exportUserIsAdmin: Bool
    public var consentUserEmail: String?
    public var exportCount: Int

    /// Nil when Connected; otherwise why it needs attention.
    public var attention: String? {
        if connection.apiKeySealed == nil { return "API key missing: connect again" }
        if connection.exportUserId == nil || !exportUserIsAdmin { return "export user lost access" }
        if let error = connection.lastError { return error }
        if connection.verifiedAt == nil { return "not verified" }
        return nil
    }
}

public struct ConnectionChanges: Sendable, Equatable {
    public var name: String
    public var usableBy: ConnectionUsers

    public init(name: String, usableBy: ConnectionUsers) {
        self.name = name
        self.usableBy = usableBy
    }
}

extension Connection {
    /// The connection with `id` in this tenant only: another tenant's id finds nothing.
    static func fetchOne(_ db: Database, tenantId: Int64, id: Int64) throws -> Connection? {
        try SQLRequest<Connection>(sql: "SELECT * FROM connection WHERE tenantId = ? AND id = ?", arguments: [tenantId, id], cached: true)
            .fetchOne(db)
    }
}

extension User {
    /// The email of a user, for activity details ("?" for an account deleted since).
    static func email(_ db: Database, id: Int64) throws -> String {
        try String.fetchOne(db, sql: "SELECT email FROM user WHERE id = ?", arguments: [id]) ?? "?"
    }
}

extension AppDatabase {
    public func connectionSummaries(tenantId: Int64) async throws -> [ConnectionSummary] {
        try await reader.read { db in
            try Connection.filter(Connection.Columns.tenantId == tenantId).order(Connection.Columns.name.collating(.nocase)).fetchAll(db)
                .map { try Self.summary(db, $0) }
        }
    }

    public func connectionSummary(tenantId: Int64, id: Int64) async throws -> ConnectionSummary? {
        try await reader.read { db in
            try Connection.fetchOne(db, tenantId: tenantId, id: id).map { try Self.summary(db, $0) }
        }
    }

    static func summary(_ db: Database, _ connection: Connection) throws -> ConnectionSummary {
        let exportUser = try connection.exportUserId.flatMap {
            try Row.fetchOne(
                db,
                sql: """
                    SELECT user.email, membership.role FROM user
                    LEFT JOIN membership ON membership.userId = user.id AND membership.tenantId = ?
                    WHERE user.id = ?
                    """,
                arguments: [connection.tenantId, $0]
            )
        }
        let consentEmail = try connection.consentUserId.flatMap {
            try String.fetchOne(db, sql: "SELECT email FROM user WHERE id = ?", arguments: [$0])
        }
        let exports = try ExportLinks.countUsingConnection(db, tenantId: connection.tenantId, connectionId: connection.id!)
        return ConnectionSummary(
            connection: connection,
            exportUserEmail: exportUser?["email"],
            exportUserIsAdmin: (exportUser?["role"] as String?) == Role.admin.rawValue,
            consentUserEmail: consentEmail,
            exportCount: exports
        )
    }

    public func connectionNameTaken(tenantId: Int64, name: String, except id: Int64? = nil) async throws -> Bool {
        try await reader.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM connection WHERE tenantId = ? AND name = ? COLLATE NOCASE AND id IS NOT ?",
                arguments: [tenantId, name, id]
            ) ?? 0 > 0
        }
    }

    /// Save of a new connection: the verified key moves from the draft (opened with its draft context) into the
    /// connection (sealed for the new row); consent and export user are recorded; the draft is deleted. One
    /// transaction: nothing half-saved.
    public func createConnection(
        tenantId: Int64,
        name: String,
        usableBy: ConnectionUsers,
        draft: ConnectionDraft,
        consentUserId: Int64,
        vault: Vault,
        actor: Actor,
        now: Date
    ) async throws -> Connection {
        try await writer.write { db in
            guard let draftId = draft.id, let current = try ConnectionDraft.fetchOne(db, key: draftId), current.isConnected,
                let sealed = current.apiKeySealed, let host = current.apiHost, let exportUserId = current.exportUserId
            else {
                throw StoreError.notFound
            }
            let apiKey = try vault.open(sealed, context: current.apiKeyContext!)
            var connection = Connection(
                tenantId: tenantId,
                name: name,
                usableBy: usableBy,
                apiHost: host,
                accountName: current.accountName,
                exportUserId: exportUserId,
                consentUserId: consentUserId,
                consentAt: now,
                verifiedAt: current.verifiedAt,
                now: now
            )
            try connection.insert(db)
            connection.apiKeySealed = try vault.seal(apiKey.value, context: connection.apiKeyContext!)
            connection.apiKeyLastFour = apiKey.lastFour
            try connection.update(db)
            _ = try ConnectionDraft.deleteOne(db, key: draftId)
            let exportUser = try User.email(db, id: exportUserId)
            let tenant = connection.tenantId
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenant,
                actor: actor,
                action: "connection.created",
                detail:
                    "Created ActiveCampaign connection \(name) for \(host) (key ending \(apiKey.lastFour), usable by \(usableBy.label.lowercased()))"
            )
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenant,
                actor: actor,
                action: "connection.consent",
                detail: "Agreed to the data privacy and compliance terms for \(name)"
            )
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenant,
                actor: actor,
                action: "connection.export_user",
                detail: "Set the export user of \(name) to \(exportUser)"
            )
            return connection
        }
    }

    /// Rename and who may use it; records what changed.
    public func updateConnection(tenantId: Int64, id: Int64, changes: ConnectionChanges, actor: Actor, now: Date) async throws {
        try await writer.write { db in
            guard var connection = try Connection.fetchOne(db, tenantId: tenantId, id: id) else {
                throw StoreError.notFound
            }
            var changed: [String] = []
            if connection.name != changes.name { changed.append("renamed from \(connection.name) to \(changes.name)") }
            if connection.usableBy != changes.usableBy { changed.append("usable by \(changes.usableBy.label.lowercased())") }
            guard !changed.isEmpty else { return }
            connection.name = changes.name
            connection.usableBy = changes.usableBy
            connection.updatedAt = now
            try connection.update(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "connection.edited",
                detail: "Edited \(changes.name): " + changed.joined(separator: "; ")
            )
        }
    }

    /// A new key and/or host from a connected draft. The old key is replaced in the same statement, so a key is
    /// never kept for a host it was not verified with.
    public func replaceCredentials(tenantId: Int64, id: Int64, draft: ConnectionDraft, vault: Vault, actor: Actor, now: Date) async throws {
        try await writer.write { db in
            guard var connection = try Connection.fetchOne(db, tenantId: tenantId, id: id),
                let draftId = draft.id, let current = try ConnectionDraft.fetchOne(db, key: draftId), current.connectionId == id,
                current.isConnected, let sealed = current.apiKeySealed, let host = current.apiHost
            else {
                throw StoreError.notFound
            }
            let apiKey = try vault.open(sealed, context: current.apiKeyContext!)
            let previousHost = connection.apiHost
            connection.apiHost = host
            connection.apiKeySealed = try vault.seal(apiKey.value, context: connection.apiKeyContext!)
            connection.apiKeyLastFour = apiKey.lastFour
            connection.accountName = current.accountName
            connection.verifiedAt = current.verifiedAt
            connection.lastError = nil
            connection.updatedAt = now
            try connection.update(db)
            _ = try ConnectionDraft.deleteOne(db, key: draftId)
            if previousHost != host {
                // Another account: what the exports delivered to the old one says nothing about the new one.
                try Self.resetExportsForNewAccount(db, connectionId: id, now: now)
            }
            let what =
                previousHost == host
                ? "Replaced the API key of \(connection.name) (now ending \(apiKey.lastFour))"
                : "Changed the host of \(connection.name) from \(previousHost) to \(host) with a new API key ending \(apiKey.lastFour)"
            try ActivityEvent.record(db, at: clock.now, tenantId: tenantId, actor: actor, action: "connection.credentials", detail: what)
        }
    }

    public func recordVerification(tenantId: Int64, id: Int64, accountName: String?, error: String?, actor: Actor, now: Date) async throws {
        // Third-party text: stored (and written to the append-only activity) as one bounded line.
        let error = error.map { BoundedText.summary($0) }
        try await writer.write { db in
            guard var connection = try Connection.fetchOne(db, tenantId: tenantId, id: id) else {
                throw StoreError.notFound
            }
            if let accountName {
                connection.accountName = accountName
                connection.verifiedAt = now
                connection.lastError = nil
            } else {
                connection.lastError = error
            }
            try connection.update(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "connection.verified",
                detail: error.map { "Verification of \(connection.name) failed: \($0)" } ?? "Verified \(connection.name)"
            )
        }
    }

    public func setExportUser(tenantId: Int64, id: Int64, userId: Int64, actor: Actor, now: Date) async throws {
        try await writer.write { db in
            guard var connection = try Connection.fetchOne(db, tenantId: tenantId, id: id) else {
                throw StoreError.notFound
            }
            connection.exportUserId = userId
            connection.updatedAt = now
            try connection.update(db)
            let email = try User.email(db, id: userId)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "connection.export_user",
                detail: "Set the export user of \(connection.name) to \(email)"
            )
        }
    }

    /// Removes the connection and its sealed key, and detaches or removes its exports, in one transaction. The
    /// engine checks for the connection before each request, so any run of these exports stops there.
    public func removeConnection(tenantId: Int64, id: Int64, exports: DetachedExports, actor: Actor) async throws {
        try await writer.write { db in
            guard let connection = try Connection.fetchOne(db, tenantId: tenantId, id: id) else {
                throw StoreError.notFound
            }
            let names = try ExportLinks.usingConnection(db, tenantId: tenantId, connectionId: id).map(\.name)
            try ExportLinks.release(db, tenantId: tenantId, connectionId: id, exports)
            _ = try connection.delete(db)
            let exportText =
                names.isEmpty ? "" : "; \(exports == .detach ? "detached" : "removed") exports: " + names.joined(separator: ", ")
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "connection.removed",
                detail: "Removed connection \(connection.name) (\(connection.apiHost)) and its stored API key\(exportText)"
            )
        }
    }

    /// The connection now points at another ActiveCampaign account: its exports' runs stop and their ledgers and
    /// mirror baselines start over, in the caller's transaction.
    static func resetExportsForNewAccount(_ db: Database, connectionId: Int64, now: Date) throws {
        try db.execute(
            sql: """
                UPDATE exportRun SET state = 'canceled', phase = 'done', leaseOwner = NULL, finishedAt = ?,
                    reason = 'The connection was moved to another ActiveCampaign account.'
                WHERE state IN ('queued', 'running', 'needs_confirmation')
                  AND exportId IN (SELECT id FROM export WHERE connectionId = ?)
                """,
            arguments: [now, connectionId]
        )
        try db.execute(
            sql: "DELETE FROM exportLedger WHERE exportId IN (SELECT id FROM export WHERE connectionId = ?)",
            arguments: [connectionId]
        )
        try db.execute(
            sql: "DELETE FROM exportBaseline WHERE exportId IN (SELECT id FROM export WHERE connectionId = ?)",
            arguments: [connectionId]
        )
        try db.execute(sql: "UPDATE export SET baselineState = 'needed' WHERE connectionId = ? AND mirror = 1", arguments: [connectionId])
    }
}

import Foundation
import GRDB
import Secrets

/// The steps of adding or editing a connection before Save. The typed API key lives only here, sealed for this
/// row, tied to one session and expiring after 30 minutes; Save moves it into the connection and deletes this.
public struct ConnectionDraft: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public enum Columns {
        public static let connectionId = Column(CodingKeys.connectionId)
        public static let expiresAt = Column(CodingKeys.expiresAt)
        public static let id = Column(CodingKeys.id)
        public static let sessionId = Column(CodingKeys.sessionId)
        public static let tenantId = Column(CodingKeys.tenantId)
    }

    public var id: Int64?
    public var sessionId: Int64
    public var tenantId: Int64
    public var connectionId: Int64?
    public var apiHost: String?
    public var apiKeySealed: String?
    public var apiKeyLastFour: String?
    public var accountName: String?
    public var verifiedAt: Date?
    public var exportUserId: Int64?
    public var createdAt: Date
    public var expiresAt: Date

    public static let lifetime: TimeInterval = 30 * 60

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var apiKeyContext: SealContext? {
        id.map { SealContext(tenantId: tenantId, table: "connectionDraft", column: "apiKeySealed", rowId: $0) }
    }

    /// Connected: a key that ActiveCampaign accepted for this host.
    public var isConnected: Bool { apiKeySealed != nil && verifiedAt != nil && apiHost != nil }
}

/// What a successful Connect learned, to keep in the draft.
public struct VerifiedKey: Sendable {
    public var apiHost: String
    public var apiKey: Redacted
    public var accountName: String

    public init(apiHost: String, apiKey: Redacted, accountName: String) {
        self.apiHost = apiHost
        self.apiKey = apiKey
        self.accountName = accountName
    }
}

extension AppDatabase {
    /// The draft with `id` if it belongs to this session and tenant (and connection, for edits) and has not expired.
    public func draft(id: Int64, sessionId: Int64, tenantId: Int64, connectionId: Int64?, now: Date) async throws -> ConnectionDraft? {
        try await reader.read { db in
            try ConnectionDraft.filter(
                ConnectionDraft.Columns.id == id && ConnectionDraft.Columns.sessionId == sessionId
                    && ConnectionDraft.Columns.tenantId == tenantId
                    && ConnectionDraft.Columns.expiresAt > now
            )
            .filter(
                connectionId == nil ? ConnectionDraft.Columns.connectionId == nil : ConnectionDraft.Columns.connectionId == connectionId
            )
            .fetchOne(db)
        }
    }

    /// Creates or updates a draft. A verified key is sealed for the draft row in the same transaction; a draft
    /// whose key was verified for another host loses that key.
    public func saveDraft(
        existing: ConnectionDraft?,
        sessionId: Int64,
        tenantId: Int64,
        connectionId: Int64?,
        verified: VerifiedKey?,
        exportUserId: Int64?,
        vault: Vault,
        now: Date
    ) async throws -> ConnectionDraft {
        try await writer.write { db in
            var draft =
                existing
                ?? ConnectionDraft(
                    id: nil,
                    sessionId: sessionId,
                    tenantId: tenantId,
                    connectionId: connectionId,
                    apiHost: nil,
                    apiKeySealed: nil,
                    apiKeyLastFour: nil,
                    accountName: nil,
                    verifiedAt: nil,
                    exportUserId: nil,
                    createdAt: now,
                    expiresAt: now
                )
            draft.expiresAt = now.addingTimeInterval(ConnectionDraft.lifetime)
            if let exportUserId { draft.exportUserId = exportUserId }
            if draft.id == nil { try draft.insert(db) }
            if let verified {
                draft.apiHost = verified.apiHost
                draft.apiKeySealed = try vault.seal(verified.apiKey.value, context: draft.apiKeyContext!)
                draft.apiKeyLastFour = verified.apiKey.lastFour
                draft.accountName = verified.accountName
                draft.verifiedAt = now
            }
            try draft.update(db)
            return draft
        }
    }

    public func deleteExpiredDrafts(now: Date) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM connectionDraft WHERE expiresAt <= ?", arguments: [now]) }
    }
}

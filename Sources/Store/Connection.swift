import Foundation
import GRDB
import Secrets

public enum ConnectionUsers: String, Codable, Sendable, DatabaseValueConvertible {
    case admins, contributors

    public var label: String {
        switch self {
        case .admins: "Administrators"
        case .contributors: "Administrators and contributors"
        }
    }
}

/// An ActiveCampaign connection of a tenant. The API key is stored only sealed (`apiKeySealed`), bound to this
/// tenant, table, column and row; pages show `apiKeyLastFour` at most.
public struct Connection: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var tenantId: Int64
    public var kind: String
    public var name: String
    public var usableBy: ConnectionUsers
    public var apiHost: String
    public var apiKeySealed: String?
    public var apiKeyLastFour: String?
    public var accountName: String?
    public var exportUserId: Int64?
    public var consentUserId: Int64?
    public var consentAt: Date?
    public var verifiedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// The reason the last verification failed, shown as "Needs attention"; nil after a success.
    public var lastError: String?

    public init(tenantId: Int64, name: String, usableBy: ConnectionUsers, apiHost: String, accountName: String? = nil,
                exportUserId: Int64? = nil, consentUserId: Int64? = nil, consentAt: Date? = nil, verifiedAt: Date? = nil,
                now: Date) {
        self.tenantId = tenantId
        self.kind = "activecampaign"
        self.name = name
        self.usableBy = usableBy
        self.apiHost = apiHost
        self.accountName = accountName
        self.exportUserId = exportUserId
        self.consentUserId = consentUserId
        self.consentAt = consentAt
        self.verifiedAt = verifiedAt
        self.createdAt = now
        self.updatedAt = now
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var apiKeyContext: SealContext? {
        id.map { SealContext(tenantId: tenantId, table: "connection", column: "apiKeySealed", rowId: $0) }
    }
}

extension AppDatabase {
    /// Inserts the connection, then seals the key with the new row's id as context, in one transaction: a
    /// connection never exists with its key unsealed or missing.
    public func createConnection(_ connection: Connection, apiKey: Redacted, vault: Vault, actor: Actor) async throws -> Connection {
        try await writer.write { db in
            var connection = connection
            try connection.insert(db)
            connection.apiKeySealed = try vault.seal(apiKey.value, context: connection.apiKeyContext!)
            connection.apiKeyLastFour = apiKey.lastFour
            try connection.update(db)
            try ActivityEvent.record(db, at: clock.now, tenantId: connection.tenantId, actor: actor, action: "connection.created",
                                     detail: "Created ActiveCampaign connection \(connection.name) for \(connection.apiHost)")
            return connection
        }
    }

    /// Replaces the stored key of a connection (sealed for its row), returning the updated record.
    public func replaceConnectionKey(tenantId: Int64, connectionId: Int64, apiKey: Redacted, vault: Vault) async throws -> Connection {
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

    public func connection(tenantId: Int64, id: Int64) async throws -> Connection? {
        try await reader.read { db in
            try Connection.fetchOne(db, tenantId: tenantId, id: id)
        }
    }

    public func connections(tenantId: Int64) async throws -> [Connection] {
        try await reader.read { db in
            try Connection.filter(Column("tenantId") == tenantId).order(Column("name").collating(.nocase)).fetchAll(db)
        }
    }
}

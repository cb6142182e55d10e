import Foundation
import GRDB
import Secrets

// Connections as scripts and the engine's tests make them (`outbound connections add`): Connect happens before.
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
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: connection.tenantId,
                actor: actor,
                action: "connection.created",
                detail: "Created ActiveCampaign connection \(connection.name) for \(connection.apiHost)"
            )
            return connection
        }
    }

    public func connection(tenantId: Int64, id: Int64) async throws -> Connection? {
        try await reader.read { db in
            try Connection.fetchOne(db, tenantId: tenantId, id: id)
        }
    }

    public func connections(tenantId: Int64) async throws -> [Connection] {
        try await reader.read { db in try Self.connections(db, tenantId: tenantId) }
    }

    static func connections(_ db: Database, tenantId: Int64) throws -> [Connection] {
        try SQLRequest<Connection>(
            sql: "SELECT * FROM connection WHERE tenantId = ? ORDER BY name COLLATE NOCASE",
            arguments: [tenantId],
            cached: true
        ).fetchAll(db)
    }

}

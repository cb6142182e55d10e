import Foundation
import GRDB

/// The audit log: who did what, when and from where. Written inside the transaction of the change it records.
public struct ActivityEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "activity"
    public var id: Int64?
    public var tenantId: Int64
    public var actorUserId: Int64?
    public var actorEmail: String
    public var action: String
    public var detail: String
    public var clientAddress: String
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Who did something and from where: written into every activity event.
public struct Actor: Sendable, Equatable {
    public var userId: Int64?
    public var email: String
    public var clientAddress: String

    public init(userId: Int64?, email: String, clientAddress: String) {
        self.userId = userId
        self.email = email
        self.clientAddress = clientAddress
    }

    /// The command line, for changes made with `outbound` commands.
    public static let commandLine = Actor(userId: nil, email: "command line", clientAddress: "local")
}

extension ActivityEvent {
    static func record(_ db: Database, at now: Date, tenantId: Int64, actor: Actor, action: String, detail: String) throws {
        var event = ActivityEvent(
            id: nil,
            tenantId: tenantId,
            actorUserId: actor.userId,
            actorEmail: actor.email,
            action: action,
            detail: detail,
            clientAddress: actor.clientAddress,
            createdAt: now
        )
        try event.insert(db)
    }
}

extension AppDatabase {
    public func recordActivity(tenantId: Int64, actor: Actor, action: String, detail: String) async throws {
        try await writer.write { db in
            try ActivityEvent.record(db, at: clock.now, tenantId: tenantId, actor: actor, action: action, detail: detail)
        }
    }

    /// One page of the tenant's events, newest first, and whether an older page exists.
    public func activity(tenantId: Int64, page: Int, pageSize: Int = 50) async throws -> (events: [ActivityEvent], hasMore: Bool) {
        try await reader.read { db in
            let rows = try ActivityEvent.fetchAll(
                db,
                sql: """
                    SELECT * FROM activity WHERE tenantId = ? ORDER BY id DESC LIMIT ? OFFSET ?
                    """,
                arguments: [tenantId, pageSize + 1, max(0, page - 1) * pageSize]
            )
            return (Array(rows.prefix(pageSize)), rows.count > pageSize)
        }
    }
}

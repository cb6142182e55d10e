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

extension ActivityEvent {
    /// Read by column, not through `Decodable`: Admin > Activity reads 51 events a page, and GRDB's record decoder
    /// (a decoding container and a cast per value) was a tenth of the page's CPU.
    public init(row: Row) throws {
        self.init(
            id: row["id"],
            tenantId: row["tenantId"],
            actorUserId: row["actorUserId"],
            actorEmail: row["actorEmail"],
            action: row["action"],
            detail: row["detail"],
            clientAddress: row["clientAddress"],
            createdAt: row["createdAt"]
        )
    }
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

    /// One page of the tenant's events, newest first, and whether an older page exists; `action` and `actorEmail`
    /// keep only events of that kind or by that person (each has an index, so a page stays one short index read).
    public func activity(
        tenantId: Int64,
        page: Int,
        pageSize: Int = 50,
        action: String? = nil,
        actorEmail: String? = nil
    ) async throws -> (events: [ActivityEvent], hasMore: Bool) {
        try await reader.read { db in
            try Self.activity(db, tenantId: tenantId, page: page, pageSize: pageSize, action: action, actorEmail: actorEmail)
        }
    }

    /// Admin > Activity in one read: a page of events (as `activity`) and the members' emails for the filter.
    public func activityPage(
        tenantId: Int64,
        page: Int,
        pageSize: Int = 50,
        action: String? = nil,
        actorEmail: String? = nil
    ) async throws -> (events: [ActivityEvent], hasMore: Bool, memberEmails: [String]) {
        try await reader.read { db in
            let (events, hasMore) = try Self.activity(
                db,
                tenantId: tenantId,
                page: page,
                pageSize: pageSize,
                action: action,
                actorEmail: actorEmail
            )
            return (events, hasMore, try Self.members(db, tenantId: tenantId).map(\.email))
        }
    }

    static func activity(
        _ db: Database,
        tenantId: Int64,
        page: Int,
        pageSize: Int,
        action: String?,
        actorEmail: String?
    ) throws -> (events: [ActivityEvent], hasMore: Bool) {
        let (sql, arguments) = Self.activityQuery(tenantId: tenantId, action: action, actorEmail: actorEmail)
        let rows = try SQLRequest<ActivityEvent>(
            sql: sql + " LIMIT ? OFFSET ?",
            arguments: arguments + [pageSize + 1, max(0, page - 1) * pageSize],
            cached: true
        ).fetchAll(db)
        return (Array(rows.prefix(pageSize)), rows.count > pageSize)
    }

    /// The page's query without its limit; also read by the test that checks its plan.
    static func activityQuery(tenantId: Int64, action: String?, actorEmail: String?) -> (String, StatementArguments) {
        var sql = "SELECT * FROM activity WHERE tenantId = ?"
        var arguments: StatementArguments = [tenantId]
        if let action {
            sql += " AND action = ?"
            arguments += [action]
        }
        if let actorEmail {
            sql += " AND actorEmail = ?"
            arguments += [actorEmail]
        }
        return (sql + " ORDER BY id DESC", arguments)
    }
}

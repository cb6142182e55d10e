import Foundation
import GRDB

public enum Role: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case admin, contributor, viewer

    public var label: String {
        switch self {
        case .admin: "Administrator"
        case .contributor: "Contributor"
        case .viewer: "Viewer"
        }
    }
}

public struct Tenant: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var slug: String
    public var name: String
    public var timeZone: String
    public var createdAt: Date

    public init(id: Int64? = nil, slug: String, name: String, timeZone: String = "UTC", createdAt: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.timeZone = timeZone
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct User: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var email: String
    public var passwordHash: String
    public var mustChangePassword: Bool
    public var createdAt: Date

    public init(id: Int64? = nil, email: String, passwordHash: String, mustChangePassword: Bool, createdAt: Date) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.mustChangePassword = mustChangePassword
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct Membership: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public var tenantId: Int64
    public var userId: Int64
    public var role: Role
    public var createdAt: Date
}

public struct UserSession: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "session"
    public var id: Int64?
    public var tokenHash: String
    public var userId: Int64
    public var csrfToken: String
    public var clientAddress: String
    public var userAgent: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date

    public init(id: Int64? = nil, tokenHash: String, userId: Int64, csrfToken: String, clientAddress: String,
                userAgent: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date) {
        self.id = id
        self.tokenHash = tokenHash
        self.userId = userId
        self.csrfToken = csrfToken
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

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
            id: nil, tenantId: tenantId, actorUserId: actor.userId, actorEmail: actor.email,
            action: action, detail: detail, clientAddress: actor.clientAddress, createdAt: now)
        try event.insert(db)
    }
}

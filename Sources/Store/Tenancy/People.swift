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
    public enum Columns {
        public static let slug = Column(CodingKeys.slug)
    }

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

import Foundation
import GRDB

/// A signed-in browser: the cookie token (stored hashed), its CSRF token, and when it was last seen.
public struct UserSession: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public enum Columns {
        public static let lastSeenAt = Column(CodingKeys.lastSeenAt)
        public static let tokenHash = Column(CodingKeys.tokenHash)
        public static let userId = Column(CodingKeys.userId)
    }

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

    public init(
        id: Int64? = nil,
        tokenHash: String,
        userId: Int64,
        csrfToken: String,
        clientAddress: String,
        userAgent: String,
        createdAt: Date,
        lastSeenAt: Date,
        expiresAt: Date
    ) {
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

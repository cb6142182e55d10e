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
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let tenantId = Column(CodingKeys.tenantId)
    }

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

    public init(
        tenantId: Int64,
        name: String,
        usableBy: ConnectionUsers,
        apiHost: String,
        accountName: String? = nil,
        exportUserId: Int64? = nil,
        consentUserId: Int64? = nil,
        consentAt: Date? = nil,
        verifiedAt: Date? = nil,
        now: Date
    ) {
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

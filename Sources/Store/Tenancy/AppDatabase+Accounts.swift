import Foundation
import GRDB

// Users are global (one account, one password); memberships give them a role in a tenant.
extension AppDatabase {
    public func user(id: Int64) async throws -> User? {
        try await reader.read { db in try User.fetchOne(db, key: id) }
    }

    public func user(email: String) async throws -> User? {
        try await reader.read { db in
            try User.fetchOne(db, sql: "SELECT * FROM user WHERE email = ? COLLATE NOCASE", arguments: [email])
        }
    }

    public func userCount() async throws -> Int {
        try await reader.read { db in try User.fetchCount(db) }
    }

    /// Sets a new password hash; `mustChange` marks a one-time password. Signing out everywhere is separate.
    public func setPassword(userId: Int64, hash: String, mustChange: Bool) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE user SET passwordHash = ?, mustChangePassword = ? WHERE id = ?",
                arguments: [hash, mustChange, userId]
            )
            guard db.changesCount == 1 else { throw StoreError.notFound }
        }
    }

    // MARK: Tenants

    public func createTenant(slug: String, name: String, actor: Actor = .commandLine) async throws -> Tenant {
        try await writer.write { db in
            if try Tenant.filter(Tenant.Columns.slug == slug).fetchCount(db) > 0 { throw StoreError.slugTaken }
            var tenant = Tenant(slug: slug, name: name, createdAt: clock.now)
            try tenant.insert(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenant.id!,
                actor: actor,
                action: "tenant.created",
                detail: "Created workspace \(name) (\(slug))"
            )
            return tenant
        }
    }

    public func tenant(slug: String) async throws -> Tenant? {
        try await reader.read { db in try Tenant.filter(Tenant.Columns.slug == slug).fetchOne(db) }
    }

    public func tenantCount() async throws -> Int {
        try await reader.read { db in try Tenant.fetchCount(db) }
    }

    /// The tenants a user belongs to with their role, by name.
    public func tenants(ofUser userId: Int64) async throws -> [(tenant: Tenant, role: Role)] {
        try await reader.read { db in try Self.tenants(db, ofUser: userId) }
    }

    static func tenants(_ db: Database, ofUser userId: Int64) throws -> [(tenant: Tenant, role: Role)] {
        // Read for every signed-in request (the session snapshot): a cached statement.
        let rows = try SQLRequest<Row>(
            sql: """
                SELECT tenant.*, membership.role AS memberRole FROM tenant
                JOIN membership ON membership.tenantId = tenant.id
                WHERE membership.userId = ? ORDER BY tenant.name, tenant.id
                """,
            arguments: [userId],
            cached: true
        ).fetchAll(db)
        return try rows.map { (try Tenant(row: $0), $0["memberRole"] as Role) }
    }
}

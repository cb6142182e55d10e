import Store

/// On the very first start (no tenant, no user), creates a first tenant and its administrator with a one-time
/// password, so that the README's run command leads straight to a usable page. Returns the sign-in details to
/// print once, or nil when the database already has data.
public enum FirstStart {
    public struct Credentials: Sendable {
        public var tenantSlug: String
        public var email: String
        public var oneTimePassword: String
    }

    public static let adminEmail = "admin@outbound.local"

    public static func bootstrapIfEmpty(database: AppDatabase, passwords: PasswordService) async throws -> Credentials? {
        guard try await database.tenantCount() == 0, try await database.userCount() == 0 else { return nil }
        let tenant = try await database.createTenant(slug: "main", name: "Main workspace")
        let password = OneTimePassword.make()
        let hash = try await passwords.hash(password)
        _ = try await database.addMember(
            tenantId: tenant.id!,
            email: adminEmail,
            role: .admin,
            newPasswordHash: hash,
            actor: .commandLine
        )
        return Credentials(tenantSlug: tenant.slug, email: adminEmail, oneTimePassword: password)
    }

    /// The first administrator's email while they have not yet chosen their own password (never signed in), so
    /// that each later start can say how to get a new one-time password; nil once they have.
    public static func adminAwaitingFirstSignIn(database: AppDatabase) async throws -> String? {
        guard let admin = try await database.user(email: adminEmail), admin.mustChangePassword else { return nil }
        return admin.email
    }

    /// A fresh one-time password for the CLI (`user create`, `user reset-password`).
    public static func makeOneTimePassword() -> String { OneTimePassword.make() }
}

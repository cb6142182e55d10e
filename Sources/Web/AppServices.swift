import OutboundCore
import ActiveCampaign
import Secrets
import Store

/// The dependencies every controller draws from, passed explicitly (no globals).
struct AppServices: Sendable {
    let configuration: AppConfiguration
    let database: AppDatabase
    let vault: Vault
    let views: Views
    let clock: AppClock
    let passwords: PasswordService
    let throttle: LoginThrottle
    let gateway: ActiveCampaignGateway
    /// Imports and segment refreshes run here, never on Swift's cooperative pool.
    let importPool: BlockingPool
    let uploads: UploadFolder

    func tenantsOf(_ signedIn: SignedIn) async throws -> [(tenant: Tenant, role: Role)] {
        try await database.tenants(ofUser: signedIn.userId)
    }

    /// The layout of a page inside a tenant: title, the highlighted section, the switcher's tenants.
    func chrome(_ title: String, section: String, _ context: TenantContext) async throws -> Chrome {
        .tenant(title: title, current: section, context: context, tenants: try await tenantsOf(context.signedIn))
    }
}

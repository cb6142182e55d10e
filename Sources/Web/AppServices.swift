import ActiveCampaign
import Foundation
import Logging
import OutboundCore
import ProfileImport
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
    /// Imports and segment refreshes run here, never on the threads tasks run on.
    let importPool: BlockingPool
    /// Queues import jobs; `buildApplication` runs it as a service.
    let imports: ImportService
    /// Where uploads wait (owner-only, inside the data directory).
    let uploads: UploadFolder

    static func make(
        configuration: AppConfiguration,
        database: AppDatabase,
        vault: Vault,
        resolver: any HostResolver = SystemResolver(),
        logger: Logger = Logger(label: "outbound")
    ) async throws -> AppServices {
        guard FileManager.default.fileExists(atPath: configuration.publicDirectory) else {
            throw StartupError.missingPublicDirectory(configuration.publicDirectory)
        }
        let importPool = BlockingPool(name: "import", threads: 1, maxPending: 8)
        let uploads = try UploadFolder.prepare(
            configuration.uploadsDirectory
                ?? FileManager.default.temporaryDirectory.path + "/outbound-test-uploads-\(UUID().uuidString)"
        )
        uploads.removeLeftovers(keeping: try await database.uploadFilesInUse())
        let gateway = ActiveCampaignGateway(
            policy: HostPolicy(allowedHosts: configuration.allowedDestinationHosts),
            resolver: resolver,
            logger: logger,
            connectTimeout: .init(configuration.destinationConnectTimeout),
            readTimeout: .init(configuration.destinationReadTimeout)
        )
        for host in gateway.policy.plainHTTPDestinations {
            logger.warning(
                "API keys may be sent to \(host) over plain http (--allow-destination-host). Only a local sandbox should be reached this way; write https://\(host) otherwise."
            )
        }
        return AppServices(
            configuration: configuration,
            database: database,
            vault: vault,
            views: try await Views.load(directory: configuration.templatesDirectory),
            clock: database.clock,
            passwords: PasswordService(
                parameters: configuration.passwordParameters,
                threads: configuration.hashingThreads,
                queueLimit: configuration.hashingQueueLimit
            ),
            throttle: LoginThrottle(
                maxFailures: configuration.loginMaxFailures,
                lockout: configuration.loginLockout,
                clock: database.clock
            ),
            gateway: gateway,
            importPool: importPool,
            imports: ImportService(database: database, pool: importPool),
            uploads: uploads
        )
    }

    func tenantsOf(_ signedIn: SignedIn) async throws -> [(tenant: Tenant, role: Role)] {
        signedIn.tenants
    }

    /// The layout of a page inside a tenant: title, the highlighted section, the switcher's tenants.
    func chrome(_ title: String, section: String, _ context: TenantContext) async throws -> Chrome {
        var chrome = Chrome.tenant(title: title, current: section, context: context, tenants: try await tenantsOf(context.signedIn))
        if configuration.demo != nil {
            let href = TenantRoute.demoActiveCampaign.path(context.access.tenant.slug)
            chrome.dataNav = HTMLRows(
                chrome.dataNav + [.init(label: DemoController.section, href: href, current: section == DemoController.section)]
            )
        }
        return chrome
    }
}

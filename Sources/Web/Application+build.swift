import OutboundCore
import ActiveCampaign
import Foundation
import Hummingbird
import NIOCore
import Logging
import Secrets
import Store

/// Builds the whole web application. Shared by `outbound serve` and the tests, so that both run the same thing.
public func buildApplication(
    configuration: AppConfiguration,
    database: AppDatabase,
    vault: Vault,
    clock: AppClock = AppClock(),
    resolver: any HostResolver = SystemResolver(),
    logger: Logger = Logger(label: "outbound")
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(configuration: configuration, database: database, vault: vault, clock: clock,
                                       resolver: resolver, logger: logger)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Outbound"),
        logger: logger)
    app.addServices(Housekeeping(database: database, clock: clock, idleTimeout: configuration.sessionIdleTimeout))
    return app
}

func buildRouter(configuration: AppConfiguration, database: AppDatabase, vault: Vault, clock: AppClock,
                 resolver: any HostResolver = SystemResolver(),
                 logger: Logger = Logger(label: "outbound")) async throws -> Router<AppRequestContext> {
    let services = AppServices(
        configuration: configuration,
        database: database,
        vault: vault,
        views: try await Views.load(directory: configuration.templatesDirectory),
        clock: clock,
        passwords: PasswordService(parameters: configuration.passwordParameters, threads: configuration.hashingThreads,
                                   queueLimit: configuration.hashingQueueLimit),
        throttle: LoginThrottle(maxFailures: configuration.loginMaxFailures, lockout: configuration.loginLockout, clock: clock),
        gateway: ActiveCampaignGateway(policy: HostPolicy(allowedHosts: configuration.allowedDestinationHosts),
                                       resolver: resolver, logger: logger,
                                       connectTimeout: .init(configuration.destinationConnectTimeout),
                                       readTimeout: .init(configuration.destinationReadTimeout)),
        importPool: BlockingPool(name: "import", threads: 1, maxPending: 8),
        uploads: try UploadFolder.prepare(configuration.uploadsDirectory
            ?? FileManager.default.temporaryDirectory.path + "/outbound-test-uploads-\(UUID().uuidString)"))
    guard FileManager.default.fileExists(atPath: configuration.publicDirectory) else {
        throw StartupError.missingPublicDirectory(configuration.publicDirectory)
    }

    try await database.failInterruptedImports(now: clock.now)
    services.uploads.removeLeftovers(keeping: try await database.uploadFilesInUse())
    for host in services.gateway.policy.plainHTTPDestinations {
        logger.warning("API keys may be sent to \(host) over plain http (--allow-destination-host). Only a local sandbox should be reached this way; write https://\(host) otherwise.")
    }

    let router = Router(context: AppRequestContext.self)
    // Order is the security policy: headers wrap everything (errors and static files included), then the client
    // address, static files, the session, and the CSRF check before any handler runs.
    router.addMiddleware {
        SecurityHeadersMiddleware(views: services.views, strictTransportSecurity: configuration.secureCookies)
        ClientAddressMiddleware(trustedProxies: configuration.trustedProxies, publicURLIsHTTPS: configuration.secureCookies, logger: logger)
        FileMiddleware(configuration.publicDirectory, searchForIndexHtml: false, logger: quietLogger(logger))
        SessionMiddleware(database: database, clock: clock, idle: configuration.sessionIdleTimeout, name: configuration.sessionCookieName)
        CSRFMiddleware(maxFormBytes: configuration.maxFormBytes)
    }

    router.get("healthz") { _, _ -> Response in
        let healthy = await database.isReachable()
        return Response(status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: healthy ? "ok\n" : "database unreachable\n")))
    }

    let auth = AuthController(services: services)
    auth.addRoutes(to: router)

    let signedIn = router.group()
        .add(middleware: SignInRequiredMiddleware())
        .group(context: SignedInContext.self)
    auth.addSignedInRoutes(to: signedIn)
    HomeController(services: services).addRoutes(to: signedIn)
    AccountController(services: services).addRoutes(to: signedIn)

    let tenant = router.group("t/:tenant")
        .add(middleware: SignInRequiredMiddleware())
        .add(middleware: TenantMiddleware(database: database))
        .group(context: TenantContext.self)
    tenant.get(use: HomeController.tenantRoot)

    let empty = EmptyAreaController(services: services)
    let admin = tenant.group("admin").add(middleware: AdminOnlyMiddleware())
    MembersController(services: services).addRoutes(to: admin)
    ConnectionsController(services: services).addRoutes(to: admin)
    ActivityController(services: services).addRoutes(to: admin)
    empty.addAdminRoutes(to: admin)

    let data = tenant.group("data")
    ProfilesController(services: services).addRoutes(to: data)
    SegmentsController(services: services).addRoutes(to: data)
    empty.addDataRoutes(to: data)
    return router
}

public enum StartupError: Error, CustomStringConvertible {
    case missingPublicDirectory(String)

    public var description: String {
        switch self {
        case .missingPublicDirectory(let path):
            "Public directory not found at \(path). Run from the repository, or pass --public-dir."
        }
    }
}

/// The file middleware announces its folder at info level on every build; once at start-up is noise enough.
private func quietLogger(_ logger: Logger) -> Logger {
    var quiet = Logger(label: "outbound.files")
    quiet.logLevel = max(logger.logLevel, .warning)
    return quiet
}

import ActiveCampaign
import Foundation
import Hummingbird
import Logging
import NIOCore
import OutboundCore
import ProfileImport
import Secrets
import ServiceLifecycle
import Store

/// Builds the whole web application: the router and the background services that run beside it. Shared by
/// `outbound serve` and the tests, so that both run the same thing.
/// - Parameters:
///   - backgroundServices: more services to run and shut down with the server (the export engine joins here).
///   - onListening: called with the bound port once the server accepts connections (the real one for port 0).
public func buildApplication(
    configuration: AppConfiguration,
    database: AppDatabase,
    vault: Vault,
    resolver: any HostResolver = SystemResolver(),
    logger: Logger = Logger(label: "outbound"),
    backgroundServices: [any Service] = [],
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let services = try await AppServices.make(
        configuration: configuration,
        database: database,
        vault: vault,
        resolver: resolver,
        logger: logger
    )
    let router = buildRouter(services: services, logger: logger)
    var app = Application(
        responder: HeadResponder(inner: router.buildResponder()),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Outbound"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
    app.addServices(Housekeeping(database: database, clock: database.clock, idleTimeout: configuration.sessionIdleTimeout))
    app.addServices(services.imports)
    // More background services (the export engine in `outbound serve`) stop with the server on SIGTERM.
    app.addServices(backgroundServices)
    return app
}

/// Routes only: middleware in order, then each controller's routes.
func buildRouter(services: AppServices, logger: Logger = Logger(label: "outbound")) -> Router<AppRequestContext> {
    let configuration = services.configuration
    let database = services.database
    let router = Router(context: AppRequestContext.self)
    // Order is the security policy: headers wrap everything (errors and static files included), then the client
    // address, static files, the session, and the CSRF check before any handler runs.
    router.addMiddleware {
        SecurityHeadersMiddleware(views: services.views, strictTransportSecurity: configuration.secureCookies)
        ClientAddressMiddleware(trustedProxies: configuration.trustedProxies, publicURLIsHTTPS: configuration.secureCookies, logger: logger)
        FileMiddleware(configuration.publicDirectory, searchForIndexHtml: false, logger: quietLogger(logger))
        SessionMiddleware(
            database: database,
            clock: services.clock,
            idle: configuration.sessionIdleTimeout,
            name: configuration.sessionCookieName
        )
        CSRFMiddleware(maxFormBytes: configuration.maxFormBytes)
    }

    router.get(SiteRoute.health.pattern) { _, _ -> Response in
        let healthy = await database.isReachable()
        // The engine's heartbeat is reported, not judged: with `serve --no-engine` it runs in another process.
        let engine: String
        if healthy, let beat = try? await database.engineStatus().lastHeartbeat {
            engine = "engine: last heartbeat \(max(0, Int(database.clock.now.timeIntervalSince(beat)))) s ago\n"
        } else {
            engine = "engine: no heartbeat\n"
        }
        return Response(
            status: healthy ? .ok : .serviceUnavailable,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: healthy ? "ok\n" + engine : "database unreachable\n"))
        )
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
        .add(middleware: TenantMiddleware())
        .group(context: TenantContext.self)
    tenant.get(.root, use: HomeController(services: services).tenantRoot)

    let empty = EmptyAreaController(services: services)
    let admin = tenant.group().add(middleware: AdminOnlyMiddleware())
    MembersController(services: services).addRoutes(to: admin)
    ConnectionsController(services: services).addRoutes(to: admin)
    ActivityController(services: services).addRoutes(to: admin)
    SystemController(services: services).addRoutes(to: admin)
    ForgetPersonController(services: services).addRoutes(to: admin)

    let data = tenant.group()
    ProfilesController(services: services).addRoutes(to: data)
    ProfileController(services: services).addRoutes(to: data)
    SegmentsController(services: services).addRoutes(to: data)
    ExportsController(services: services).addRoutes(to: data)
    ExportEditorController(services: services).addRoutes(to: data)
    ExportRunsController(services: services).addRoutes(to: data)
    empty.addDataRoutes(to: data)
    if let demo = configuration.demo { DemoController(services: services, demo: demo).addRoutes(to: data) }
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

import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Secrets
import ServiceLifecycle
import Store
import Web

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web app.",
        discussion: "On the very first start it creates a workspace and its administrator, and prints their one-time password once."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var engine: EngineOptions

    @Flag(help: "Serve the web app only; run the export engine elsewhere with `outbound engine`.")
    var noEngine = false

    @Option(help: "Address to listen on (env OUTBOUND_HOST).")
    var host: String = Environment.value("OUTBOUND_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (env OUTBOUND_PORT).")
    var port: Int = Environment.value("OUTBOUND_PORT").flatMap(Int.init) ?? 8080

    @Option(
        name: .customLong("public-url"),
        help: "The URL people use, e.g. https://outbound.example.com; https makes cookies Secure (env OUTBOUND_PUBLIC_URL)."
    )
    var publicUrlOption: String?

    @Option(help: "A proxy address whose X-Forwarded-For is believed; repeatable (env OUTBOUND_TRUSTED_PROXY, comma-separated).")
    var trustedProxy: [String] = Environment.list("OUTBOUND_TRUSTED_PROXY")

    @Option(
        name: .customLong("allow-destination-host"),
        help:
            "HOST[:PORT] an API key may be sent to although it is not an ActiveCampaign API host: over https, or plain http for a loopback address (the sandbox on 127.0.0.1) or an explicit http://HOST[:PORT]; repeatable (env OUTBOUND_ALLOW_DESTINATION_HOST, comma-separated)."
    )
    var allowDestinationHost: [String] = Environment.list("OUTBOUND_ALLOW_DESTINATION_HOST")

    @Option(help: "The Templates folder (env OUTBOUND_TEMPLATES_DIR); found automatically when omitted.")
    var templatesDir: String?

    @Option(help: "The Public folder of static files (env OUTBOUND_PUBLIC_DIR); found automatically when omitted.")
    var publicDir: String?

    @Option(help: "Minutes without a request after which a session ends (env OUTBOUND_SESSION_IDLE_MINUTES).")
    var sessionIdleMinutes: Int = Environment.value("OUTBOUND_SESSION_IDLE_MINUTES").flatMap(Int.init) ?? 30

    @Option(help: "Hours after sign-in after which a session ends (env OUTBOUND_SESSION_MAX_HOURS).")
    var sessionMaxHours: Int = Environment.value("OUTBOUND_SESSION_MAX_HOURS").flatMap(Int.init) ?? 12

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env OUTBOUND_LOG_LEVEL).")
    var logLevel: String = Environment.value("OUTBOUND_LOG_LEVEL") ?? "info"

    @Option(help: "Log format: text, or json (one object a line, for log collectors) (env OUTBOUND_LOG_FORMAT).")
    var logFormat: LogFormat = Environment.value("OUTBOUND_LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .text

    // Optional options cannot carry a default, so their environment variables are read here.
    var publicUrl: String? { publicUrlOption ?? Environment.value("OUTBOUND_PUBLIC_URL") }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 (any free port) and 65535.") }
        guard sessionIdleMinutes >= 1, sessionMaxHours >= 1 else {
            throw ValidationError("--session-idle-minutes and --session-max-hours must be at least 1.")
        }
        if let publicUrl {
            guard let url = URL(string: publicUrl), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw ValidationError("--public-url must be an http or https URL, like https://outbound.example.com.")
            }
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a log level.") }
    }

    func run() async throws {
        logFormat.bootstrap()
        var logger = Logger(label: "outbound")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let (database, vault) = try data.openDatabaseAndVault()
        let reloadOnHangUp = KeyRingReloader(vault: vault, logger: logger)
        var configuration = AppConfiguration(
            host: host,
            port: port,
            publicURL: publicUrl.flatMap(URL.init(string:)),
            trustedProxies: Set(trustedProxy),
            templatesDirectory: try ResourceLocator.locate(
                "Templates",
                explicit: templatesDir ?? Environment.value("OUTBOUND_TEMPLATES_DIR")
            ),
            publicDirectory: try ResourceLocator.locate("Public", explicit: publicDir ?? Environment.value("OUTBOUND_PUBLIC_DIR")),
            sessionIdleTimeout: TimeInterval(sessionIdleMinutes * 60),
            sessionAbsoluteTimeout: TimeInterval(sessionMaxHours * 3600),
            allowedDestinationHosts: allowDestinationHost
        )
        configuration.uploadsDirectory = (data.dataDir as NSString).appendingPathComponent("uploads")
        configuration.destinationRequestsPerSecond = engine.requestsPerSecond
        let passwords = PasswordService(parameters: configuration.passwordParameters, threads: 1, queueLimit: 1)
        let announcer = StartAnnouncer(database: database, passwords: passwords, host: host, dataDir: data.dataDir, logger: logger)
        let app: any ApplicationProtocol
        do {
            var engineLogger = logger
            engineLogger[metadataKey: "component"] = "engine"
            let services: [any Service] =
                noEngine
                ? []
                : [
                    engine.makeEngine(database: database, vault: vault, allowedHosts: allowDestinationHost, logger: engineLogger)
                ]
            app = try await buildApplication(
                configuration: configuration,
                database: database,
                vault: vault,
                logger: logger,
                backgroundServices: services,
                onListening: announcer.serverIsListening
            )
        } catch let error as Views.LoadError {
            throw CLIError(error.description)
        } catch let error as StartupError {
            throw CLIError(error.description)
        }
        try await app.runService()
        withExtendedLifetime(reloadOnHangUp) {}
    }
}

/// What `serve` prints once the port is bound: where to sign in, and on the very first start the administrator's
/// one-time password. Only after the bind, so a busy port never spends the one chance to show that password.
struct StartAnnouncer: Sendable {
    let database: AppDatabase
    let passwords: PasswordService
    let host: String
    let dataDir: String
    let logger: Logger

    @Sendable func serverIsListening(port: Int) async {
        let signIn = "http://\(host):\(port)\(SiteRoute.login.path)"
        do {
            if let first = try await FirstStart.bootstrapIfEmpty(database: database, passwords: passwords) {
                print(
                    """
                    First start: created the workspace "\(first.tenantSlug)" and its administrator.
                      Sign in at \(signIn)
                      Email:              \(first.email)
                      One-time password:  \(first.oneTimePassword)
                    This password is shown only now; you choose your own at first sign-in.
                    """
                )
            } else if let email = try await FirstStart.adminAwaitingFirstSignIn(database: database) {
                print(
                    """
                    Outbound is listening at \(signIn)
                    The administrator \(email) has not signed in yet. Without the one-time password shown at the first
                    start, get a new one with: outbound user reset-password --email \(email) --data-dir \(dataDir)
                    """
                )
            } else {
                print("Outbound is listening at \(signIn)")
            }
        } catch {
            logger.error("Could not prepare the first administrator: \(error)")
        }
        fflush(nil)  // all streams: the credentials must reach a redirected log at once
    }
}

/// SIGHUP reloads the key ring, as after `outbound keys rotate` (the vault also reloads by itself when it meets a
/// key it has not loaded, or when the file changed before a seal).
final class KeyRingReloader {
    private let source: any DispatchSourceSignal

    init(vault: Vault, logger: Logger) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            do {
                try vault.reload()
                logger.notice("Reloaded the key ring after SIGHUP")
            } catch {
                logger.error("Could not reload the key ring after SIGHUP: \(error)")
            }
        }
        source.resume()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database, then exit.")
    @OptionGroup var data: DataOptions

    func run() async throws {
        let database = try data.openDatabase()
        print("Database \(data.databasePath) is up to date: \(try database.appliedMigrations().count) migrations applied.")
    }
}

import ActiveCampaignSandbox
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Secrets
import ServiceLifecycle
import Store
import Web

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Try Outbound: a demo workspace, its people and data, and ActiveCampaign's sandbox, all in this process.",
        discussion: """
            The first start creates a workspace with an administrator, a contributor and a viewer (their passwords are \
            printed at every start), 100,000 generated profiles, three segments, a connection to the sandbox, two \
            exports and a daily system refresh. Everything, the sandbox's contacts included, is kept in the data \
            folder, so a restart finds what you did; remove the folder to start over.
            """
    )

    @Option(help: "The demo's own data folder (env OUTBOUND_DEMO_DATA_DIR).")
    var dataDir: String = Environment.value("OUTBOUND_DEMO_DATA_DIR") ?? "./outbound-demo-data"

    @Option(help: "Address to listen on (env OUTBOUND_HOST).")
    var host: String = Environment.value("OUTBOUND_HOST") ?? "127.0.0.1"

    @Option(help: "Port of the web app (env OUTBOUND_PORT).")
    var port: Int = Environment.value("OUTBOUND_PORT").flatMap(Int.init) ?? 8080

    @Option(
        help:
            "Loopback port of the ActiveCampaign sandbox; keep it across restarts, the demo's connection names it (env OUTBOUND_SANDBOX_PORT)."
    )
    var sandboxPort: Int = Environment.value("OUTBOUND_SANDBOX_PORT").flatMap(Int.init) ?? 8089

    @Option(help: "Profiles generated at the first start.")
    var profiles: Int = 100_000

    @Option(help: "The Templates folder (env OUTBOUND_TEMPLATES_DIR); found automatically when omitted.")
    var templatesDir: String?

    @Option(help: "The Public folder of static files (env OUTBOUND_PUBLIC_DIR); found automatically when omitted.")
    var publicDir: String?

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard (1...65535).contains(port), (1...65535).contains(sandboxPort), port != sandboxPort else {
            throw ValidationError("--port and --sandbox-port must be two different ports between 1 and 65535.")
        }
        guard (1...1_000_000).contains(profiles) else { throw ValidationError("--profiles must be between 1 and 1,000,000.") }
    }

    func run() async throws {
        var logger = Logger(label: "outbound")
        logger.logLevel = .notice
        let data = try DataOptions.parse(["--data-dir", dataDir])
        let (database, vault) = try data.openDatabaseAndVault()
        let folder = DemoFolder(path: dataDir)
        let sandbox = try await folder.openSandbox(database: database)
        let sandboxHost = "127.0.0.1:\(sandboxPort)"
        let accounts = try await folder.accounts(database: database) {
            print("First start: creating the demo workspace in \(dataDir) …")
            fflush(nil)
            return try await DemoSeed(
                database: database,
                vault: vault,
                sandboxHost: sandboxHost,
                sandboxKey: await sandbox.apiKeys[0],
                profileCount: profiles,
                workFolder: dataDir
            ).run { print("  " + $0) }
        }

        var configuration = AppConfiguration(
            host: host,
            port: port,
            templatesDirectory: try ResourceLocator.locate(
                "Templates",
                explicit: templatesDir ?? Environment.value("OUTBOUND_TEMPLATES_DIR")
            ),
            publicDirectory: try ResourceLocator.locate("Public", explicit: publicDir ?? Environment.value("OUTBOUND_PUBLIC_DIR")),
            allowedDestinationHosts: [sandboxHost]
        )
        configuration.uploadsDirectory = (dataDir as NSString).appendingPathComponent("uploads")
        configuration.destinationRequestsPerSecond = engine.requestsPerSecond
        configuration.demo = DemoMode { await DemoReceived(sandbox: sandbox, address: "http://\(sandboxHost)") }

        var sandboxLogger = Logger(label: "activecampaign-sandbox")
        sandboxLogger.logLevel = .warning
        var engineLogger = logger
        engineLogger[metadataKey: "component"] = "engine"
        // Shutdown runs in reverse: the engine stops first, then the sandbox, and the saver writes last.
        let services: [any Service] = [
            SandboxStateSaver(sandbox: sandbox, path: folder.sandboxStatePath, logger: sandboxLogger),
            SandboxServer.buildApplication(sandbox: sandbox, host: "127.0.0.1", port: sandboxPort, logger: sandboxLogger),
            engine.makeEngine(database: database, vault: vault, allowedHosts: [sandboxHost], logger: engineLogger),
        ]
        let app: any ApplicationProtocol
        do {
            app = try await buildApplication(
                configuration: configuration,
                database: database,
                vault: vault,
                logger: logger,
                backgroundServices: services
            )
        } catch let error as Views.LoadError {
            throw CLIError(error.description)
        } catch let error as StartupError {
            throw CLIError(error.description)
        }
        print(
            """
            Outbound demo: sign in at http://\(host):\(port)\(SiteRoute.login.path)
            \(accounts.map { "  \($0.role.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.email)   password: \($0.password)" }.joined(separator: "\n"))
            Workspace "Demo Shop" at /t/\(DemoSeed.slug); "ActiveCampaign" is the sandbox at http://\(sandboxHost) (see Data > ActiveCampaign (demo)).
            Everything is kept in \(dataDir): stop with Ctrl-C and start again to continue; remove the folder to start over.
            """
        )
        fflush(nil)
        try await app.runService()
    }
}

/// The demo's files beside the database: the sandbox's state and the people's passwords (owner-only; written last
/// at the first start, so it also says the first start finished).
struct DemoFolder {
    let path: String
    var sandboxStatePath: String { (path as NSString).appendingPathComponent("activecampaign-sandbox.json") }
    var accountsPath: String { (path as NSString).appendingPathComponent("demo-accounts.json") }

    /// The sandbox as it was left, or a new one (with its account key) for a data folder with nothing in it yet.
    func openSandbox(database: AppDatabase) async throws -> Sandbox {
        if FileManager.default.fileExists(atPath: sandboxStatePath) {
            do {
                return await Sandbox.restoring(try SandboxState.read(from: sandboxStatePath))
            } catch {
                throw CLIError("Cannot read the sandbox's state \(sandboxStatePath): \(error.localizedDescription)")
            }
        }
        guard try await database.tenantCount() == 0 else {
            throw CLIError(
                "\(path) holds an Outbound database that is not a demo's. Give `outbound demo` a folder of its own (--data-dir)."
            )
        }
        var configuration = SandboxConfiguration()
        configuration.accounts = [.init(apiKey: SecureRandom.token(byteCount: 24), name: "demo")]
        configuration.lists = [
            .init(id: 1, name: "Master Contact List"), .init(id: 2, name: "Newsletter"), .init(id: 3, name: "VIP customers"),
        ]
        let sandbox = Sandbox(configuration: configuration)
        try await sandbox.state().write(to: sandboxStatePath)
        return sandbox
    }

    /// The demo's people: read from the folder, or created by `seed` at the first start.
    func accounts(database: AppDatabase, seed: () async throws -> [DemoAccount]) async throws -> [DemoAccount] {
        if let saved = FileManager.default.contents(atPath: accountsPath) {
            return try JSONDecoder().decode([DemoAccount].self, from: saved)
        }
        guard try await database.tenant(slug: DemoSeed.slug) == nil else {
            throw CLIError("The demo's first start in \(path) did not finish. Remove that folder and run `outbound demo` again.")
        }
        let accounts = try await seed()
        guard
            FileManager.default.createFile(
                atPath: accountsPath,
                contents: try JSONEncoder().encode(accounts),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw CLIError("Cannot write \(accountsPath).") }
        return accounts
    }
}

extension DemoReceived {
    /// What the sandbox's account holds now, for the demo page.
    init(sandbox: Sandbox, address: String) async {
        guard let overview = await sandbox.overview() else {
            self.init(address: address, contacts: 0, lists: [], imports: [])
            return
        }
        self.init(
            address: address,
            contacts: overview.contacts,
            lists: overview.lists.map { list in
                .init(
                    id: list.id,
                    name: list.name,
                    active: list.active,
                    unsubscribed: list.unsubscribed,
                    recent: list.recent.map {
                        .init(
                            email: $0.email,
                            name: [$0.firstName, $0.lastName].filter { !$0.isEmpty }.joined(separator: " "),
                            phone: $0.phone,
                            status: $0.status,
                            updated: $0.updated
                        )
                    }
                )
            },
            imports: overview.imports.map {
                .init(queuedAt: $0.queuedAt, status: $0.status, contacts: $0.contacts, succeeded: $0.succeeded, failed: $0.failed)
            }
        )
    }
}

import ActiveCampaign
import ArgumentParser
import ExportEngine
import Foundation
import Logging
import OutboundCore
import Secrets
import ServiceLifecycle
import Store

/// The engine's settings, shared by `serve`, `engine` and `exports run --wait`.
struct EngineOptions: ParsableArguments {
    @Option(help: "Distinct profiles an export may hold (env OUTBOUND_EXPORT_LIMIT).")
    var exportLimit: Int = Environment.value("OUTBOUND_EXPORT_LIMIT").flatMap(Int.init) ?? 1_000_000

    @Option(help: "Requests per second to one ActiveCampaign account, at most 5 (env OUTBOUND_REQUESTS_PER_SECOND).")
    var requestsPerSecond: Double = Environment.value("OUTBOUND_REQUESTS_PER_SECOND").flatMap(Double.init) ?? 4

    @Option(
        help:
            "Speeds pacing up for --allow-destination-host hosts only (a time-scaled sandbox); never for ActiveCampaign (env OUTBOUND_PACE_SCALE)."
    )
    var paceScale: Double = Environment.value("OUTBOUND_PACE_SCALE").flatMap(Double.init) ?? 1

    @Option(help: "Runs one engine process works on at once (env OUTBOUND_ENGINE_RUNS).")
    var engineRuns: Int = Environment.value("OUTBOUND_ENGINE_RUNS").flatMap(Int.init) ?? 8

    @Option(help: "Seconds a run's lease lasts before another engine may take it up (env OUTBOUND_LEASE_SECONDS).")
    var leaseSeconds: Double = Environment.value("OUTBOUND_LEASE_SECONDS").flatMap(Double.init) ?? 60

    func validate() throws {
        guard leaseSeconds >= 1, leaseSeconds <= 3_600 else { throw ValidationError("--lease-seconds must be between 1 and 3600.") }
        guard exportLimit >= 1 else { throw ValidationError("--export-limit must be at least 1.") }
        guard requestsPerSecond > 0, requestsPerSecond <= 5 else {
            throw ValidationError("--requests-per-second must be more than 0 and at most 5 (ActiveCampaign's limit per account).")
        }
        guard paceScale >= 1, paceScale <= 1_000 else { throw ValidationError("--pace-scale must be between 1 and 1000.") }
        guard (1...64).contains(engineRuns) else { throw ValidationError("--engine-runs must be between 1 and 64.") }
    }

    var configuration: EngineConfiguration {
        var configuration = EngineConfiguration()
        configuration.exportLimit = exportLimit
        configuration.requestsPerSecond = requestsPerSecond
        configuration.paceScale = paceScale
        configuration.maxConcurrentRuns = engineRuns
        configuration.leaseDuration = leaseSeconds
        return configuration
    }

    func makeEngine(database: AppDatabase, vault: Vault, allowedHosts: [String], logger: Logger) -> ExportEngine {
        ExportEngine(
            database: database,
            vault: vault,
            gateway: ActiveCampaignGateway(policy: HostPolicy(allowedHosts: allowedHosts), logger: logger),
            clock: AppClock(),
            configuration: configuration,
            logger: logger
        )
    }
}

struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Run the export engine alone (with `outbound serve --no-engine` elsewhere).",
        discussion:
            "Stops cleanly on SIGTERM or Ctrl-C: no new runs are taken, requests in flight finish and are recorded, runs are given back."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var engine: EngineOptions

    @Option(
        name: .customLong("allow-destination-host"),
        help:
            "HOST[:PORT] an API key may be sent to although it is not an ActiveCampaign API host (see `outbound serve --help`); repeatable (env OUTBOUND_ALLOW_DESTINATION_HOST)."
    )
    var allowDestinationHost: [String] = Environment.list("OUTBOUND_ALLOW_DESTINATION_HOST")

    @Option(help: "Log level (env OUTBOUND_LOG_LEVEL).")
    var logLevel: String = Environment.value("OUTBOUND_LOG_LEVEL") ?? "info"

    @Option(help: "Log format: text, or json (one object a line, for log collectors) (env OUTBOUND_LOG_FORMAT).")
    var logFormat: LogFormat = Environment.value("OUTBOUND_LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .text

    func run() async throws {
        logFormat.bootstrap()
        var logger = Logger(label: "outbound.engine")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let (database, vault) = try data.openDatabaseAndVault()
        let engine = self.engine.makeEngine(database: database, vault: vault, allowedHosts: allowDestinationHost, logger: logger)
        print("Export engine \(engine.nodeId) working on \(data.databasePath)")
        fflush(nil)
        let group = ServiceGroup(configuration: .init(services: [engine], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The engine's heartbeat, the queue and runs by state."
    )
    @OptionGroup var data: DataOptions

    func run() async throws {
        let database = try data.openDatabase()
        let status = try await database.engineStatus()
        let now = Date()
        if let beat = status.lastHeartbeat {
            let age = Int(now.timeIntervalSince(beat))
            print("Engine: \(status.runningNodes) process(es); last heartbeat \(age) s ago\(age > 30 ? " (not running?)" : "")")
        } else {
            print("Engine: no engine has run on this database (start `outbound serve` or `outbound engine`).")
        }
        print(
            "Queue: \(status.queueDepth) queued"
                + (status.oldestQueuedAt.map { ", oldest waiting \(Int(now.timeIntervalSince($0))) s" } ?? "")
        )
        for state in RunState.allCases {
            print("  \(state.label): \(status.runsByState[state] ?? 0)")
        }
    }
}

import ActiveCampaignSandbox
import ArgumentParser
import Foundation
import Hummingbird
import Logging

@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activecampaign-sandbox",
        abstract: "A local stand-in for ActiveCampaign's API v3, for tests, benchmarks and demos.",
        discussion: """
            Serves the endpoints Outbound uses under /api/3 with ActiveCampaign's auth, rate limits, importer \
            limits, asynchronous bulk imports and error shapes (see shared/reference/activecampaign-api.md), plus \
            fault injection and an inspection API under /__sandbox/:
              GET  /__sandbox/lists/{id}/contacts   contacts of a list with their status (1 active, 2 unsubscribed)
              GET  /__sandbox/requests              request counts by endpoint
              GET  /__sandbox/automations           contacts imported without exclude_automations, per list
              GET  /__sandbox/batches               import batches still pending
              POST /__sandbox/reset                 forget contacts, batches and counts
              POST /__sandbox/faults                replace the fault settings (JSON, the --config "faults" object)
              GET  /__sandbox/received              contacts and imports the importer queued, resends included
              DELETE /__sandbox/lists/{id}          delete a list (its id answers 404 from then on)
              POST /__sandbox/revoke                reset the key: every call with it answers 403
            Inspection calls pick the account by their Api-Token header or ?key=, else the first account.
            With no --api-key and no --config, one account is made and its key printed.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one (printed at start).") var port = 8089
    @Option(name: .customLong("api-key"), help: "An account's API key; repeatable, each key its own account.")
    var apiKeys: [String] = []
    @Option(name: .customLong("non-admin-key"), help: "An account key whose user is not an admin (403 on settings/account); repeatable.")
    var nonAdminKeys: [String] = []
    @Option(name: .customLong("no-lists-key"), help: "An account key whose user may not view lists (permission 403); repeatable.")
    var noListsKeys: [String] = []
    @Option(name: .customLong("list"), help: "A list on every account, as ID:NAME; repeatable (default 1:Master Contact List).")
    var lists: [String] = []
    @Option(name: .customLong("field"), help: "A custom field on every account, as ID:TITLE; repeatable.")
    var fields: [String] = []
    @Option(help: "A JSON file with the whole configuration (accounts, lists, limits, faults); flags given too override it.")
    var config: String?
    @Option(help: "Divide every rate-limit window, latency and processing delay by N.") var timeScale: Double?
    @Flag(help: "Accept, validate and count imported contacts without keeping them.") var discard = false
    @Option(help: "The plan's contact limit; contacts past it fail in import/info.") var contactLimit: Int?
    @Option(help: "Requests per second per account (ActiveCampaign: 5).") var requestsPerSecond: Int?
    @Option(help: "Status of the importer's rate-limit rejection: 400 (documented) or 429.") var importerLimitStatus: Int?
    @Option(help: "Status of contact/sync for an existing contact: 200 or 201.") var syncUpdateStatus: Int?
    @Option(help: "Key of the bulk-import success flag: success or Success.") var successKey: String?
    @Option(help: "Base of failureReasons[].contact: 0 or 1.") var failureIndexBase: Int?
    @Option(help: "Seconds before a queued import starts.") var importLatency: Double?
    @Option(help: "Seconds during which import/info answers status false.") var importInfoDelay: Double?
    @Option(help: "Contacts an account's import queue processes per second.") var importRate: Double?
    @Option(help: "Share (0-1) of requests answered 500/503/504 with an HTML body.") var failRate: Double?
    @Option(help: "Statuses for --fail-rate, comma-separated.") var failStatuses: String?
    @Option(help: "Share (0-1) of requests answered 402 with an empty body.") var paymentRequiredRate: Double?
    @Option(name: .customLong("burst-429"), help: "The first N requests of each account answer 429.") var burst429: Int?
    @Option(help: "Milliseconds added to every response.") var latencyMs: Int?
    @Option(help: "Share (0-1) of import batches that end failed or interrupted.") var batchFailureRate: Double?
    @Option(help: "How such batches end: failed or interrupted.") var batchFailureStatus: String?
    @Option(help: "Seed of the fault injection.") var seed: UInt64?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        if let timeScale, timeScale <= 0 { throw ValidationError("--time-scale must be greater than 0.") }
        for rate in [failRate, paymentRequiredRate, batchFailureRate].compactMap({ $0 }) where !(0...1).contains(rate) {
            throw ValidationError("Rates are shares between 0 and 1.")
        }
        if let status = importerLimitStatus, ![400, 429].contains(status) {
            throw ValidationError("--importer-limit-status is 400 or 429.")
        }
        if let status = syncUpdateStatus, ![200, 201].contains(status) { throw ValidationError("--sync-update-status is 200 or 201.") }
        if let key = successKey, !["success", "Success"].contains(key) { throw ValidationError("--success-key is success or Success.") }
        if let base = failureIndexBase, ![0, 1].contains(base) { throw ValidationError("--failure-index-base is 0 or 1.") }
        if let status = batchFailureStatus, !["failed", "interrupted"].contains(status) {
            throw ValidationError("--batch-failure-status is failed or interrupted.")
        }
        _ = try parsedLists()
        _ = try parsedFields()
    }

    func parsedLists() throws -> [SandboxConfiguration.ListSpec] {
        try Self.idPairs(lists, option: "--list", example: "3:Newsletter").map { .init(id: $0.id, name: $0.text) }
    }

    func parsedFields() throws -> [SandboxConfiguration.FieldSpec] {
        try Self.idPairs(fields, option: "--field", example: "2:Country").map { .init(id: $0.id, title: $0.text) }
    }

    /// Reads `ID:TEXT` option values, refusing anything else with an example.
    static func idPairs(_ values: [String], option: String, example: String) throws -> [(id: Int, text: String)] {
        try values.map { value in
            let parts = value.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let id = Int(parts[0]), id > 0, !parts[1].isEmpty else {
                throw ValidationError("\(option) \(value): expected ID:TEXT, like \(example).")
            }
            return (id, String(parts[1]))
        }
    }

    func makeConfiguration() throws -> SandboxConfiguration {
        var configuration = SandboxConfiguration()
        if let config {
            do {
                configuration = try JSONDecoder().decode(SandboxConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: config)))
            } catch {
                throw ValidationError("--config \(config) could not be read as a sandbox configuration: \(error)")
            }
        }
        let keys = apiKeys + nonAdminKeys + noListsKeys
        if !keys.isEmpty {
            configuration.accounts = keys.enumerated().map { index, key in
                .init(
                    apiKey: key,
                    name: "account\(index + 1)",
                    admin: !nonAdminKeys.contains(key),
                    canViewLists: !noListsKeys.contains(key)
                )
            }
        }
        if !lists.isEmpty { configuration.lists = try parsedLists() }
        if !fields.isEmpty { configuration.fields = try parsedFields() }
        if let timeScale { configuration.timeScale = timeScale }
        if discard { configuration.discard = true }
        if let contactLimit { configuration.contactLimit = contactLimit }
        if let requestsPerSecond { configuration.requestsPerSecond = requestsPerSecond }
        if let importerLimitStatus { configuration.importerLimitStatus = importerLimitStatus }
        if let syncUpdateStatus { configuration.syncUpdateStatus = syncUpdateStatus }
        if let successKey { configuration.successKey = successKey }
        if let failureIndexBase { configuration.failureIndexBase = failureIndexBase }
        if let importLatency { configuration.importLatency = importLatency }
        if let importInfoDelay { configuration.importInfoDelay = importInfoDelay }
        if let importRate { configuration.importContactsPerSecond = importRate }
        if let failRate { configuration.faults.serverErrorRate = failRate }
        if let failStatuses { configuration.faults.serverErrorStatuses = failStatuses.split(separator: ",").compactMap { Int($0) } }
        if let paymentRequiredRate { configuration.faults.paymentRequiredRate = paymentRequiredRate }
        if let burst429 { configuration.faults.burst429 = burst429 }
        if let latencyMs { configuration.faults.addedLatencyMs = latencyMs }
        if let batchFailureRate { configuration.faults.batchFailureRate = batchFailureRate }
        if let batchFailureStatus { configuration.faults.batchFailureStatus = batchFailureStatus }
        if let seed { configuration.faults.seed = seed }
        return configuration
    }

    func run() async throws {
        let generated = apiKeys.isEmpty && nonAdminKeys.isEmpty && noListsKeys.isEmpty && config == nil
        let sandbox = Sandbox(configuration: try makeConfiguration())
        let keys = await sandbox.apiKeys
        var logger = Logger(label: "activecampaign-sandbox")
        logger.logLevel = .warning
        let app = SandboxServer.buildApplication(
            sandbox: sandbox,
            host: host,
            port: port,
            logger: logger,
            onListening: { port in
                print("ActiveCampaign sandbox listening on http://\(host):\(port)")
                if generated { print("API key: \(keys[0])") }
                fflush(nil)
            }
        )
        try await app.runService()
    }
}

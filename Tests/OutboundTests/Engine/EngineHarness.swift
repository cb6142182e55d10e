import ActiveCampaign
import ActiveCampaignSandbox
import AsyncHTTPClient
import ExportEngine
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import OutboundCore
import Secrets
import Synchronization
import Testing

@testable import Store

/// One profile as a test writes it.
struct TestProfile: Sendable {
    var id: String
    var email: String?
    var firstName: String? = nil
    var lastName: String? = nil
    var phone: String? = nil
    var country: String = "DE"
}

/// An in-memory store with a workspace (acme, and globex for isolation), its profiles, a segment, a connection to
/// an in-process sandbox on a free port, and an engine — all on one manual clock, so pacing, polling and
/// ActiveCampaign's processing take no wall-clock time and do not depend on the machine's speed.
final class EngineWorld: Sendable {
    let database: AppDatabase
    let clock: AppClock
    let vault: Vault
    let sandbox: Sandbox
    let port: Int
    let http: HTTPClient
    let tenantId: Int64
    let otherTenantId: Int64
    let adminId: Int64
    let connectionId: Int64
    let attributes: [String: Int64]
    let everyoneSegment: Int64
    let observer: ObserverBox

    init(
        database: AppDatabase,
        clock: AppClock,
        vault: Vault,
        sandbox: Sandbox,
        port: Int,
        http: HTTPClient,
        tenantId: Int64,
        otherTenantId: Int64,
        adminId: Int64,
        connectionId: Int64,
        attributes: [String: Int64],
        everyoneSegment: Int64,
        observer: ObserverBox
    ) {
        self.database = database
        self.clock = clock
        self.vault = vault
        self.sandbox = sandbox
        self.port = port
        self.http = http
        self.tenantId = tenantId
        self.otherTenantId = otherTenantId
        self.adminId = adminId
        self.connectionId = connectionId
        self.attributes = attributes
        self.everyoneSegment = everyoneSegment
        self.observer = observer
    }

    static let apiKey = "test-key-admin"

    /// The sandbox's real limits and timings (5 requests/s, 100 imports a minute, asynchronous processing), on the
    /// world's manual clock.
    static var realisticSandbox: SandboxConfiguration {
        var configuration = SandboxConfiguration()
        configuration.accounts = [.init(apiKey: apiKey, name: "acme")]
        configuration.lists = [.init(id: 1, name: "Master Contact List"), .init(id: 2, name: "Newsletter")]
        return configuration
    }

    static func with<T: Sendable>(
        sandbox configuration: SandboxConfiguration = realisticSandbox,
        profiles: [TestProfile],
        databasePath: String? = nil,
        _ body: @Sendable (EngineWorld) async throws -> T
    ) async throws -> T {
        let clock = AppClock.manual()
        // A WAL file, as in production: the freeze reads from a snapshot of it while the run writes.
        let folder = databasePath == nil ? try temporaryDirectory() : nil
        defer { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
        let database = try AppDatabase.open(path: databasePath ?? folder! + "/outbound.sqlite", clock: clock)
        let vault = Vault(ring: .generate())
        let acme = try await database.createTenant(slug: "acme", name: "Acme Corp")
        let globex = try await database.createTenant(slug: "globex", name: "Globex")
        let added = try await database.addMember(
            tenantId: acme.id!,
            email: "alice@acme.test",
            role: .admin,
            newPasswordHash: "x",
            mustChangePassword: false,
            actor: .commandLine
        )
        guard case .newAccount(let alice) = added else { throw CancellationError() }
        let sandbox = Sandbox(configuration: configuration, now: { clock.now })
        let observer = ObserverBox()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical
        let app = SandboxServer.buildApplication(
            sandbox: sandbox,
            port: 0,
            logger: logger,
            onListening: { continuation.yield($0) },
            observer: { request, response in await observer.call(request, response) }
        )
        let http = ActiveCampaignClient.makeHTTPClient()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let connection = try await database.createConnection(
                    Connection(
                        tenantId: acme.id!,
                        name: "Sandbox",
                        usableBy: .contributors,
                        apiHost: "127.0.0.1:\(port)",
                        accountName: "acme",
                        exportUserId: alice.id!,
                        consentUserId: alice.id!,
                        consentAt: clock.now,
                        verifiedAt: clock.now,
                        now: clock.now
                    ),
                    apiKey: Redacted(apiKey),
                    vault: vault,
                    actor: .commandLine
                )
                let attributes = try database.ensureAttributes(
                    tenantId: acme.id!,
                    [
                        ("email", .text), ("first_name", .text), ("last_name", .text), ("phone", .text), ("country", .text),
                    ]
                )
                let ids = Dictionary(uniqueKeysWithValues: attributes.map { ($0.name, $0.id!) })
                let segment = try await database.saveSegment(
                    tenantId: acme.id!,
                    id: nil,
                    name: "Everyone in DE",
                    description: "",
                    rules: SegmentRules(
                        combinator: .all,
                        groups: [
                            RuleGroup(
                                combinator: .all,
                                conditions: [
                                    RuleCondition(attribute: "country", op: .equals, value: "DE")
                                ]
                            )
                        ]
                    ),
                    actor: .commandLine,
                    now: clock.now
                )
                let world = EngineWorld(
                    database: database,
                    clock: clock,
                    vault: vault,
                    sandbox: sandbox,
                    port: port,
                    http: http,
                    tenantId: acme.id!,
                    otherTenantId: globex.id!,
                    adminId: alice.id!,
                    connectionId: connection.id!,
                    attributes: ids,
                    everyoneSegment: segment.id!,
                    observer: observer
                )
                try await world.put(profiles)
                let result = try await body(world)
                group.cancelAll()
                try? await http.shutdown()
                return result
            } catch {
                group.cancelAll()
                try? await http.shutdown()
                throw error
            }
        }
    }

    // MARK: Data

    /// Creates or updates profiles (by id) and refreshes every segment of the workspace (unless told not to).
    func put(_ profiles: [TestProfile], tenantId: Int64? = nil, refreshSegments: Bool = true) async throws {
        let tenant = tenantId ?? self.tenantId
        let keys = tenant == self.tenantId ? attributes : try await otherAttributes(tenant)
        let job = try await database.startImport(tenantId: tenant, fileName: "test.csv", replaceAll: false, userId: nil, now: clock.now)
        let rows = profiles.map { profile -> (profileId: String, json: String) in
            var object: [String: String] = ["a\(keys["country"]!)": profile.country]
            if let email = profile.email { object["a\(keys["email"]!)"] = email }
            if let value = profile.firstName { object["a\(keys["first_name"]!)"] = value }
            if let value = profile.lastName { object["a\(keys["last_name"]!)"] = value }
            if let value = profile.phone { object["a\(keys["phone"]!)"] = value }
            let json = String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            return (profile.id, json)
        }
        try database.upsertProfiles(tenantId: tenant, importId: job.id!, rows: rows, now: clock.now)
        guard refreshSegments else { return }
        for summary in try await database.segmentSummaries(tenantId: tenant) {
            try database.refreshSegment(tenantId: tenant, id: summary.segment.id!, now: clock.now)
        }
    }

    /// A segment of the workspace holding the profiles that meet any of `conditions`, refreshed; returns its id.
    func refreshedSegment(_ name: String, anyOf conditions: [RuleCondition]) async throws -> Int64 {
        let rules = SegmentRules(combinator: .all, groups: [RuleGroup(combinator: .any, conditions: conditions)])
        return try await database.refreshedSegment(tenantId: tenantId, name: name, rules: rules, now: clock.now)
    }

    private func otherAttributes(_ tenant: Int64) async throws -> [String: Int64] {
        let attributes = try database.ensureAttributes(
            tenantId: tenant,
            [
                ("email", .text), ("first_name", .text), ("last_name", .text), ("phone", .text), ("country", .text),
            ]
        )
        return Dictionary(uniqueKeysWithValues: attributes.map { ($0.name, $0.id!) })
    }

    func createExport(
        name: String = "Newsletter",
        list: String = "1",
        segments: [Int64]? = nil,
        mirror: Bool = false,
        guardPercent: Int = 20,
        runAutomations: Bool = false
    ) async throws -> Export {
        try await database.createExport(
            tenantId: tenantId,
            settings: ExportSettings(
                name: name,
                connectionId: connectionId,
                listId: list,
                segmentIds: segments ?? [everyoneSegment],
                emailAttributeId: attributes["email"]!,
                firstNameAttributeId: attributes["first_name"]!,
                lastNameAttributeId: attributes["last_name"]!,
                phoneAttributeId: attributes["phone"]!,
                runAutomations: runAutomations,
                mirror: mirror,
                mirrorGuardPercent: guardPercent
            ),
            actor: .commandLine,
            now: clock.now
        )
    }

    // MARK: Engine

    func engine(_ configure: (inout EngineConfiguration) -> Void = { _ in }) -> ExportEngine {
        var configuration = EngineConfiguration()
        configuration.jitterSeed = 7
        configure(&configuration)
        var logger = Logger(label: "engine")
        logger.logLevel = .critical
        return ExportEngine(
            database: database,
            vault: vault,
            gateway: ActiveCampaignGateway(policy: HostPolicy(allowedHosts: ["127.0.0.1:\(port)"]), logger: logger),
            clock: clock,
            configuration: configuration,
            logger: logger
        )
    }

    /// Queues a run (on demand, by "test") without working it.
    func queue(_ export: Export) async throws -> EnqueueOutcome {
        try await database.enqueueRun(
            tenantId: tenantId,
            exportId: export.id!,
            request: RunRequest(trigger: .manual, userId: nil, by: "test"),
            actor: .commandLine,
            now: clock.now
        )
    }

    /// The contacts a run's open batches hold: what it has still to send.
    func contactsToSend(runId: Int64) async throws -> [BatchContact] {
        let work = RunWork(database: database)
        var contacts: [BatchContact] = []
        for batch in try await work.openBatches(runId: runId) {
            contacts += try await database.reader.read { db in try RunBatch.contacts(db, runId: runId, seq: batch.seq) }
        }
        return contacts
    }

    /// Cancels the last run of the workspace's first export, as the command line would.
    func cancelLastRun() async {
        guard let run = try? await database.exports(tenantId: tenantId).first?.lastRun else { return }
        _ = try? await database.cancelRun(tenantId: tenantId, runId: run.id!, actor: .commandLine, now: clock.now)
    }

    /// Queues a run and works the queue until nothing is runnable; returns the run as it ended.
    @discardableResult
    func run(_ export: Export, full: Bool = false, engine: ExportEngine? = nil) async throws -> ExportRun {
        let outcome = try await database.enqueueRun(
            tenantId: tenantId,
            exportId: export.id!,
            request: RunRequest(trigger: .commandLine, userId: nil, by: "test", fullResync: full),
            actor: .commandLine,
            now: clock.now
        )
        await (engine ?? self.engine()).runUntilIdle()
        return try #require(try await database.run(tenantId: tenantId, id: outcome.run.id!))
    }

    // MARK: What ActiveCampaign received

    func raw(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Api-Token", value: Self.apiKey)
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The list's contacts: email → status (1 active, 2 unsubscribed).
    func listStatuses(_ list: Int = 1) async throws -> [String: Int] {
        let contacts = try await raw(.GET, "/__sandbox/lists/\(list)/contacts")["contacts"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: contacts.map { ($0["email"] as! String, ($0["status"] as! NSNumber).intValue) })
    }

    func listContacts(_ list: Int = 1) async throws -> [[String: Any]] {
        try await raw(.GET, "/__sandbox/lists/\(list)/contacts")["contacts"] as? [[String: Any]] ?? []
    }

    func received() async throws -> (contacts: Int, imports: Int) {
        let json = try await raw(.GET, "/__sandbox/received")
        return ((json["contacts"] as! NSNumber).intValue, (json["imports"] as! NSNumber).intValue)
    }

    func requestCounts() async throws -> [String: Int] {
        let counts = try await raw(.GET, "/__sandbox/requests")["counts"] as? [String: Any] ?? [:]
        return counts.mapValues { ($0 as! NSNumber).intValue }
    }

    func faults(_ json: String) async throws { _ = try await raw(.POST, "/__sandbox/faults", body: json) }

    func client() -> ActiveCampaignClient {
        ActiveCampaignClient(
            endpoint: APIEndpoint(scheme: "http", host: "127.0.0.1", port: port),
            apiKey: Redacted(Self.apiKey),
            httpClient: http
        )
    }
}

/// Lets a test act from inside the sandbox's conversation (after an answer is computed, before it is sent).
final class ObserverBox: Sendable {
    typealias Observer = @Sendable (SandboxRequest, SandboxResponse) async -> Void
    private let observer = Mutex<Observer?>(nil)

    func set(_ observer: @escaping Observer) { self.observer.withLock { $0 = observer } }

    func call(_ request: SandboxRequest, _ response: SandboxResponse) async {
        let current = observer.withLock { $0 }
        await current?(request, response)
    }
}

/// Counts events seen by an observer.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
    var current: Int { value.withLock { $0 } }
}

/// `n` profiles in DE with valid, distinct emails and names.
func profiles(_ range: ClosedRange<Int>, country: String = "DE") -> [TestProfile] {
    range.map {
        TestProfile(
            id: "p\($0)",
            email: "person\($0)@example.com",
            firstName: "First\($0)",
            lastName: "Last\($0)",
            phone: "+49 30 \($0)",
            country: country
        )
    }
}

extension AppDatabase {
    /// Saves a segment and refreshes it; returns its id.
    func refreshedSegment(tenantId: Int64, name: String, rules: SegmentRules, now: Date) async throws -> Int64 {
        let segment = try await saveSegment(
            tenantId: tenantId,
            id: nil,
            name: name,
            description: "",
            rules: rules,
            actor: .commandLine,
            now: now
        )
        try refreshSegment(tenantId: tenantId, id: segment.id!, now: now)
        return segment.id!
    }
}

import ActiveCampaignSandbox
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Secrets
import Testing

@testable import ActiveCampaign

@Suite struct ActiveCampaignContractTests {
    @Test func usersMeAcceptsTheKeyAndRefusesAnUnknownOne() async throws {
        try await SandboxHarness.with { sandbox in
            let user = try await sandbox.client().me()
            #expect(user.id == "1")
            #expect(user.username == "acme")
            await #expect(throws: ActiveCampaignError.invalidCredentials) { try await sandbox.client(key: "wrong").me() }
            let raw = try await sandbox.raw(.GET, "/api/3/users/me", key: "wrong")
            #expect(raw.status == 403)
            #expect((raw.json as? [String: String]) == ["message": "Forbidden"])
        }
    }

    @Test func accountSettingsAreForAdminsOnly() async throws {
        try await SandboxHarness.with { sandbox in
            let settings = try await sandbox.client().accountSettings()
            #expect(settings.account == "acme")
            #expect(settings.subscriberTotal == 0)
            await #expect(throws: ActiveCampaignError.noPermission("Forbidden")) {
                try await sandbox.client(key: "test-key-member").accountSettings()
            }
        }
    }

    @Test func listsArePagedAndMissingOrForbiddenListsSaySo() async throws {
        var configuration = SandboxConfiguration.fast
        configuration.lists = (1...250).map { .init(id: $0, name: "List \($0)") }
        try await SandboxHarness.with(configuration) { sandbox in
            let client = sandbox.client()
            let lists = try await client.lists()
            #expect(lists.count == 250)
            #expect(lists.last == ACList(id: "250", name: "List 250"))
            #expect(try await client.list(id: "7") == ACList(id: "7", name: "List 7"))
            await #expect(throws: ActiveCampaignError.listNotFound("999")) { try await client.list(id: "999") }
            await #expect(throws: ActiveCampaignError.noPermission("Forbidden: You do not have permission to view lists.")) {
                try await sandbox.client(key: "test-key-nolists").lists()
            }
            let raw = try await sandbox.raw(.GET, "/api/3/lists?limit=500")
            let json = try #require(raw.json as? [String: Any])
            #expect((json["lists"] as? [Any])?.count == 100)  // limit is capped at 100
            #expect((json["meta"] as? [String: Any])?["total"] as? String == "250")  // totals are strings
            let missing = try await sandbox.raw(.GET, "/api/3/lists/999")
            #expect((missing.json as? [String: String]) == ["message": "No Result found for _List with id 999"])
        }
    }

    @Test func syncCreatesThenUpdatesAndRefusesAnInvalidEmail() async throws {
        try await SandboxHarness.with { sandbox in
            let client = sandbox.client()
            #expect(try await client.contact(email: "ana+news@example.com") == nil)
            let created = try await client.syncContact(email: "ana+news@example.com", firstName: "Ana", lastName: "Lovelace")
            #expect(created.firstName == "Ana")
            let updated = try await client.syncContact(email: "ANA+news@example.com", phone: "+44 20 7946 0000")
            #expect(updated.id == created.id)
            let found = try #require(try await client.contact(email: "Ana+News@Example.com"))
            #expect(found.phone == "+44 20 7946 0000")
            #expect(found.lastName == "Lovelace")
            await #expect(
                throws: ActiveCampaignError.payloadRejected([.init(index: nil, email: nil, reason: "Contact Email Address is not valid.")])
            ) {
                try await client.syncContact(email: "not-an-email")
            }
            let first = try await sandbox.raw(.POST, "/api/3/contact/sync", body: #"{"contact":{"email":"new@example.com"}}"#)
            let second = try await sandbox.raw(.POST, "/api/3/contact/sync", body: #"{"contact":{"email":"new@example.com"}}"#)
            #expect(first.status == 201)
            #expect(second.status == 200)
            let invalid = try await sandbox.raw(.POST, "/api/3/contact/sync", body: #"{"contact":{"email":"bad"}}"#)
            #expect(invalid.status == 422)
            let error = try #require(((invalid.json as? [String: Any])?["errors"] as? [[String: Any]])?.first)
            #expect(error["code"] as? String == "email_invalid")
            #expect(error["error"] as? String == "must_be_valid_email_address")
            #expect((error["source"] as? [String: String])?["pointer"] == "/data/attributes/email")
        }
    }

    @Test func bulkImportIsQueuedProcessedAndReadBack() async throws {
        try await SandboxHarness.with { sandbox in
            let client = sandbox.client()
            let contacts = (1...250).map {
                BulkContact(email: "person\($0)@example.com", firstName: "Person", lastName: "\($0)", subscribe: [1])
            }
            let ticket = try await client.bulkImport(contacts, excludeAutomations: true)
            #expect(ticket.queuedContacts == 250)
            #expect(try await client.importInfo(batchId: ticket.batchId).status == .notReady)  // status false at first
            let info = try await sandbox.waitForImport(client, ticket.batchId)
            #expect(info.status == .completed)
            #expect(info.success.count == 250)
            #expect(info.failure.isEmpty)
            let members = try await client.listMembers(listId: "1")
            #expect(members.count == 250)
            #expect(Set(members.map(\.email)).count == 250)
            #expect(members.first { $0.email == "person7@example.com" }?.lastName == "7")
            let memberships = try await client.contactLists(contactId: members[0].id)
            #expect(memberships == [ACListMembership(listId: "1", status: .active)])
            #expect(try await sandbox.inspect("automations")["triggered"] as? [String: Int] == [:])

            let raw = try await sandbox.raw(
                .POST,
                "/api/3/import/bulk_import",
                body: #"{"contacts":[{"email":"x@example.com"},{"email":"y@example.com"}]}"#
            )
            let json = try #require(raw.json as? [String: Any])
            #expect(json["success"] as? Int == 1)
            #expect(json["queued_contacts"] as? Int == 2)
            #expect(json["message"] as? String == "Contact import queued")
            #expect((json["batchId"] as? String)?.count == 36)
            let missing = try await sandbox.raw(.GET, "/api/3/import/info")
            #expect(missing.status == 400)
            #expect((missing.json as? [String: Any])?["message"] as? String == "'batchId' is a required field.")
        }
    }

    @Test func theImporterNeverResubscribesButContactListsStatusOneDoes() async throws {
        try await SandboxHarness.with { sandbox in
            let client = sandbox.client()
            let contact = try await client.syncContact(email: "gone@example.com")
            try await client.setListStatus(contactId: contact.id, listId: "1", subscribed: true)
            try await client.setListStatus(contactId: contact.id, listId: "1", subscribed: false)
            let ticket = try await client.bulkImport(
                [
                    BulkContact(email: "gone@example.com", subscribe: [1]),
                    BulkContact(email: "new@example.com", subscribe: [1]),
                ],
                excludeAutomations: false
            )
            _ = try await sandbox.waitForImport(client, ticket.batchId)
            #expect(try await sandbox.listStatuses(1) == ["gone@example.com": 2, "new@example.com": 1])
            #expect(try await client.contactLists(contactId: contact.id) == [ACListMembership(listId: "1", status: .unsubscribed)])
            // Automations ran for both contacts the import named, because it did not exclude them.
            #expect(try await sandbox.inspect("automations")["triggered"] as? [String: Int] == ["1": 2])

            try await client.setListStatus(contactId: contact.id, listId: "1", subscribed: true)
            #expect(try await sandbox.listStatuses(1)["gone@example.com"] == 1)
        }
    }

    @Test func invalidBatchesAreRejectedWholeWithTheirReasons() async throws {
        var configuration = SandboxConfiguration.fast
        configuration.failureIndexBase = 1
        try await SandboxHarness.with(configuration) { sandbox in
            let client = sandbox.client()
            let bad = [BulkContact(email: "fine@example.com", subscribe: [1]), BulkContact(email: "two@@example.com", subscribe: [1])]
            do {
                let rejections = try await rejectionsOf { () async throws(ActiveCampaignError) in
                    _ = try await client.bulkImport(bad, excludeAutomations: true)
                }
                #expect(rejections.count == 1)
                #expect(rejections[0].index == 2)
                #expect(rejections[0].email == "two@@example.com")
            }
            let tooMany = (0...250).map { BulkContact(email: "p\($0)@example.com") }
            await #expect(
                throws: ActiveCampaignError.payloadRejected([
                    .init(index: nil, email: nil, reason: "Up to 250 contacts may be imported per request.")
                ])
            ) {
                try await client.bulkImport(tooMany, excludeAutomations: true)
            }
            let heavy = (0..<20).map { BulkContact(email: "p\($0)@example.com", firstName: String(repeating: "x", count: 21_000)) }
            do {
                let rejections = try await rejectionsOf { () async throws(ActiveCampaignError) in
                    _ = try await client.bulkImport(heavy, excludeAutomations: true)
                }
                #expect(rejections.first?.reason.contains("at most 399999 bytes") == true)
            }
            #expect(try await sandbox.listStatuses(1).isEmpty)
        }
    }

    @Test func theImportersOwnLimitIsToldApartFromTheRequestRate() async throws {
        for status in [400, 429] {
            var configuration = SandboxConfiguration.fast
            configuration.importsPerMinuteMulti = 2
            configuration.importerLimitStatus = status
            configuration.timeScale = 1
            try await SandboxHarness.with(configuration) { sandbox in
                let client = sandbox.client()
                let pair = [BulkContact(email: "a@example.com"), BulkContact(email: "b@example.com")]
                _ = try await client.bulkImport(pair, excludeAutomations: true)
                _ = try await client.bulkImport(pair, excludeAutomations: true)
                do {
                    _ = try await client.bulkImport(pair, excludeAutomations: true)
                    Issue.record("the third import in a minute was accepted")
                } catch {
                    guard case ActiveCampaignError.importerRateLimited? = error as? ActiveCampaignError else {
                        Issue.record("expected importerRateLimited, got \(error)")
                        return
                    }
                }
                let raw = try await sandbox.raw(
                    .POST,
                    "/api/3/import/bulk_import",
                    body: #"{"contacts":[{"email":"a@example.com"},{"email":"b@example.com"}]}"#
                )
                #expect(raw.status == status)
                let json = try #require(raw.json as? [String: Any])
                #expect(json["message"] as? String == "Rate limit exceeded.")
                #expect((json["failureReasons"] as? [String])?.first?.hasPrefix("Up to 2 imports may be requested per minute.") == true)
            }
        }
    }

    @Test func overFivePerSecondAnswers429WithRetryAfter() async throws {
        var configuration = SandboxConfiguration.fast
        configuration.requestsPerSecond = 5
        configuration.timeScale = 1
        try await SandboxHarness.with(configuration) { sandbox in
            var limited: [ActiveCampaignError] = []
            for _ in 0..<8 {
                do { _ = try await sandbox.client().me() } catch let error as ActiveCampaignError { limited.append(error) }
            }
            #expect(limited.count == 3)
            #expect(limited.allSatisfy { $0 == .rateLimited(retryAfter: 1) })
            let raw = try await sandbox.raw(.GET, "/api/3/users/me")
            #expect(raw.status == 429)
            #expect(raw.headers.first(name: "Retry-After") == "1")
            // The window slides: a second later the account may call again.
            sandbox.clock.advance(by: 1)
            #expect(try await sandbox.client().me().id == "1")
        }
    }

    @Test func injectedFaultsBecomeTheirCases() async throws {
        try await SandboxHarness.with { sandbox in
            let client = sandbox.client()
            func faults(_ json: String) async throws { _ = try await sandbox.inspect("faults", method: .POST, body: json) }

            try await faults(
                #"{"serverErrorRate":1,"serverErrorStatuses":[504],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
            )
            await #expect(throws: ActiveCampaignError.serverError(status: 504)) { try await client.me() }
            let html = try await sandbox.raw(.GET, "/api/3/users/me")
            #expect(html.text.contains("<html>"))
            try await faults(
                #"{"serverErrorRate":1,"serverErrorStatuses":[503],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
            )
            await #expect(throws: ActiveCampaignError.rateLimited(retryAfter: nil)) { try await client.me() }
            try await faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":1,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
            )
            await #expect(throws: ActiveCampaignError.paymentRequired) { try await client.lists() }
            #expect(try await sandbox.raw(.GET, "/api/3/lists").text.isEmpty)
            try await faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":2,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
            )
            await #expect(throws: ActiveCampaignError.rateLimited(retryAfter: 1)) { try await client.me() }
            await #expect(throws: ActiveCampaignError.rateLimited(retryAfter: 1)) { try await client.me() }
            #expect(try await client.me().id == "1")
            try await faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":1,"batchFailureStatus":"interrupted","seed":1}"#
            )
            let ticket = try await client.bulkImport(
                (1...4).map { BulkContact(email: "p\($0)@example.com", subscribe: [1]) },
                excludeAutomations: true
            )
            let info = try await sandbox.waitForImport(client, ticket.batchId)
            #expect(info.status == .interrupted)
            #expect(info.success.count == 2)
        }
    }

    @Test func contactsPastThePlanLimitFailInImportInfo() async throws {
        var configuration = SandboxConfiguration.fast
        configuration.contactLimit = 2
        try await SandboxHarness.with(configuration) { sandbox in
            let client = sandbox.client()
            let ticket = try await client.bulkImport(
                (1...3).map { BulkContact(email: "p\($0)@example.com", subscribe: [1]) },
                excludeAutomations: true
            )
            let info = try await sandbox.waitForImport(client, ticket.batchId)
            #expect(info.success.count == 2)
            #expect(info.failure == ["p3@example.com"])
            #expect(try await client.accountSettings().subscriberLimit == 2)
        }
    }

    @Test func discardModeCountsWithoutKeeping() async throws {
        var configuration = SandboxConfiguration.fast
        configuration.discard = true
        try await SandboxHarness.with(configuration) { sandbox in
            let client = sandbox.client()
            let ticket = try await client.bulkImport(
                (1...10).map { BulkContact(email: "p\($0)@example.com", subscribe: [1]) },
                excludeAutomations: true
            )
            _ = try await sandbox.waitForImport(client, ticket.batchId)
            let list = try await sandbox.inspect("lists/1/contacts")
            #expect((list["contacts"] as? [Any])?.isEmpty == true)
            #expect(list["discarded"] as? Int == 10)
        }
    }

    @Test func transportFailuresAreTheirOwnCases() async throws {
        // Each server below can produce only one outcome, so the production timeouts (10 s connect, 30 s read)
        // never decide a result; only the read-timeout case waits, and only for its own short timeout.
        let http = ActiveCampaignClient.makeHTTPClient()
        // Nothing listens on the port of a closed socket.
        let closed = APIEndpoint(scheme: "http", host: "127.0.0.1", port: try freePort())
        let refused = ActiveCampaignClient(endpoint: closed, apiKey: Redacted("k"), httpClient: http)
        await #expect(throws: ActiveCampaignError.badHost(.connectionRefused)) { try await refused.me() }

        // A server that answers the ClientHello with a fatal TLS alert: the handshake fails at once.
        try await MisbehavingServer.with(.tlsAlert) { port in
            let tls = ActiveCampaignClient(
                endpoint: APIEndpoint(scheme: "https", host: "127.0.0.1", port: port),
                apiKey: Redacted("k"),
                httpClient: http
            )
            await #expect(throws: ActiveCampaignError.badHost(.tlsFailed)) { try await tls.me() }
        }
        try await http.shutdown()

        // A server that accepts and never answers: only the read timeout can end the request.
        let impatient = ActiveCampaignClient.makeHTTPClient(readTimeout: .milliseconds(200))
        try await MisbehavingServer.with(.silent) { port in
            let silent = ActiveCampaignClient(
                endpoint: APIEndpoint(scheme: "http", host: "127.0.0.1", port: port),
                apiKey: Redacted("k"),
                httpClient: impatient
            )
            await #expect(throws: ActiveCampaignError.timeout) { try await silent.me() }
        }
        try await impatient.shutdown()
    }

    @Test func theApiTokenNeverReachesTheLogs() async throws {
        let records = LogRecorder()
        try await SandboxHarness.with { sandbox in
            var logger = Logger(label: "recorded") { _ in RecordingHandler(recorder: records) }
            logger.logLevel = .trace
            let client = sandbox.client(logger: logger)
            _ = try await client.me()
            _ = try? await client.list(id: "404")
        }
        let lines = records.lines
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.contains("test-key-admin") })
    }
}

/// Answers that are not ActiveCampaign's: a 2xx with HTML, an oversized body, a redirect.
@Suite struct ActiveCampaignInvalidAnswerTests {
    @Test func nonJSONOversizedAndRedirectAnswersAreErrorsNeverSuccess() async throws {
        let router = Router()
        router.get("api/3/users/me") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>welcome</html>")))
        }
        router.get("api/3/lists") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "{\"lists\":[" + String(repeating: "{\"id\":\"1\",\"name\":\"x\"},", count: 60_000) + "{}]}"
                    )
                )
            )
        }
        router.get("api/3/settings/account") { _, _ in Response(status: .found, headers: [.location: "http://127.0.0.1:1/elsewhere"]) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
            logger: logger
        )
        let http = ActiveCampaignClient.makeHTTPClient()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let client = ActiveCampaignClient(
                endpoint: APIEndpoint(scheme: "http", host: "127.0.0.1", port: port),
                apiKey: Redacted("k"),
                httpClient: http
            )
            await #expect(throws: ActiveCampaignError.invalidResponse("status 200 with a body that is not JSON (text/html)")) {
                try await client.me()
            }
            await #expect(throws: ActiveCampaignError.invalidResponse("response larger than 1 MiB")) { try await client.lists() }
            await #expect(throws: ActiveCampaignError.requestRejected(status: 302, message: "unexpected status")) {
                try await client.accountSettings()
            }
            group.cancelAll()
        }
        try await http.shutdown()
    }
}

/// Every error body shape the contract lists is read.
@Suite struct ActiveCampaignErrorShapeTests {
    func classify(
        _ status: Int,
        _ body: String,
        retryAfter: String? = nil,
        call: ActiveCampaignClient.Call = .standard
    ) -> ActiveCampaignError {
        let data = Data(body.utf8)
        return ActiveCampaignClient.classify(
            status: status,
            retryAfter: retryAfter,
            json: (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            data: data,
            call: call
        )
    }

    @Test func bodyShapes() {
        #expect(
            classify(
                422,
                #"{"errors":[{"title":"Email address already exists in the system","detail":"","code":"duplicate","source":{"pointer":"/data/attributes/email"}}]}"#
            )
                == .payloadRejected([.init(index: nil, email: nil, reason: "Email address already exists in the system")])
        )
        #expect(
            classify(404, #"{"message":"No Result found for Subscriber with id 1"}"#)
                == .notFound("No Result found for Subscriber with id 1")
        )
        #expect(
            classify(403, #"{"errors":[{"status":403,"title":"Forbidden","detail":"You do not have permission to view lists."}]}"#)
                == .noPermission("Forbidden: You do not have permission to view lists.")
        )
        #expect(classify(403, #"{"message":"Forbidden"}"#, call: .credentialsCheck) == .invalidCredentials)
        #expect(classify(401, "", call: .credentialsCheck) == .invalidCredentials)
        #expect(
            classify(
                400,
                #"{"success":0,"message":"JSON payload did not pass validation.","failureReasons":[{"contact":230,"failureReason":"Field‘ email’ incorrect format"}]}"#
            )
                == .payloadRejected([.init(index: 230, email: nil, reason: "Field‘ email’ incorrect format")])
        )
        #expect(
            classify(
                400,
                #"{"success":0,"message":"Rate limit exceeded.","failureReasons":["Up to 100 imports may be requested per minute."]}"#
            )
                == .importerRateLimited(retryAfter: nil)
        )
        #expect(
            classify(429, #"{"success":0,"message":"Rate limit exceeded."}"#, call: .bulkImport) == .importerRateLimited(retryAfter: nil)
        )
        #expect(classify(429, "", retryAfter: "30") == .rateLimited(retryAfter: 30))
        #expect(classify(503, "<html>busy</html>") == .rateLimited(retryAfter: nil))
        #expect(classify(504, "<html><title>Gateway time-out</title></html>") == .serverError(status: 504))
        #expect(classify(402, "") == .paymentRequired)
        #expect(classify(400, "{}") == .requestRejected(status: 400, message: "invalid request"))
        #expect(
            classify(422, #"{"errors":"Bulk operation failed. Please try again."}"#)
                == .requestRejected(status: 422, message: "Bulk operation failed. Please try again.")
        )
    }
}

final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

struct RecordingHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        recorder.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
    }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The rejections of a call that must fail with `payloadRejected`.
func rejectionsOf(_ call: () async throws(ActiveCampaignError) -> Void) async throws -> [ActiveCampaignError.Rejection] {
    do {
        try await call()
    } catch {
        if case .payloadRejected(let rejections) = error { return rejections }
        Issue.record("expected payloadRejected, got \(error)")
        return []
    }
    Issue.record("the call was accepted")
    return []
}

@Suite struct SandboxExecutableTests {
    static var executable: String { packageRoot + "/.build/debug/activecampaign-sandbox" }

    @Test func helpDocumentsEveryOption() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let help = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        for option in [
            "--port", "--api-key", "--list", "--config", "--time-scale", "--discard", "--contact-limit", "--fail-rate",
            "--payment-required-rate", "--burst-429", "--latency-ms", "--batch-failure-rate", "--importer-limit-status",
            "--sync-update-status", "--success-key", "--failure-index-base", "/__sandbox/lists/{id}/contacts",
        ] {
            #expect(help.contains(option), "\(option)")
        }
    }

    @Test func aConfigFileDefinesAccountsListsAndFields() async throws {
        var configuration = SandboxConfiguration()
        configuration.accounts = [.init(apiKey: "from-config", name: "configured")]
        configuration.lists = [.init(id: 7, name: "From config")]
        configuration.fields = (1...130).map { .init(id: $0, title: "Field \($0)") }
        configuration.successKey = "Success"
        let path = try temporaryDirectory() + "/sandbox.json"
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--config", path, "--port", "0"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { process.terminate() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) { line += pipe.fileHandleForReading.availableData }
        let port = try #require(
            String(decoding: line, as: UTF8.self).split(separator: ":").last.flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        )
        let http = ActiveCampaignClient.makeHTTPClient()
        let client = ActiveCampaignClient(
            endpoint: APIEndpoint(scheme: "http", host: "127.0.0.1", port: port),
            apiKey: Redacted("from-config"),
            httpClient: http
        )
        #expect(try await client.me().username == "configured")
        #expect(try await client.lists() == [ACList(id: "7", name: "From config")])
        let fields = try await client.fields()  // two pages of 100
        #expect(fields.count == 130)
        #expect(fields.last?.title == "Field 130")
        // The doc example's capitalised "Success" is read as well.
        let ticket = try await client.bulkImport(
            [BulkContact(email: "a@example.com"), BulkContact(email: "b@example.com")],
            excludeAutomations: true
        )
        #expect(ticket.queuedContacts == 2)
        try await http.shutdown()
    }
}

import AsyncHTTPClient
import Foundation
import Store
import Testing

/// The engine process killed with SIGKILL at random moments during a 20,000-contact export to the sandbox
/// executable: the run resumes from its last confirmed batch every time, and in the end the list holds exactly the
/// valid contacts. Every kill moment must give the same result, so the test does not depend on timing.
@Suite(.serialized) struct EngineCrashTests {
    static let kills = 20

    @Test func killedAtRandomTwentyTimesTheExportStillDeliversEveryoneOnce() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try freePort()
        let host = "127.0.0.1:\(port)"
        let sandbox = try Self.start(packageRoot + "/.build/debug/activecampaign-sandbox",
                                     ["--port", "\(port)", "--api-key", "crash-key", "--time-scale", "2"], log: directory + "/sandbox.log")
        defer { sandbox.terminate(); sandbox.waitUntilExit() }
        _ = try await Self.inspect(port, "/__sandbox/received?key=crash-key")   // listening
        let environment = ["OUTBOUND_DATA_DIR": directory + "/data", "OUTBOUND_ALLOW_DESTINATION_HOST": host]

        // A workspace, 20,000 profiles (some without a usable email), one segment, a connection, an export.
        let valid = try Self.writeProfiles(to: directory + "/profiles.csv", count: 20_000)
        #expect(try CLI.run(["tenant", "create", "--slug", "acme", "--name", "Acme"], environment: environment).status == 0)
        #expect(try CLI.run(["user", "create", "--email", "ana@acme.test", "--tenant", "acme", "--role", "admin"],
                            stdin: "a long enough password\n", environment: environment).status == 0)
        #expect(try CLI.run(["profiles", "import", "--tenant", "acme", directory + "/profiles.csv"], environment: environment).status == 0)
        #expect(try CLI.run(["segments", "create", "--tenant", "acme", "--name", "All", "--condition", "country:isNotEmpty"],
                            environment: environment).status == 0)
        let connected = try CLI.run(["connections", "add", "--tenant", "acme", "--name", "Sandbox", "--host", host,
                                     "--export-user", "ana@acme.test", "--i-agree"], stdin: "crash-key\n", environment: environment)
        #expect(connected.status == 0, "\(connected.output)")
        #expect(try CLI.run(["exports", "create", "--tenant", "acme", "--name", "News", "--connection", "Sandbox", "--list", "1",
                             "--segment", "All", "--email", "email", "--first-name", "first_name"], environment: environment).status == 0)
        #expect(try CLI.run(["exports", "run", "--tenant", "acme", "--export", "News"], environment: environment).status == 0)

        let database = try AppDatabase.open(path: directory + "/data/outbound.sqlite")
        let tenant = try #require(try await database.tenant(slug: "acme"))
        // Paced at twice ActiveCampaign's rates, the run needs at least 20 s of requests: long enough for 20 kills
        // of at most half a second of work each, however slow the machine.
        let engineArguments = ["engine", "--pace-scale", "2", "--lease-seconds", "1", "--log-level", "error"]
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        while killed < Self.kills {
            let claimsBefore = try await database.run(tenantId: tenant.id!, id: 1)?.claims ?? 0
            let engine = try Self.start(CLI.executable, engineArguments, environment: environment, log: directory + "/engine-\(killed).log")
            // Kill it at a random moment after it has taken the run up (a kill before would test nothing).
            for _ in 0..<400 where try await database.run(tenantId: tenant.id!, id: 1)?.claims ?? 0 == claimsBefore {
                try await Task.sleep(for: .milliseconds(25))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...500, using: &generator)))
            kill(engine.processIdentifier, SIGKILL)
            engine.waitUntilExit()
            killed += 1
            if try await database.run(tenantId: tenant.id!, id: 1)?.state.isActive == false { break }
        }
        #expect(killed == Self.kills, "the run ended before it was killed \(Self.kills) times; make it larger")

        // A last engine finishes the run; it stops cleanly on SIGTERM.
        let last = try Self.start(CLI.executable, engineArguments, environment: environment, log: directory + "/engine-last.log")
        var run = try await database.run(tenantId: tenant.id!, id: 1)
        for _ in 0..<1_200 where run?.state.isActive != false {
            try await Task.sleep(for: .milliseconds(250))
            run = try await database.run(tenantId: tenant.id!, id: 1)
        }
        // SIGTERM once it has started (its signal handlers are in place): it stops cleanly.
        for _ in 0..<400 where !((try? String(contentsOfFile: directory + "/engine-last.log", encoding: .utf8)) ?? "").contains("Export engine") {
            try await Task.sleep(for: .milliseconds(25))
        }
        try await Task.sleep(for: .milliseconds(300))
        last.terminate()
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)

        let finished = try #require(run)
        #expect(finished.state == .succeeded, "\(finished.state) \(finished.reason ?? "")")
        #expect(finished.accepted == valid.count)
        #expect(finished.claims > Self.kills)
        // The list holds exactly the valid contacts.
        let contacts = try await Self.inspect(port, "/__sandbox/lists/1/contacts?key=crash-key")["contacts"] as? [[String: Any]] ?? []
        #expect(contacts.count == valid.count)
        #expect(Set(contacts.compactMap { $0["email"] as? String }) == valid)
        // No batch that had an ActiveCampaign batch id recorded was posted again (no faults were injected).
        let reposted = try await database.reader.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runBatch WHERE runId = 1 AND posts > 1") ?? -1
        }
        #expect(reposted == 0)
        // At most one batch in flight was lost (and sent again) per kill.
        let received = try await Self.inspect(port, "/__sandbox/received?key=crash-key")
        let receivedContacts = (received["contacts"] as? NSNumber)?.intValue ?? .max
        #expect(receivedContacts >= valid.count && receivedContacts <= valid.count + 250 * Self.kills)
    }

    /// Writes `count` profiles; every 97th has an invalid email and every 101st none. Returns the valid emails.
    static func writeProfiles(to path: String, count: Int) throws -> Set<String> {
        var lines = ["profile_id,email,first_name,country"]
        var valid: Set<String> = []
        for index in 1...count {
            let email: String
            if index % 97 == 0 {
                email = "broken\(index)@@example.com"
            } else if index % 101 == 0 {
                email = ""
            } else {
                email = "person\(index)@example.com"
                valid.insert(email)
            }
            lines.append("p\(index),\(email),Name\(index),DE")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return valid
    }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OUTBOUND_") }
        env.merge(environment) { $1 }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// A sandbox inspection call, retried while the sandbox starts.
    static func inspect(_ port: Int, _ path: String) async throws -> [String: Any] {
        for _ in 0..<100 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(10)),
                let body = try? await response.body.collect(upTo: 64 << 20),
                let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] {
                return json
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }
}

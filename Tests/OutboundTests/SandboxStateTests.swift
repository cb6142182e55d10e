import ActiveCampaignSandbox
import Foundation
import Logging
import OutboundCore
import Testing

/// `outbound demo` keeps the sandbox's state in its data folder: a restarted sandbox must hold what it was sent.
@Suite struct SandboxStateTests {
    let clock = AppClock.manual()
    let key = "test-key-admin"

    func request(_ method: String, _ path: String, query: [String: String] = [:], body: String = "") -> SandboxRequest {
        SandboxRequest(method: method, path: path, query: query, apiToken: key, body: Data(body.utf8))
    }

    func bulkImport(_ sandbox: Sandbox, _ emails: [String], unsubscribe: Bool = false) async throws -> String {
        let contacts = emails.map { email in
            #"{"email":"\#(email)","first_name":"Ann","\#(unsubscribe ? "unsubscribe" : "subscribe")":[{"listid":1}]}"#
        }
        let response = await sandbox.handle(
            request("POST", "/api/3/import/bulk_import", body: #"{"contacts":[\#(contacts.joined(separator: ","))]}"#)
        )
        #expect(response.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        return try #require(body["batchId"] as? String)
    }

    func listStatuses(_ sandbox: Sandbox) async throws -> [String: Int] {
        let response = await sandbox.handle(request("GET", "/__sandbox/lists/1/contacts"))
        let body = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        let contacts = try #require(body["contacts"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: contacts.map { ($0["email"] as! String, $0["status"] as! Int) })
    }

    func importStatus(_ sandbox: Sandbox, _ batchId: String) async throws -> String? {
        let response = await sandbox.handle(request("GET", "/api/3/import/info", query: ["batchId": batchId]))
        let body = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        return body["status"] as? String
    }

    @Test func aRestoredSandboxKeepsContactsStatusesAndPendingImports() async throws {
        let sandbox = Sandbox(configuration: .fast, now: { [clock] in clock.now })
        let first = try await bulkImport(sandbox, ["ann@example.com", "bo@example.com"])
        clock.advance(by: 60)
        _ = try await bulkImport(sandbox, ["bo@example.com"], unsubscribe: true)
        clock.advance(by: 60)
        let pending = try await bulkImport(sandbox, ["cy@example.com"])
        #expect(try await listStatuses(sandbox) == ["ann@example.com": 1, "bo@example.com": 2])

        let saved = try SandboxState.decode(try await sandbox.state().encoded())
        let restored = await Sandbox.restoring(saved, now: { [clock] in clock.now })
        clock.advance(by: 60)
        #expect(try await listStatuses(restored) == ["ann@example.com": 1, "bo@example.com": 2, "cy@example.com": 1])
        #expect(try await importStatus(restored, first) == "completed")
        #expect(try await importStatus(restored, pending) == "completed")
        // Ids continue where they stopped: a new contact does not take an old one's id.
        _ = try await bulkImport(restored, ["di@example.com"])
        clock.advance(by: 60)
        #expect(try await listStatuses(restored)["di@example.com"] == 1)
        let ids = await restored.state().encodedContactIds
        #expect(ids == [1, 2, 3, 4])
    }

    @Test func theSaverWritesOnlyAfterAChangeAndTheFileRestores() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("sandbox.json").path
        let sandbox = Sandbox(configuration: .fast, now: { [clock] in clock.now })
        let saver = SandboxStateSaver(sandbox: sandbox, path: path, logger: Logger(label: "test"))
        let start = await sandbox.revision
        #expect(await saver.saveIfChanged(since: start) == start)
        #expect(!FileManager.default.fileExists(atPath: path))

        _ = try await bulkImport(sandbox, ["ann@example.com"])
        clock.advance(by: 60)
        let written = await saver.saveIfChanged(since: start)
        #expect(written > start)
        #expect(try await listStatuses(sandbox) == ["ann@example.com": 1])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let restored = await Sandbox.restoring(try SandboxState.read(from: path), now: { [clock] in clock.now })
        #expect(try await listStatuses(restored) == ["ann@example.com": 1])
    }
}

extension SandboxState {
    /// The contact ids the state holds, in order (read through its JSON, as a restart would).
    var encodedContactIds: [Int] {
        guard let data = try? encoded(), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let accounts = object["accounts"] as? [[String: Any]], let contacts = accounts.first?["contacts"] as? [[String: Any]]
        else { return [] }
        return contacts.compactMap { $0["id"] as? Int }
    }
}

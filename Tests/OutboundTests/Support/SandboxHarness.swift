import ActiveCampaignSandbox
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import OutboundCore
import Secrets
import Testing

@testable import ActiveCampaign

/// Runs the sandbox as a real HTTP server on a free loopback port for the length of `body`, then stops it.
/// The sandbox reads time from `clock` (a manual clock unless a test passes another), so its rate windows and
/// import states move only when the test advances the clock, never with the machine's speed.
enum SandboxHarness {
    struct Running: Sendable {
        let sandbox: Sandbox
        let port: Int
        let keys: [String]
        let http: HTTPClient
        let clock: AppClock

        var endpoint: APIEndpoint { APIEndpoint(scheme: "http", host: "127.0.0.1", port: port) }

        func client(key: String? = nil, logger: Logger = Logger(label: "test")) -> ActiveCampaignClient {
            ActiveCampaignClient(endpoint: endpoint, apiKey: Redacted(key ?? keys[0]), httpClient: http, logger: logger)
        }

        /// A raw call, for checking the sandbox's answers field for field.
        func raw(
            _ method: HTTPMethod,
            _ path: String,
            key: String? = nil,
            body: String? = nil
        ) async throws -> (status: Int, headers: HTTPHeaders, json: Any?, text: String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            if let key = key ?? keys.first { request.headers.add(name: "Api-Token", value: key) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await http.execute(request, timeout: .seconds(10))
            let buffer = try await response.body.collect(upTo: 8 << 20)
            let text = String(buffer: buffer)
            return (Int(response.status.code), response.headers, try? JSONSerialization.jsonObject(with: Data(text.utf8)), text)
        }

        func inspect(_ path: String, method: HTTPMethod = .GET, body: String? = nil) async throws -> [String: Any] {
            try #require(try await raw(method, "/__sandbox/" + path, body: body).json as? [String: Any])
        }

        func listStatuses(_ list: Int) async throws -> [String: Int] {
            let contacts = try await inspect("lists/\(list)/contacts")["contacts"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: contacts.map { ($0["email"] as! String, ($0["status"] as! NSNumber).intValue) })
        }
    }

    static func with<T: Sendable>(
        _ configuration: SandboxConfiguration = .fast,
        clock: AppClock = .manual(),
        _ body: @Sendable (Running) async throws -> T
    ) async throws -> T {
        let sandbox = Sandbox(configuration: configuration, now: { clock.now })
        let keys = await sandbox.apiKeys
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical  // stopping by cancellation logs "already closed" at error level
        let app = SandboxServer.buildApplication(sandbox: sandbox, port: 0, logger: logger) { continuation.yield($0) }
        let http = ActiveCampaignClient.makeHTTPClient()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let running = Running(sandbox: sandbox, port: port, keys: keys, http: http, clock: clock)
            do {
                let result = try await body(running)
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
}

extension SandboxConfiguration {
    /// The real limits and shapes, with time running 50× faster so tests meet them quickly.
    static var fast: SandboxConfiguration {
        var configuration = SandboxConfiguration()
        configuration.accounts = [
            .init(apiKey: "test-key-admin", name: "acme"),
            .init(apiKey: "test-key-member", name: "acme", admin: false),
            .init(apiKey: "test-key-nolists", name: "acme", admin: false, canViewLists: false),
        ]
        configuration.lists = [.init(id: 1, name: "Master Contact List"), .init(id: 2, name: "Newsletter")]
        configuration.timeScale = 50
        configuration.requestsPerSecond = 1_000
        configuration.importInfoDelay = 10  // 0.2 s at this scale: long enough to observe `status: false`
        return configuration
    }
}

extension SandboxHarness.Running {
    /// Reads import/info until the batch reaches a final status, moving the sandbox's clock a second between reads
    /// (bounded in sandbox time, so the outcome does not depend on how fast this machine runs).
    func waitForImport(_ client: ActiveCampaignClient, _ batchId: String) async throws -> ImportInfo {
        for _ in 0..<3_600 {
            let info = try await client.importInfo(batchId: batchId)
            if info.status.isFinal { return info }
            clock.advance(by: 1)
        }
        Issue.record("import \(batchId) did not finish within an hour of sandbox time")
        return try await client.importInfo(batchId: batchId)
    }
}

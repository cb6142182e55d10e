import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Store
import Testing

@testable import Web

/// Nobody can keep an account locked out: failures lock an (account, address) pair or an address, the account
/// alone is only slowed down, and failures and lock-outs reach the workspace's activity.
@Suite struct SignInThrottleTests {
    static let proxyHeader = HTTPField.Name("X-Forwarded-For")!

    func attempt(_ client: some TestClientProtocol, _ email: String, _ password: String, from address: String?) async throws -> TestResponse
    {
        let (cookie, token) = try await client.execute(uri: "/login", method: .get) { response in
            (Browser.cookie(named: AuthController.loginCookie, in: response)!, Browser.csrf(in: response.text)!)
        }
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "\(AuthController.loginCookie)=\(cookie)"]
        if let address { headers[Self.proxyHeader] = address }
        return try await client.execute(
            uri: "/login",
            method: .post,
            headers: headers,
            body: Browser.form([("email", email), ("password", password), ("_csrf", token)])
        ) { $0 }
    }

    @Test func tenFailuresFromOneAddressThenTheRightPasswordFromAnotherSignsIn() async throws {
        let world = try await TestWorld.make {
            $0.port = 0
            $0.trustedProxies = ["127.0.0.1"]
        }
        try await world.app().test(.ahc(.http)) { client in
            for _ in 0..<10 {
                #expect(try await attempt(client, "alice@acme.test", "a guess", from: "198.51.100.7").status == .unprocessableContent)
            }
            #expect(try await attempt(client, "alice@acme.test", TestWorld.password, from: "198.51.100.7").status == .tooManyRequests)
            let before = world.clock.now
            // (This client follows the redirect after a successful sign-in back to /login without cookies and calls
            // it a cycle: the session row is the proof.)
            _ = try? await attempt(client, "alice@acme.test", TestWorld.password, from: "198.51.100.8")
            let sessions = try await world.database.sessions(ofUser: world.userId("alice@acme.test"))
            #expect(sessions.map(\.clientAddress) == ["198.51.100.8"])
            // The much-guessed account was slowed down (on the app's clock), not locked.
            #expect(world.clock.now.timeIntervalSince(before) >= 1)
        }
        let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events
        #expect(events.filter { $0.action == "signin.failed" }.count == 10)
        #expect(
            events.filter { $0.action == "signin.locked" }.map(\.detail)
                == ["Sign-in for alice@acme.test from 198.51.100.7 locked for 15 minutes after repeated failures"]
        )
        #expect(!events.contains { $0.detail.contains("a guess") })
        // Another workspace's activity does not hear of alice.
        #expect(try await world.database.activity(tenantId: world.globex.id!, page: 1).events.allSatisfy { !$0.detail.contains("alice") })
    }

    @Test func forwardedForFromAnUntrustedPeerIsWarnedAboutOnce() async throws {
        let (world, records) = try await TestWorld.recordingLogs { $0.port = 0 }
        try await world.app().test(.ahc(.http)) { client in
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/login", method: .get, headers: [Self.proxyHeader: "203.0.113.5"]) { $0.status }
            }
        }
        let warnings = records.lines.filter { $0.contains("X-Forwarded-For arrived from") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("--trusted-proxy 127.0.0.1") == true)
    }
}

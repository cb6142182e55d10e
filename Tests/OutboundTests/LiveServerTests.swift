import Foundation
import Hummingbird
import HummingbirdTesting
import Secrets
import Store
import Testing

@testable import Web

@Suite struct LiveServerTests {
    /// Sign-ins hash with the production cost (about 0.4 s each) on the dedicated pool; a third request must be
    /// answered while both are still hashing, which it could not be if hashing ran on the cooperative pool.
    @Test func twoSignInsAtOnceDoNotStallAThirdRequest() async throws {
        let world = try await TestWorld.make {
            $0.port = 0
            $0.passwordParameters = .interactive
        }
        let order = Recorder()
        try await world.app().test(.ahc(.http)) { client in
            let token = try await client.execute(uri: "/login", method: .get) { response in
                (Browser.cookie(named: AuthController.loginCookie, in: response)!, Browser.csrf(in: response.text)!)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/login",
                            method: .post,
                            headers: [
                                .contentType: "application/x-www-form-urlencoded",
                                .cookie: "\(AuthController.loginCookie)=\(token.0)",
                            ],
                            body: Browser.form([
                                ("email", "nobody@acme.test"), ("password", "unknown account: decoy hash at full cost"),
                                ("_csrf", token.1),
                            ])
                        ) { $0 }
                        #expect(response.status == .unprocessableContent)
                        await order.append("sign-in")
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(50))
                    let response = try await client.execute(uri: "/login", method: .get) { $0 }
                    #expect(response.status == .ok)
                    await order.append("page")
                }
                try await group.waitForAll()
            }
            let events = await order.events
            #expect(events == ["page", "sign-in", "sign-in"], "\(events)")
        }
    }
}

actor Recorder {
    private(set) var events: [String] = []
    func append(_ event: String) { events.append(event) }
}

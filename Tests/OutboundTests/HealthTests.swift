import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

@testable import Web

/// /healthz as an uptime monitor reads it: the database answers, and the engine's last heartbeat is reported (not
/// judged: with `serve --no-engine` the engine runs in another process).
@Suite struct HealthTests {
    @Test func healthReportsTheDatabaseAndTheEnginesLastHeartbeat() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            let before = try await client.execute(uri: "/healthz", method: .get) { $0 }
            #expect(before.status == .ok)
            #expect(before.text == "ok\nengine: no heartbeat\n")
            #expect(before.headers[.contentType] == "text/plain; charset=utf-8")

            let queue = RunQueue(database: world.database, owner: "engine-test")
            try await queue.beat(now: world.clock.now, startedAt: world.clock.now)
            world.clock.advance(by: 7)
            let after = try await client.execute(uri: "/healthz", method: .get) { $0 }
            #expect(after.status == .ok)
            #expect(after.text == "ok\nengine: last heartbeat 7 s ago\n")
        }
    }
}

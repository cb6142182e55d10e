import Foundation
import HummingbirdTesting
import Store
import Testing

@testable import Web

/// Every signed-in request reads its session, the user and the user's tenants in one read.
@Suite struct SessionSnapshotTests {
    func session(for user: String, in world: TestWorld, hash: String) async throws {
        let now = world.clock.now
        _ = try await world.database.createSession(
            UserSession(
                tokenHash: hash,
                userId: world.userId(user),
                csrfToken: "csrf",
                clientAddress: "127.0.0.1",
                userAgent: "test",
                createdAt: now,
                lastSeenAt: now,
                expiresAt: now.addingTimeInterval(3600)
            )
        )
    }

    @Test func oneReadGivesTheSessionItsUserAndOnlyTheirTenants() async throws {
        let world = try await TestWorld.make()
        try await session(for: "carol@acme.test", in: world, hash: "carol-hash")
        try await session(for: "mallory@globex.test", in: world, hash: "mallory-hash")

        let carol = try #require(try await world.database.sessionSnapshot(tokenHash: "carol-hash"))
        #expect(carol.session.userId == world.userId("carol@acme.test"))
        #expect(carol.user?.email == "carol@acme.test")
        #expect(carol.tenants.map(\.tenant.slug) == ["acme"])
        #expect(carol.tenants.map(\.role) == [.viewer])

        let mallory = try #require(try await world.database.sessionSnapshot(tokenHash: "mallory-hash"))
        #expect(mallory.tenants.map(\.tenant.slug) == ["globex"])
        #expect(try await world.database.sessionSnapshot(tokenHash: "unknown") == nil)
    }

    @Test func tenantAndRoleChecksStillAnswerFromTheSnapshot() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            #expect(try await carol.get("/t/acme/data/segments").status == .ok)
            #expect(try await carol.get("/t/globex/data/segments").status == .notFound)
            #expect(try await carol.get("/t/nowhere/data/segments").status == .notFound)
            #expect(try await carol.get("/t/acme/admin/members").status == .forbidden)
        }
    }
}

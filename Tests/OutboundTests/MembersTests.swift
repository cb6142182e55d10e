import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

@testable import Web

@Suite struct MembersTests {
    let page = "/t/acme/admin/members"

    @Test func addingANewAccountShowsItsOneTimePasswordOnce() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let added = try await alice.post(page, [("email", "dave@acme.test"), ("role", "contributor")], tokenFrom: page)
            #expect(added.status == .ok)
            let html = added.text
            let marker = try #require(html.range(of: #"<code id="one-time-password">"#))
            let password = String(html[marker.upperBound...].prefix { $0 != "<" })
            #expect(password.count == 23)
            #expect(!(try await alice.get(page).text.contains(password)))  // shown once

            var dave = Browser(client: client)
            #expect(try await dave.signIn("dave@acme.test", password).headers[.location] == "/account")
            let stored = try #require(try await world.database.user(email: "dave@acme.test"))
            #expect(!stored.passwordHash.contains(password))
            #expect(stored.mustChangePassword)
        }
    }

    @Test func addingAnExistingAccountKeepsItsPassword() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let response = try await alice.post(page, [("email", "MALLORY@globex.test"), ("role", "viewer")], tokenFrom: page)
            #expect(response.headers[.location] == "\(page)?done=added")
            #expect(try await alice.get(response.headers[.location]!).text.contains("mallory@globex.test"))
            var mallory = Browser(client: client)
            try await mallory.signIn("mallory@globex.test")
            #expect(try await mallory.get("/t/acme/data/exports").status == .ok)
            #expect(try await mallory.get("/t/acme/admin/members").status == .forbidden)

            let again = try await alice.post(page, [("email", "mallory@globex.test"), ("role", "viewer")], tokenFrom: page)
            #expect(again.text.contains("is already a member of this workspace"))
        }
    }

    @Test func theLastAdminCanBeNeitherRemovedNorDemoted() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let aliceId = world.userId("alice@acme.test")
            let demote = try await alice.post("\(page)/\(aliceId)/role", [("role", "viewer")], tokenFrom: page)
            #expect(demote.status == .conflict)
            #expect(demote.text.contains("at least one administrator"))
            let remove = try await alice.post("\(page)/\(aliceId)/remove", [], tokenFrom: page)
            #expect(remove.status == .conflict)
            #expect(remove.text.contains("The last administrator of a workspace cannot be removed."))
            #expect(try await world.database.members(tenantId: world.acme.id!).first { $0.userId == aliceId }?.role == .admin)

            // With a second admin, the first may step down.
            let bobId = world.userId("bob@acme.test")
            #expect(try await alice.post("\(page)/\(bobId)/role", [("role", "admin")], tokenFrom: page).status == .seeOther)
            #expect(try await alice.post("\(page)/\(aliceId)/role", [("role", "viewer")], tokenFrom: page).status == .seeOther)
            #expect(try await alice.get(page).status == .forbidden)
        }
    }

    @Test func removalEndsAccessToThatTenantOnlyAndAtOnce() async throws {
        let world = try await TestWorld.make()
        _ = try await world.database.addMember(
            tenantId: world.globex.id!,
            email: "bob@acme.test",
            role: .viewer,
            newPasswordHash: "unused",
            actor: .commandLine
        )
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            #expect(try await bob.get("/t/acme/data/exports").status == .ok)
            #expect(try await bob.get("/t/globex/data/exports").status == .ok)

            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let bobId = world.userId("bob@acme.test")
            #expect(try await alice.post("\(page)/\(bobId)/remove", [], tokenFrom: page).headers[.location] == "\(page)?done=removed")

            #expect(try await bob.get("/t/acme/data/exports").status == .notFound)  // same session, access gone
            #expect(try await bob.get("/t/globex/data/exports").status == .ok)
            #expect(try await world.database.user(email: "bob@acme.test") != nil)
        }
    }

    @Test func activityRecordsWhoDidWhatFromWhereNewestFirstAndPaged() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let bobId = world.userId("bob@acme.test")
            _ = try await alice.post(page, [("email", "dave@acme.test"), ("role", "viewer")], tokenFrom: page)
            _ = try await alice.post("\(page)/\(bobId)/role", [("role", "viewer")], tokenFrom: page)
            let html = try await alice.get("/t/acme/admin/activity").text
            let roleChange = try #require(html.range(of: "Changed bob@acme.test from Contributor to Viewer"))
            let added = try #require(html.range(of: "Added dave@acme.test as Viewer"))
            #expect(roleChange.lowerBound < added.lowerBound)  // newest first
            #expect(html.contains("alice@acme.test"))
            #expect(!html.contains("Globex"))
            #expect(!html.contains("$scrypt$"))

            for index in 0..<60 {
                try await world.database.recordActivity(
                    tenantId: world.acme.id!,
                    actor: .commandLine,
                    action: "test.event",
                    detail: "event number \(index)"
                )
            }
            let first = try await alice.get("/t/acme/admin/activity").text
            #expect(first.contains("event number 59"))
            #expect(!first.contains("event number 5<"))
            #expect(first.contains("?page=2"))
            let second = try await alice.get("/t/acme/admin/activity?page=2").text
            #expect(second.contains("event number 9<"))
            #expect(second.contains("Added dave@acme.test"))
        }
    }
}

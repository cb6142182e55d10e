import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

@testable import Web

@Suite struct MembersTests {
    let page = "/t/acme/admin/members"

    /// The one-time password on a page (the Members page shows one after every invitation).
    static func oneTimePassword(in html: String) throws -> String {
        let marker = try #require(html.range(of: #"<code id="one-time-password">"#))
        return String(html[marker.upperBound...].prefix { $0 != "<" })
    }

    /// Issue 10, item 11: adding an email must not tell whether an account has it anywhere on the server. Before,
    /// an existing account answered with a redirect and "The existing account was added", a new one with a password.
    @Test func addingAnEmailAnswersAlikeWhetherOrNotAnAccountHasIt() async throws {
        let world = try await TestWorld.make()
        let mallory = try #require(try await world.database.user(email: "mallory@globex.test"))
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            // The part of the answer about this invitation, with the email and the password taken out.
            func answer(_ email: String) async throws -> (status: HTTPResponse.Status, text: String, password: String) {
                let response = try await alice.post(page, [("email", email), ("role", "viewer")], tokenFrom: page)
                let html = response.text
                let password = try Self.oneTimePassword(in: html)
                let main = try #require(html.range(of: "<main")).lowerBound
                let list = try #require(html.range(of: "<table>")).lowerBound
                let answer = html[main..<list].replacingOccurrences(of: password, with: "PASSWORD").replacingOccurrences(
                    of: email,
                    with: "EMAIL"
                )
                return (response.status, answer, password)
            }
            let existing = try await answer("Mallory@Globex.test")  // an account of another workspace
            let new = try await answer("Nobody@Example.test")
            #expect(existing.status == .ok)
            #expect(new.status == .ok)
            #expect(existing.text == new.text)
            #expect(existing.text.contains("Invited EMAIL as Viewer."))
            #expect(existing.password.count == 23 && new.password.count == 23)

            // The pending list shows each email as typed (the account's own spelling would tell), and so does Activity.
            let members = try await alice.get(page).text
            #expect(members.contains("<td>Mallory@Globex.test</td>") && members.contains("<td>Nobody@Example.test</td>"))
            let activity = try await alice.get("/t/acme/admin/activity").text
            #expect(
                activity.contains("Invited Mallory@Globex.test as Viewer") && activity.contains("Invited Nobody@Example.test as Viewer")
            )

            // The existing account is untouched: the password shown does nothing for it, its own still works.
            var intruder = Browser(client: client)
            let refused = try await intruder.signIn("mallory@globex.test", existing.password)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("Email or password is incorrect."))
            var owner = Browser(client: client)
            #expect(try await owner.signIn("mallory@globex.test").headers[.location] == "/")
        }
        #expect(try await world.database.user(email: "mallory@globex.test") == mallory)
        #expect(
            try await world.database.members(tenantId: world.acme.id!).map(\.email).sorted() == [
                "alice@acme.test", "bob@acme.test", "carol@acme.test",
            ]
        )
    }

    @Test func anExistingAccountJoinsOnlyAfterAcceptingTheInvitationAtItsNextSignIn() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            _ = try await alice.post(page, [("email", "mallory@globex.test"), ("role", "contributor")], tokenFrom: page)

            var mallory = Browser(client: client)
            #expect(try await mallory.signIn("mallory@globex.test").headers[.location] == "/")
            let home = try await mallory.get("/")
            #expect(home.status == .ok)  // not sent on to her one workspace: the invitation waits here
            #expect(home.text.contains("<strong>Acme Corp</strong> invites you to join as Contributor"))
            #expect(try await mallory.get("/t/acme/data/exports").status == .notFound)  // not a member yet
            let id = try #require(try await world.database.invitations(userId: world.userId("mallory@globex.test")).first?.invitation.id)

            // Nobody else can answer it, and a form without the session's token is refused.
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            #expect(try await bob.post("/invitations", [("invitation", "\(id)"), ("decision", "accept")]).status == .notFound)
            #expect(try await mallory.postRaw("/invitations", [("invitation", "\(id)"), ("decision", "accept")]).status == .forbidden)
            #expect(try await mallory.get("/t/acme/data/exports").status == .notFound)

            // Declined: still not a member; invited again and accepted: a contributor of Acme.
            let declined = try await mallory.post("/invitations", [("invitation", "\(id)"), ("decision", "decline")])
            #expect(declined.headers[.location] == "/?done=declined")
            #expect(try await mallory.get("/t/acme/data/exports").status == .notFound)
            #expect(try await mallory.get(try #require(declined.headers[.location])).text.contains("The invitation was declined."))
            _ = try await alice.post(page, [("email", "mallory@globex.test"), ("role", "contributor")], tokenFrom: page)
            let again = try #require(try await world.database.invitations(tenantId: world.acme.id!).first?.id)
            let accepted = try await mallory.post("/invitations", [("invitation", "\(again)"), ("decision", "accept")])
            #expect(accepted.headers[.location] == "/t/acme")
            #expect(try await mallory.get("/t/acme/data/exports").status == .ok)
            #expect(try await mallory.get(page).status == .forbidden)
            #expect(try await world.database.invitations(tenantId: world.acme.id!).isEmpty)
        }
        let member = try #require(try await world.database.members(tenantId: world.acme.id!).first { $0.email == "mallory@globex.test" })
        #expect(member.role == .contributor)
        let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events.filter { $0.action.hasPrefix("member.") }
        #expect(
            events.prefix(4).map(\.detail) == [
                "mallory@globex.test accepted the invitation and joined as Contributor", "Invited mallory@globex.test as Contributor",
                "mallory@globex.test declined the invitation", "Invited mallory@globex.test as Contributor",
            ]
        )
        #expect(events.first?.actorEmail == "mallory@globex.test")
        let globex = try await world.database.activity(tenantId: world.globex.id!, page: 1).events
        #expect(!globex.contains { $0.detail.contains("Acme") || $0.detail.contains("invitation") })
    }

    @Test func aNewAccountSignsInWithItsOneTimePasswordThenAccepts() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let added = try await alice.post(page, [("email", "dave@acme.test"), ("role", "contributor")], tokenFrom: page)
            #expect(added.status == .ok)
            let password = try Self.oneTimePassword(in: added.text)
            #expect(!(try await alice.get(page).text.contains(password)))  // shown once

            var dave = Browser(client: client)
            #expect(try await dave.signIn("dave@acme.test", password).headers[.location] == "/account")
            let stored = try #require(try await world.database.user(email: "dave@acme.test"))
            #expect(!stored.passwordHash.contains(password))
            #expect(stored.mustChangePassword)
            let changed = try await dave.post(
                "/account/password",
                [("current", password), ("new", "a long password of my own"), ("confirm", "a long password of my own")]
            )
            #expect(changed.status == .seeOther)
            #expect(try await dave.get("/t/acme/data/exports").status == .notFound)
            #expect(try await dave.get("/").text.contains("<strong>Acme Corp</strong> invites you to join as Contributor"))
            let id = try #require(try await world.database.invitations(userId: stored.id!).first?.invitation.id)
            #expect(try await dave.post("/invitations", [("invitation", "\(id)"), ("decision", "accept")]).headers[.location] == "/t/acme")
            #expect(try await dave.get("/t/acme/data/exports").status == .ok)
        }
        #expect(try await world.database.members(tenantId: world.acme.id!).first { $0.email == "dave@acme.test" }?.role == .contributor)
    }

    @Test func anAdministratorWithdrawsAPendingInvitation() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            _ = try await alice.post(page, [("email", "mallory@globex.test"), ("role", "viewer")], tokenFrom: page)
            let twice = try await alice.post(page, [("email", "MALLORY@globex.test"), ("role", "viewer")], tokenFrom: page)
            #expect(twice.status == .unprocessableContent)
            #expect(twice.text.contains("MALLORY@globex.test is already invited to this workspace."))
            let id = try #require(try await world.database.invitations(tenantId: world.acme.id!).first?.id)

            // Another workspace's administrator cannot withdraw it.
            var mallory = Browser(client: client)
            try await mallory.signIn("mallory@globex.test")
            #expect(try await mallory.post("/t/globex/admin/members/invitations/\(id)/withdraw", []).status == .notFound)
            #expect(try await world.database.invitations(tenantId: world.acme.id!).count == 1)

            let withdrawn = try await alice.post("\(page)/invitations/\(id)/withdraw", [], tokenFrom: page)
            #expect(withdrawn.headers[.location] == "\(page)?done=withdrawn")
            #expect(try await alice.get("\(page)?done=withdrawn").text.contains("The invitation was withdrawn."))
            #expect(!(try await mallory.get("/").text.contains("Acme Corp")))
            #expect(try await mallory.post("/invitations", [("invitation", "\(id)"), ("decision", "accept")]).status == .notFound)
        }
        #expect(try await world.database.invitations(tenantId: world.acme.id!).isEmpty)
        #expect(try await world.database.members(tenantId: world.acme.id!).contains { $0.email == "mallory@globex.test" } == false)
        let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events
        #expect(events.first?.detail == "Withdrew the invitation of mallory@globex.test")
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
            let lastAdminPage = try await alice.get("\(page)/\(aliceId)/remove").text
            expectText(lastAdminPage, "is the last administrator of this workspace and cannot be removed")
            #expect(!lastAdminPage.contains("id=\"remove-member\""))
            #expect(try await alice.get("\(page)/\(world.userId("mallory@globex.test"))/remove").status == .notFound)
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
            // Members links to a page that says what removing does; its button is the only way to remove.
            let list = try await alice.get(page).text
            #expect(list.contains("href=\"\(page)/\(bobId)/remove\""))
            #expect(!list.contains("action=\"\(page)/\(bobId)/remove\""))
            let confirm = try await alice.get("\(page)/\(bobId)/remove").text
            expectText(confirm, "Remove bob@acme.test from Acme Corp?")
            expectText(confirm, "bob@acme.test (Contributor) loses access to this workspace at once")
            expectText(confirm, "The account itself stays, with its password and its other workspaces.")
            expectText(confirm, "action=\"\(page)/\(bobId)/remove\"")
            #expect(try await world.database.members(tenantId: world.acme.id!).contains { $0.userId == bobId })
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
            let added = try #require(html.range(of: "Invited dave@acme.test as Viewer"))
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
            #expect(second.contains("Invited dave@acme.test"))
        }
    }

    @Test func anAdminResetsAMembersPasswordShownOnceAndTheirSessionsEnd() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            #expect(try await bob.get("/t/acme/data/exports").status == .ok)

            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let bobId = world.userId("bob@acme.test")
            let list = try await alice.get(page).text
            expectText(list, "href=\"\(page)/\(bobId)/reset-password\"")
            #expect(!list.contains("\(page)/\(world.userId("alice@acme.test"))/reset-password"))  // own: the account page
            let confirm = try await alice.get("\(page)/\(bobId)/reset-password").text
            expectText(confirm, "Reset the password of bob@acme.test?")
            expectText(confirm, "Their current password stops working and every session of theirs ends at once.")

            let reset = try await alice.post("\(page)/\(bobId)/reset-password", [], tokenFrom: page)
            #expect(reset.status == .ok)
            expectText(reset.text, "New one-time password for <strong>bob@acme.test</strong>, shown only this once")
            let password = try #require(reset.text.firstMatch(of: /id="one-time-password">([^<]+)</)?.output.1)
            #expect(!(try await alice.get(page).text.contains(String(password))))  // shown once

            // Bob's open session is over, his old password fails, the new one leads to choosing his own.
            #expect(try await bob.get("/t/acme/data/exports").headers[.location] == "/login")
            var again = Browser(client: client)
            #expect(try await again.signIn("bob@acme.test").status == .unprocessableContent)
            let signedIn = try await again.signIn("bob@acme.test", String(password))
            #expect(signedIn.headers[.location] == "/account")

            let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events
            #expect(
                events.contains {
                    $0.detail == "Reset the password of bob@acme.test and ended their sessions" && $0.actorEmail == "alice@acme.test"
                }
            )
            #expect(!events.contains { $0.detail.contains(String(password)) })

            // Not their own, not another workspace's member, and not an account shared with another workspace.
            #expect(
                try await alice.post("\(page)/\(world.userId("alice@acme.test"))/reset-password", [], tokenFrom: page).status == .notFound
            )
            #expect(
                try await alice.post("\(page)/\(world.userId("mallory@globex.test"))/reset-password", [], tokenFrom: page).status
                    == .notFound
            )
            _ = try await world.database.addMember(
                tenantId: world.acme.id!,
                email: "mallory@globex.test",
                role: .viewer,
                newPasswordHash: "unused",
                actor: .commandLine
            )
            let mallory = world.userId("mallory@globex.test")
            expectText(try await alice.get("\(page)/\(mallory)/reset-password").text, "also belongs to other workspaces")
            let refused = try await alice.post("\(page)/\(mallory)/reset-password", [], tokenFrom: page)
            #expect(refused.status == .conflict)
            #expect(!refused.text.contains("id=\"one-time-password\""))
            var malloryBrowser = Browser(client: client)
            #expect(try await malloryBrowser.signIn("mallory@globex.test").status == .seeOther)
        }
    }
}

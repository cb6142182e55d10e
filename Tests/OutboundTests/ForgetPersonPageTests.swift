import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

@testable import Web

/// Data > Profiles > Forget a person through the router: administrators only, CSRF, other workspaces 404, and what
/// the page says (the outcome, never the email; ActiveCampaign is outside Outbound).
@Suite struct ForgetPersonPageTests {
    let page = "/t/acme/data/profiles/forget"

    @Test func anAdministratorForgetsAPersonAndThePageNeverRepeatsTheEmail() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV(
            "profile_id,email,name\n1,gone@example.com,Gina\n2,stays@example.com,Stan\n",
            into: world.database,
            tenantId: world.acme.id!
        )
        _ = try await importCSV("profile_id,email\n9,gone@example.com\n", into: world.database, tenantId: world.globex.id!)
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            #expect(try await alice.get("/t/acme/data/profiles").text.contains(#"href="\#(page)" id="forget-person""#))
            let shown = try await alice.get(page)
            #expect(shown.status == .ok)
            #expect(shown.text.contains("Contacts already sent stay in ActiveCampaign"))

            let empty = try await alice.post(page, [("email", "  ")], tokenFrom: page)
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains("Enter the email address of the person to forget."))

            let done = try await alice.post(page, [("email", "Gone@Example.com")], tokenFrom: page)
            #expect(done.status == .ok)
            #expect(done.text.contains("Done: removed 1 profile(s)"))
            #expect(done.text.contains("Their contact in ActiveCampaign is outside Outbound"))
            #expect(!done.text.lowercased().contains("gone@example.com"))

            let withoutToken = try await alice.postRaw(page, [("email", "stays@example.com")])
            #expect(withoutToken.status == .forbidden)
        }
        #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 1)
        #expect(try await world.database.profileCount(tenantId: world.globex.id!) == 1, "another workspace's person stays")
        let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events.filter {
            $0.action == "profiles.forgotten"
        }
        #expect(events.count == 1)
        #expect(events.allSatisfy { !$0.detail.contains("@") && $0.actorEmail == "alice@acme.test" })
    }

    @Test func contributorsViewersAndOtherWorkspacesCannotForget() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV("profile_id,email\n1,kept@example.com\n", into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            for email in ["bob@acme.test", "carol@acme.test"] {
                var person = Browser(client: client)
                try await person.signIn(email)
                #expect(try await person.get(page).status == .forbidden, "\(email)")
                #expect(
                    try await person.post(page, [("email", "kept@example.com")], tokenFrom: "/t/acme/data/profiles").status == .forbidden
                )
                #expect(!(try await person.get("/t/acme/data/profiles").text.contains("forget-person")))
            }
            var mallory = Browser(client: client)
            try await mallory.signIn("mallory@globex.test")
            #expect(try await mallory.get(page).status == .notFound)
        }
        #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 1)
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Web

/// The demo page shows what the in-process sandbox received: only in demo mode, signed in, to members of the
/// workspace, escaped.
@Suite struct DemoPageTests {
    static let received = DemoReceived(
        address: "http://127.0.0.1:8089",
        contacts: 1_234,
        lists: [
            .init(
                id: 3,
                name: "Newsletter <b>",
                active: 1_200,
                unsubscribed: 34,
                recent: [
                    .init(email: "<script>x</script>@demo.test", name: "Ann Lee", phone: "+49 30 1234", status: "active", updated: Date())
                ]
            ),
            .init(id: 4, name: "Customers", active: 0, unsubscribed: 0, recent: []),
        ],
        imports: [.init(queuedAt: Date(), status: "completed", contacts: 250, succeeded: 249, failed: 1)]
    )

    static func demoWorld() async throws -> TestWorld {
        try await TestWorld.make { $0.demo = DemoMode(received: { Self.received }) }
    }

    @Test func membersOfEveryRoleSeeWhatTheSandboxReceivedEscaped() async throws {
        let world = try await Self.demoWorld()
        try await world.app().test(.router) { client in
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            let page = try await carol.get("/t/acme/demo/activecampaign")
            #expect(page.status == .ok)
            #expect(page.text.contains("1,234 contacts in the account."))
            #expect(page.text.contains("List 3: Newsletter &lt;b&gt;"))
            #expect(page.text.contains("&lt;script&gt;x&lt;/script&gt;@demo.test"))
            #expect(!page.text.contains("<script>x</script>"))
            #expect(page.text.contains("<td>Completed</td><td>250</td><td>249</td><td>1</td>"))
            #expect(page.text.contains("<td>Active</td>"))
            #expect(page.text.contains("No contact on this list yet."))
            // The navigation links it on every workspace page.
            #expect(try await carol.get("/t/acme/data/exports").text.contains(#"href="/t/acme/demo/activecampaign""#))
        }
    }

    @Test func otherWorkspacesGet404AndSignedOutPeopleTheSignIn() async throws {
        let world = try await Self.demoWorld()
        try await world.app().test(.router) { client in
            var mallory = Browser(client: client)
            try await mallory.signIn("mallory@globex.test")
            #expect(try await mallory.get("/t/acme/demo/activecampaign").status == .notFound)
            let signedOut = try await Browser(client: client).get("/t/acme/demo/activecampaign")
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.headers[.location]?.hasPrefix("/login") == true)
        }
    }

    @Test func outsideDemoModeThereIsNoDemoPageNorLink() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            #expect(try await alice.get("/t/acme/demo/activecampaign").status == .notFound)
            #expect(!(try await alice.get("/t/acme/data/exports").text.contains("demo/activecampaign")))
        }
    }
}

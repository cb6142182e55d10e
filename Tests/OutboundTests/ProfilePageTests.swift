import Hummingbird
import HummingbirdTesting
import Store
import Testing

@testable import Web

/// One profile (issue 15): the list links each id to a page with every attribute whole; it can be deleted after a
/// confirmation; the list fits a window and says when some attributes are only on the profile's page.
@Suite struct ProfilePageTests {
    @Test func aProfileOpensWithEveryAttributeAndIsDeletedAfterConfirming() async throws {
        let world = try await TestWorld.make()
        let long = String(repeating: "very long note ", count: 40) + "end"
        let columns = (1...10).map { "c\($0)" }
        let header = "profile_id,email," + columns.joined(separator: ",") + ",note"
        let row = "p1,ana@example.com," + columns.map { "v-\($0)" }.joined(separator: ",") + ",\(long)"
        _ = try await importCSV(
            header + "\n" + row + "\np2,bo@example.com\(String(repeating: ",", count: 11))\n",
            into: world.database,
            tenantId: world.acme.id!
        )
        let p1 = try #require(try await world.database.profiles(tenantId: world.acme.id!, afterRowId: 0, limit: 1, search: nil).first)
        try await world.app().test(.router) { client in
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            let list = try await carol.get("/t/acme/data/profiles").text
            expectText(list, #"<td><a href="/t/acme/data/profiles/\#(p1.rowId)">p1</a></td>"#)
            expectText(list, "4 more attributes are on each profile")
            expectText(list, #"<table class="profiles" id="profiles">"#)

            let page = try await carol.get("/t/acme/data/profiles/\(p1.rowId)").text
            expectText(page, "<h1>Profile p1</h1>")
            expectText(page, "<td>v-c10</td>")
            expectText(page, "<td>\(long)</td>")  // whole, where the list cuts it
            #expect(!page.contains("Delete this profile"))  // a viewer reads only
            #expect(try await carol.get("/t/acme/data/profiles/\(p1.rowId)/delete").status == .forbidden)

            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            expectText(try await bob.get("/t/acme/data/profiles/\(p1.rowId)").text, "Delete this profile…")
            let confirm = try await bob.get("/t/acme/data/profiles/\(p1.rowId)/delete").text
            expectText(confirm, "Delete profile p1?")
            expectText(confirm, "takes it out of every segment at once")
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 2)
            let deleted = try await bob.post("/t/acme/data/profiles/\(p1.rowId)/delete", [], tokenFrom: "/t/acme/data/profiles")
            #expect(deleted.headers[.location] == "/t/acme/data/profiles?done=deletedOne")
            expectText(try await bob.get(deleted.headers[.location]!).text, "The profile was deleted.")
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 1)
            #expect(try await bob.get("/t/acme/data/profiles/\(p1.rowId)").status == .notFound)
            let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events
            #expect(events.first?.detail == "Deleted the profile p1" && events.first?.actorEmail == "bob@acme.test")

            // Another workspace's profile is not found, for reading or deleting.
            var mallory = Browser(client: client)
            try await mallory.signIn("mallory@globex.test")
            let p2 = try #require(try await world.database.profiles(tenantId: world.acme.id!, afterRowId: 0, limit: 1, search: nil).first)
            #expect(try await mallory.get("/t/globex/data/profiles/\(p2.rowId)").status == .notFound)
            #expect(
                try await mallory.post("/t/globex/data/profiles/\(p2.rowId)/delete", [], tokenFrom: "/t/globex/data/profiles").status
                    == .notFound
            )
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 1)
        }
    }
}

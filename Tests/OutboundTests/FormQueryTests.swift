import Foundation
import HummingbirdTesting
import Testing

@testable import Web

/// Queries are read as forms send them: `+` is a space, `%2B` is a plus.
@Suite struct FormQueryTests {
    @Test func plusIsASpaceAndAnEscapedPlusIsAPlus() {
        let query = FormQuery("q=Jane+Doe&plus=a%2Bb&empty=&flag&page=3")
        #expect(query.get("q") == "Jane Doe")
        #expect(query.get("plus") == "a+b")
        #expect(query.get("empty") == "")
        #expect(query.get("flag") == "")
        #expect(query.get("page", as: Int.self) == 3)
        #expect(query.get("missing") == nil)
    }

    @Test func aSearchFromTheBrowsersFormFindsTheValueWithASpace() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV("profile_id,name\np1,Jane Doe\np2,Jane+Doe\np3,Jane\n", into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            // What a browser's GET form sends for "Jane Doe".
            let spaced = try await alice.get("/t/acme/data/profiles?q=Jane+Doe").text
            expectText(spaced, "value=\"Jane Doe\"")
            expectText(spaced, ">p1</a></td>")
            #expect(!spaced.contains(">p2</a></td>") && !spaced.contains(">p3</a></td>"))
            let plus = try await alice.get("/t/acme/data/profiles?q=Jane%2BDoe").text
            expectText(plus, ">p2</a></td>")
            #expect(!plus.contains(">p1</a></td>"))
        }
    }
}

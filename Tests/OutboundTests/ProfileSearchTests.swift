import Foundation
import Testing

@testable import Store

/// Profile search matches the id and the values, never the stored JSON around them.
@Suite struct ProfileSearchTests {
    @Test func searchMatchesValuesAndIdsNotTheStoredJSON() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(
            "profile_id,name,city,score\np1,Ana,Berlin,12\np2,Bo,,7\nx9,Cy,Köln,\n",
            into: fixture.database,
            tenantId: fixture.tenantId
        )
        func search(_ text: String) async throws -> [String] {
            try await fixture.database.profiles(tenantId: fixture.tenantId, afterRowId: 0, limit: 100, search: text).map(\.profileId)
        }
        for stored in ["a1", "a2", ":", "\"", "null", "{", "}", ","] {
            #expect(try await search(stored).isEmpty, "“\(stored)” is part of the stored JSON, not of any value")
        }
        #expect(try await search("berlin") == ["p1"])
        #expect(try await search("12") == ["p1"])
        #expect(try await search("X9") == ["x9"])
        #expect(try await search("Köln") == ["x9"])
        #expect(try await search("b") == ["p1", "p2"])  // Berlin, Bo
    }
}

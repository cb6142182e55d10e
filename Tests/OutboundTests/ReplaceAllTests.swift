import Foundation
import HummingbirdTesting
import ProfileImport
import Store
import Testing

@testable import Web

/// "Replace all" cannot silently delete everything: it is confirmed with the count it may remove, refuses a
/// file with no rows, and Activity records what it removed.
@Suite struct ReplaceAllTests {
    @Test func aHeaderOnlyFileNeverReplacesAnything() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV("profile_id,name\n1,Ana\n2,Bo\n", into: fixture.database, tenantId: fixture.tenantId)
        let job = try await importCSV(
            "profile_id,name\n",
            into: fixture.database,
            tenantId: fixture.tenantId,
            options: ImportOptions(replaceAll: true)
        )
        #expect(job.status == .failed)
        #expect(job.rowsRemoved == 0)
        #expect(job.message?.hasPrefix("The file has a header row (profile_id, name) but no profiles under it") == true)
        #expect(try await fixture.database.profileCount(tenantId: fixture.tenantId) == 2)
    }

    @Test func replacingAllIsConfirmedWithTheCountAndRecordedWithWhatItRemoved() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV("profile_id,name\n1,Ana\n2,Bo\n3,Cy\n", into: world.database, tenantId: world.acme.id!)
        let pages = DataPagesTests()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let page = try await alice.get("/t/acme/data/profiles").text
            expectText(page, "To replace all, type the number of profiles there are now (3)")
            let token = try #require(Browser.csrf(in: page))

            let unconfirmed = try await pages.upload(alice, "profile_id,name\n2,Bo\n", fields: [("replaceAll", "yes")], csrf: token)
            #expect(unconfirmed.status == .badRequest)
            expectText(unconfirmed.text, "up to 3 profiles. To confirm, type 3")
            let wrongCount = try await pages.upload(
                alice,
                "profile_id,name\n2,Bo\n",
                fields: [("replaceAll", "yes"), ("confirmRemoval", "2")],
                csrf: token
            )
            #expect(wrongCount.status == .badRequest)
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 3)

            let confirmed = try await pages.upload(
                alice,
                "profile_id,name\n2,Bo\n",
                fields: [("replaceAll", "yes"), ("confirmRemoval", "3")],
                csrf: token
            )
            let done = try await pages.waitForJob(alice, try #require(confirmed.headers[.location]))
            expectText(done, "Imported")
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 1)
            // The job's thread records the activity just after the job's final state: wait for it, not for time.
            let expected = "Imported people.csv: 1 row, 0 rejected, replace all removed 2 profiles"
            var recorded = false
            for _ in 0..<30_000 where !recorded {
                recorded = try await world.database.activity(tenantId: world.acme.id!, page: 1).events.contains { $0.detail == expected }
                if !recorded { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(recorded)
        }
    }
}

import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ProfileImport
@testable import Store
@testable import Web

/// Admin > Activity records what happens to accounts (never a password; lock-outs: SignInThrottleTests), filters by kind and person, and reads
/// one short index range per page whatever the number of events.
@Suite struct ActivityTests {
    static let page = "/t/acme/admin/activity"

    @Test func signInsFailuresLockOutsAndPasswordChangesAreRecordedAndFiltered() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var wrong = Browser(client: client)
            #expect(try await wrong.signIn("bob@acme.test", "not bob's password").status == .unprocessableContent)
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            let newPassword = "bob's brand new passphrase"
            let changed = try await bob.post(
                "/account/password",
                [("current", TestWorld.password), ("new", newPassword), ("confirm", newPassword)]
            )
            #expect(changed.status == .seeOther)

            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let all = try await alice.get(Self.page).text
            for action in ["signin.failed", "signin.succeeded", "account.password_changed"] { expectText(all, "<code>\(action)</code>") }
            #expect(!all.contains(newPassword) && !all.contains("not bob&#39;s password") && !all.contains(TestWorld.password))
            expectText(all, #"<option value="signin.failed">Failed sign-ins</option>"#)
            expectText(all, #"<option value="bob@acme.test">bob@acme.test</option>"#)

            let failures = try await alice.get(Self.page + "?kind=signin.failed").text
            expectText(failures, "Failed sign-in for bob@acme.test")
            #expect(!failures.contains("<code>signin.succeeded</code>"))
            expectText(failures, #"<option value="signin.failed" selected>Failed sign-ins</option>"#)

            let bobs = try await alice.get(Self.page + "?person=bob%40acme.test").text
            expectText(bobs, "<code>account.password_changed</code>")
            expectText(bobs, "<code>signin.succeeded</code>")
            #expect(!bobs.contains("<td>alice@acme.test</td>"))
            #expect(!bobs.contains("<code>signin.failed</code>"))  // by an unknown "sign-in attempt", not by bob

            let both = try await alice.get(Self.page + "?kind=signin.succeeded&person=alice%40acme.test").text
            #expect(both.components(separatedBy: "<code>signin.succeeded</code>").count == 2)
            // Other workspaces never see acme's events: mallory's globex log has none of bob's.
            let globex = try await world.database.activity(tenantId: world.globex.id!, page: 1).events
            #expect(!globex.contains { $0.detail.contains("bob@acme.test") })
        }
    }

    /// 100,000 events: every filter's page is read from its index in order (no sort of the whole set), so a page
    /// costs the same at any size. The plan is asserted, not a time, so the machine's speed cannot change the outcome.
    @Test func aPageOf100000EventsIsOneIndexRangeForEveryFilter() async throws {
        let world = try await TestWorld.make()
        let tenant = world.acme.id!
        try await world.database.writer.write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                    INSERT INTO activity (tenantId, actorUserId, actorEmail, action, detail, clientAddress, createdAt)
                    SELECT ?, NULL, CASE i % 3 WHEN 0 THEN 'alice@acme.test' WHEN 1 THEN 'bob@acme.test' ELSE 'command line' END,
                           CASE i % 4 WHEN 0 THEN 'signin.succeeded' WHEN 1 THEN 'signin.failed' WHEN 2 THEN 'export.run' ELSE 'segment.refreshed' END,
                           'event ' || i, '203.0.113.7', '2026-11-25 10:00:00'
                    FROM n
                    """,
                arguments: [tenant]
            )
        }
        for (action, person) in [(nil, nil), ("signin.failed", nil), (nil, "bob@acme.test"), ("export.run", "alice@acme.test")]
            as [(String?, String?)]
        {
            let (sql, arguments) = AppDatabase.activityQuery(tenantId: tenant, action: action, actorEmail: person)
            let plan = try await world.database.reader.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql + " LIMIT 51 OFFSET 0", arguments: arguments).map {
                    $0["detail"] as String
                }
            }
            #expect(plan.contains { $0.contains("USING INDEX") || $0.contains("USING COVERING INDEX") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(action ?? "-") \(person ?? "-"): \(plan)")
            let page = try await world.database.activity(tenantId: tenant, page: 3, action: action, actorEmail: person)
            #expect(page.events.count == 50 && page.hasMore)
            #expect(page.events.allSatisfy { (action == nil || $0.action == action) && (person == nil || $0.actorEmail == person) })
            #expect(page.events.map(\.id!) == page.events.map(\.id!).sorted(by: >))
        }
    }

    /// Details read as sentences: counts agree with their nouns and carry the thousands separator like the pages,
    /// and a tenant is a workspace to the people reading them.
    @Test func detailsCountInWordsAndSayWorkspace() async throws {
        let world = try await TestWorld.make()
        let initech = try await world.database.createTenant(slug: "initech", name: "Initech")
        #expect(
            try await world.database.activity(tenantId: initech.id!, page: 1).events.map(\.detail) == [
                "Created workspace Initech (initech)"
            ]
        )

        let condition = RuleCondition(attribute: "email", op: .isNotEmpty)
        for (name, conditions) in [("One", [condition]), ("Two", [condition, condition])] {
            _ = try await world.database.saveSegment(
                tenantId: initech.id!,
                id: nil,
                name: name,
                description: "",
                rules: SegmentRules(combinator: .all, groups: [RuleGroup(combinator: .all, conditions: conditions)]),
                actor: .commandLine,
                now: world.clock.now
            )
        }
        let segments = try await world.database.activity(tenantId: initech.id!, page: 1).events.filter { $0.action == "segment.created" }
        #expect(Set(segments.map(\.detail)) == ["Created segment One (1 condition)", "Created segment Two (2 conditions)"])

        var job = try await world.database.startImport(
            tenantId: initech.id!,
            fileName: "file.csv",
            replaceAll: false,
            userId: nil,
            now: .now
        )
        (job.status, job.rowsImported, job.rowsRejected) = (.succeeded, 20_000, 1_500)
        #expect(ImportService.activity(for: job).detail == "Imported file.csv: 20,000 rows, 1,500 rejected")
        (job.rowsImported, job.rowsRejected, job.replaceAll, job.rowsRemoved) = (1, 0, true, 1)
        #expect(ImportService.activity(for: job).detail == "Imported file.csv: 1 row, 0 rejected, replace all removed 1 profile")
    }
}

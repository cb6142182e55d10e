import Foundation
import Hummingbird
import HummingbirdTesting
import ProfileImport
import Testing

@testable import Store
@testable import Web

let segmentData = """
    profile_id,email,first_name,country,lifetime_value,signup_date,is_subscriber,tier
    p1,ana@example.com,Ana,DE,120.5,2024-01-10,true,gold
    p2,bo@example.org,Bo,FR,80,2023-12-01,false,silver
    p3,cy@example.com,Cy,DE,,2024-03-05,true,bronze
    p4,,Di,US,1500,2022-07-19,false,platinum
    p5,ed@mail.example.net,Édouard,de,45,2024-01-10,true,
    """

@Suite struct SegmentRuleTests {
    func members(_ fixture: ImportFixture, _ rules: SegmentRules) async throws -> [String] {
        let segment = try await fixture.database.saveSegment(
            tenantId: fixture.tenantId,
            id: nil,
            name: UUID().uuidString,
            description: "",
            rules: rules,
            actor: .commandLine,
            now: .now
        )
        try fixture.database.refreshSegment(tenantId: fixture.tenantId, id: segment.id!, now: .now)
        return try await fixture.database.segmentMemberIds(tenantId: fixture.tenantId, segmentId: segment.id!)
    }

    func one(_ attribute: String, _ op: RuleOperator, _ value: String = "", _ value2: String = "") -> SegmentRules {
        SegmentRules(
            combinator: .all,
            groups: [RuleGroup(combinator: .all, conditions: [RuleCondition(attribute: attribute, op: op, value: value, value2: value2)])]
        )
    }

    @Test func everyOperatorSelectsWhatItSays() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(segmentData, into: fixture.database, tenantId: fixture.tenantId)
        let cases: [(SegmentRules, [String])] = [
            (one("country", .equals, "de"), ["p1", "p3", "p5"]),
            (one("country", .notEquals, "DE"), ["p2", "p4"]),
            (one("email", .contains, "EXAMPLE.COM"), ["p1", "p3"]),
            (one("first_name", .startsWith, "éd"), ["p5"]),  // case folded for all of Unicode, not ASCII only
            (one("first_name", .equals, "ÉDOUARD"), ["p5"]),
            (one("first_name", .inList, "ana, ÉDOUARD"), ["p1", "p5"]),
            (one("first_name", .startsWith, "e"), []),  // É is not E
            (one("email", .endsWith, ".org"), ["p2"]),
            (one("lifetime_value", .greaterThan, "100"), ["p1", "p4"]),
            (one("lifetime_value", .greaterOrEqual, "80"), ["p1", "p2", "p4"]),
            (one("lifetime_value", .lessThan, "80"), ["p5"]),
            (one("lifetime_value", .lessOrEqual, "80"), ["p2", "p5"]),
            (one("lifetime_value", .between, "50", "200"), ["p1", "p2"]),
            (one("signup_date", .between, "2024-01-01", "2024-01-31"), ["p1", "p5"]),
            (one("signup_date", .lessThan, "2024-01-01"), ["p2", "p4"]),
            (one("email", .isEmpty), ["p4"]),
            (one("tier", .isNotEmpty), ["p1", "p2", "p3", "p4"]),
            (one("tier", .inList, "gold, Platinum"), ["p1", "p4"]),
            (one("lifetime_value", .inList, "80,45"), ["p2", "p5"]),
            (one("is_subscriber", .equals, "yes"), ["p1", "p3", "p5"]),
            (one("is_subscriber", .notEquals, "true"), ["p2", "p4"]),
        ]
        for (rules, expected) in cases {
            let condition = rules.groups[0].conditions[0]
            #expect(try await members(fixture, rules) == expected, "\(condition.attribute) \(condition.op) \(condition.value)")
        }
    }

    @Test func groupsCombineWithAndAndOr() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(segmentData, into: fixture.database, tenantId: fixture.tenantId)
        // (country = DE AND subscriber) OR (tier = platinum)
        let rules = SegmentRules(
            combinator: .any,
            groups: [
                RuleGroup(
                    combinator: .all,
                    conditions: [
                        RuleCondition(attribute: "country", op: .equals, value: "DE"),
                        RuleCondition(attribute: "is_subscriber", op: .equals, value: "true"),
                    ]
                ),
                RuleGroup(combinator: .all, conditions: [RuleCondition(attribute: "tier", op: .equals, value: "platinum")]),
            ]
        )
        #expect(try await members(fixture, rules) == ["p1", "p3", "p4", "p5"])
        // (tier = gold OR tier = silver) AND lifetime_value > 100
        let other = SegmentRules(
            combinator: .all,
            groups: [
                RuleGroup(
                    combinator: .any,
                    conditions: [
                        RuleCondition(attribute: "tier", op: .equals, value: "gold"),
                        RuleCondition(attribute: "tier", op: .equals, value: "silver"),
                    ]
                ),
                RuleGroup(combinator: .all, conditions: [RuleCondition(attribute: "lifetime_value", op: .greaterThan, value: "100")]),
            ]
        )
        #expect(try await members(fixture, other) == ["p1"])
        #expect(try await fixture.database.countMatching(tenantId: fixture.tenantId, rules: other) == 1)
    }

    @Test func wrongRulesAreRefusedWithTheirPlace() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(segmentData, into: fixture.database, tenantId: fixture.tenantId)
        let attributes = try await fixture.database.attributes(tenantId: fixture.tenantId)
        let cases: [(SegmentRules, String)] = [
            (one("nope", .equals, "x"), "There is no attribute called nope."),
            (one("lifetime_value", .contains, "1"), "lifetime_value is a number attribute; “contains” does not apply to it."),
            (one("lifetime_value", .greaterThan, "lots"), "lots is not a number."),
            (one("signup_date", .between, "2024-01-01"), "Enter both ends of the range for signup_date."),
            (one("country", .equals, " "), "Enter a value for country."),
        ]
        for (rules, message) in cases {
            #expect(throws: SegmentRules.Problem(group: 0, condition: 0, message: message)) { try rules.compile(attributes: attributes) }
        }
        // A value made of SQL is only ever a value.
        let injection = one("country", .equals, "DE' OR '1'='1")
        #expect(try await members(fixture, injection) == [])
        #expect(try await fixture.database.profileCount(tenantId: fixture.tenantId) == 5)
    }

    @Test func refreshSwapsInANewGenerationAndClearsTheOld() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(segmentData, into: fixture.database, tenantId: fixture.tenantId)
        let segment = try await fixture.database.saveSegment(
            tenantId: fixture.tenantId,
            id: nil,
            name: "Germany",
            description: "",
            rules: one("country", .equals, "DE"),
            actor: .commandLine,
            now: .now
        )
        #expect(try fixture.database.refreshSegment(tenantId: fixture.tenantId, id: segment.id!, now: .now) == 3)
        _ = try await importCSV("profile_id,country\np2,DE\np3,AT\n", into: fixture.database, tenantId: fixture.tenantId)
        // Until it is refreshed, the segment keeps the members it had.
        #expect(try await fixture.database.segmentMemberIds(tenantId: fixture.tenantId, segmentId: segment.id!) == ["p1", "p3", "p5"])
        #expect(try fixture.database.refreshSegment(tenantId: fixture.tenantId, id: segment.id!, now: .now, chunkRows: 2) == 3)
        #expect(try await fixture.database.segmentMemberIds(tenantId: fixture.tenantId, segmentId: segment.id!) == ["p1", "p2", "p5"])
        let rows = try await fixture.database.reader.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM segmentMember WHERE segmentId = ?", arguments: [segment.id!])
        }
        #expect(rows == 3)
        let stored = try #require(try await fixture.database.segment(tenantId: fixture.tenantId, id: segment.id!))
        #expect(stored.generation == 2)
        #expect(stored.memberCount == 3)
    }
}

@Suite struct DataPagesTests {
    /// A multipart body as the page's form sends it: the CSRF token first (when given), then the file, then the
    /// other fields.
    static func multipart(
        file: String,
        fields: [(String, String)] = [],
        csrf: String? = nil,
        boundary: String = "XyZ123boundary"
    ) -> (ByteBuffer, String) {
        func part(_ name: String, _ value: String) -> String {
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        var body = csrf.map { part("_csrf", $0) } ?? ""
        body +=
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n\(file)\r\n"
        for (name, value) in fields { body += part(name, value) }
        body += "--\(boundary)--\r\n"
        return (ByteBuffer(string: body), "multipart/form-data; boundary=\(boundary)")
    }

    func upload(
        _ browser: Browser,
        _ file: String,
        fields: [(String, String)] = [],
        csrf: String?,
        uri: String = "/t/acme/data/profiles/import"
    ) async throws -> TestResponse {
        let (body, type) = Self.multipart(file: file, fields: fields, csrf: csrf)
        return try await browser.client.execute(
            uri: uri,
            method: .post,
            headers: [.contentType: type, .cookie: browser.cookie],
            body: body
        ) { $0 }
    }

    /// Reads the job page until it stops refreshing itself. The import runs on a real thread, so this waits for a
    /// state, polling, with a bound (10 minutes) that only a hung import reaches.
    func waitForJob(_ browser: Browser, _ location: String) async throws -> String {
        for _ in 0..<30_000 {
            let page = try await browser.get(location).text
            if !page.contains("http-equiv=\"refresh\"") { return page }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the import did not finish")
        return ""
    }

    /// The newest Activity event of `action`: the service records it just after the job page shows the end, so
    /// this polls, with a bound only a hung import reaches.
    func latestActivity(_ world: TestWorld, _ action: String) async throws -> String? {
        for _ in 0..<30_000 {
            let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events
            if let event = events.first(where: { $0.action == action }) { return event.detail }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no \(action) in Activity")
        return nil
    }

    @Test func anUploadIsImportedAsAJobWithItsProblemsListed() async throws {
        let world = try await TestWorld.make { $0.maxImportBytes = 2_000 }
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)  // a contributor may import
            try await bob.signIn("bob@acme.test")
            let token = try #require(Browser.csrf(in: try await bob.get("/t/acme/data/profiles").text))
            // The header declares the type, so the bad value is caught rather than making the column text.
            let file =
                segmentData.replacingOccurrences(of: "lifetime_value,", with: "lifetime_value:number,")
                + "\np6,x@example.com,Fi,DE,notanumber,2024-01-01,true,gold"
            let response = try await upload(
                bob,
                file,
                fields: [("idColumn", ""), ("replaceAll", "")],
                csrf: token
            )
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix("/t/acme/data/profiles/imports/"))
            let page = try await waitForJob(bob, location)
            expectText(page, "Import of people.csv")
            expectText(page, "Imported with rejected rows")
            expectText(page, #"<td id="rows-imported">5</td>"#)
            expectText(page, "<td>7</td><td>lifetime_value is “notanumber”, not a number</td>")
            let profiles = try await bob.get("/t/acme/data/profiles").text
            expectText(profiles, #"<strong id="profile-count">5</strong>"#)
            expectText(profiles, "Édouard")
            let search = try await bob.get("/t/acme/data/profiles?q=MAIL.EXAMPLE").text
            expectText(search, "ed@mail.example.net")
            #expect(!search.contains("ana@example.com"))
            expectText(try await bob.get("/t/acme/admin/activity").status == .forbidden ? "ok" : "", "ok")

            let tooBig = try await upload(bob, String(repeating: "x", count: 3_000), csrf: token)
            #expect(tooBig.status == .contentTooLarge)
            expectText(tooBig.text, "The file is larger than the 1.95 KiB Outbound accepts.")
            let noToken = try await upload(bob, segmentData, csrf: nil)
            #expect(noToken.status == .forbidden)
            let wrongToken = try await upload(bob, segmentData, csrf: "forged")
            #expect(wrongToken.status == .forbidden)
            // The token travels in the body's first part, never in a URL that logs and history keep.
            let profilesPage = try await bob.get("/t/acme/data/profiles").text
            expectText(profilesPage, #"<form method="post" action="/t/acme/data/profiles/import" enctype="multipart/form-data">"#)
            #expect(!profilesPage.contains("import?_csrf"))
            let inQuery = try await upload(bob, segmentData, csrf: nil, uri: "/t/acme/data/profiles/import?_csrf=\(token)")
            #expect(inQuery.status == .forbidden)
            // A multipart body to any other route is refused before a handler runs.
            let elsewhere = try await upload(bob, segmentData, csrf: token, uri: "/t/acme/data/segments/new")
            #expect(elsewhere.status == .forbidden)
            #expect(try await world.database.recentImports(tenantId: world.acme.id!).count == 1)
        }
    }

    /// Nothing to import gets its own message on a normal page: an empty upload on Profiles (with navigation and
    /// the form), blank lines and a lone header row on the job page; a semicolon file is read as such.
    @Test func emptyBlankAndHeaderOnlyFilesSayWhichAndSemicolonsImport() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let token = try #require(Browser.csrf(in: try await alice.get("/t/acme/data/profiles").text))
            let empty = try await upload(alice, "", csrf: token)
            #expect(empty.status == .badRequest)
            expectText(empty.text, #"<p class="error" role="alert" id="import-error">The file people.csv is empty (0 bytes)"#)
            expectText(empty.text, #"aria-label="Account""#)  // the app's navigation, not a bare error page
            expectText(empty.text, "Import from CSV")

            for (file, message) in [
                ("\n\n   \n", "The file has only blank lines: it needs a header row naming the attributes"),
                ("profile_id,email\n", "The file has a header row (profile_id, email) but no profiles under it"),
            ] {
                let response = try await upload(alice, file, csrf: token)
                let page = try await waitForJob(alice, try #require(response.headers[.location]))
                expectText(page, #"<strong id="import-status">Failed</strong>"#)
                expectText(page, message)
            }
            let semicolons = try await upload(
                alice,
                "profile_id;email;city\n1;ana@example.com;Köln\n2;not-an-email;Bonn\n3;;Ulm\n",
                csrf: token
            )
            let page = try await waitForJob(alice, try #require(semicolons.headers[.location]))
            expectText(page, #"<strong id="import-status">Imported</strong>"#)
            expectText(page, "Read as separated by semicolons (found in the header row).")
            // Profiles without a usable email are imported, and counted, since no export can ever send them.
            expectText(page, "2 imported profiles have no usable email (missing or malformed), so they can never be exported.")
            let list = try await alice.get("/t/acme/data/profiles").text
            expectText(list, "Köln")
            expectText(list, "3 imported, 0 rejected, 2 without a usable email")
        }
    }

    /// A workspace opens where there is something to do: Profiles while empty, then Segments (for those who make
    /// them), then Exports; a viewer never lands on a page of forms they cannot use.
    @Test func aWorkspaceOpensOnTheFirstUsefulPage() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            #expect(try await alice.get("/t/acme").headers[.location] == "/t/acme/data/profiles")
            let empty = try await alice.get("/t/acme/data/profiles").text
            expectText(empty, "No profiles yet. Import a CSV file to add them.")
            #expect(!empty.contains("match “”"))
            expectText(empty, #"<input id="file" name="file" type="file""#)

            _ = try await importCSV("profile_id,email\n1,ana@example.com\n", into: world.database, tenantId: world.acme.id!)
            #expect(try await alice.get("/t/acme").headers[.location] == "/t/acme/data/segments")
            #expect(try await carol.get("/t/acme").headers[.location] == "/t/acme/data/exports")
            _ = try await world.database.saveSegment(
                tenantId: world.acme.id!,
                id: nil,
                name: "All",
                description: "",
                rules: SegmentRules(combinator: .all, groups: []),
                actor: .commandLine,
                now: .now
            )
            #expect(try await alice.get("/t/acme").headers[.location] == "/t/acme/data/exports")
        }
    }

    @Test func anUploadWithoutAnIdColumnAsksForIt() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let token = try #require(Browser.csrf(in: try await alice.get("/t/acme/data/profiles").text))
            let response = try await upload(
                alice,
                "email,customer_no,city\nana@example.com,C-1,Berlin\nbo@example.com,C-2,Paris\n",
                csrf: token
            )
            let location = try #require(response.headers[.location])
            let page = try await waitForJob(alice, location)
            expectText(page, "No column is called profile_id or id.")
            expectText(page, "Which column holds the profile id?")
            expectText(page, #"<option value="customer_no">customer_no</option>"#)
            // It waits for a person; it has not failed.
            expectText(page, #"<strong id="import-status">Waiting for you: choose the id column</strong>"#)
            #expect(!page.contains(">Failed<"))
            expectText(try await alice.get("/t/acme/data/profiles").text, "<td>Waiting for you: choose the id column</td>")
            let waiting = try await latestActivity(world, "profiles.import_waiting")
            #expect(waiting == "Import of people.csv is waiting for someone to choose its id column")
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 0)

            let wrong = try await alice.post(location + "/retry", [("idColumn", "nope")], tokenFrom: location)
            #expect(wrong.status == .badRequest)
            let retried = try await alice.post(location + "/retry", [("idColumn", "customer_no")], tokenFrom: location)
            #expect(retried.status == .seeOther)
            let done = try await waitForJob(alice, try #require(retried.headers[.location]))
            expectText(done, "Imported")
            expectText(done, #"<td id="rows-imported">2</td>"#)
            #expect(try await latestActivity(world, "profiles.imported") == "Imported people.csv: 2 rows, 0 rejected")
            #expect(
                try await world.database.profiles(tenantId: world.acme.id!, afterRowId: 0, limit: 10, search: nil).map(\.profileId) == [
                    "C-1", "C-2",
                ]
            )
            // The kept file is used once.
            let again = try await alice.post(location + "/retry", [("idColumn", "customer_no")], tokenFrom: location)
            #expect(again.status == .badRequest)
            expectText(again.text, "no longer kept")
        }
    }

    @Test func viewersReadButCannotImportDeleteOrEditSegments() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV(segmentData, into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            let page = try await carol.get("/t/acme/data/profiles")
            #expect(page.status == .ok)
            #expect(!page.text.contains("Import from CSV"))
            let token = try #require(Browser.csrf(in: page.text))
            #expect(try await upload(carol, segmentData, csrf: token).status == .forbidden)
            #expect(try await carol.get("/t/acme/data/profiles/delete").status == .forbidden)
            #expect(
                try await carol.postRaw("/t/acme/data/profiles/delete", [("_csrf", token), ("confirm", "delete")]).status == .forbidden
            )
            #expect(try await carol.get("/t/acme/data/segments/new").status == .forbidden)
            #expect(
                try await carol.postRaw("/t/acme/data/segments/new", [("_csrf", token), ("action", "save"), ("name", "x")]).status
                    == .forbidden
            )
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 5)
            #expect(try await world.database.segmentSummaries(tenantId: world.acme.id!).isEmpty)
        }
    }

    @Test func deleteAllNeedsItsConfirmation() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV(segmentData, into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            expectText(try await alice.get("/t/acme/data/profiles/delete").text, "This deletes all 5 profiles")
            let unconfirmed = try await alice.post("/t/acme/data/profiles/delete", [], tokenFrom: "/t/acme/data/profiles")
            #expect(unconfirmed.status == .badRequest)
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 5)
            let deleted = try await alice.post("/t/acme/data/profiles/delete", [("confirm", "delete")], tokenFrom: "/t/acme/data/profiles")
            #expect(deleted.headers[.location] == "/t/acme/data/profiles?done=deleted")
            #expect(try await world.database.profileCount(tenantId: world.acme.id!) == 0)
            expectText(try await alice.get("/t/acme/admin/activity").text, "Deleted all 5 profiles")
        }
    }

    @Test func theEditorPreviewsSavesRefreshesAndGuardsDeletion() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV(segmentData, into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            let editor = "/t/acme/data/segments/new"
            let page = try await bob.get(editor).text
            expectText(page, "lifetime_value (number)")
            let rules: [(String, String)] = [
                ("name", "German <b>subscribers</b>"), ("combinator", "any"),
                ("g0.combinator", "all"), ("g0.c0.attribute", "country"), ("g0.c0.op", "equals"), ("g0.c0.value", "DE"),
                ("g0.c1.attribute", "is_subscriber"), ("g0.c1.op", "equals"), ("g0.c1.value", "true"),
                ("g1.combinator", "all"), ("g1.c0.attribute", "tier"), ("g1.c0.op", "equals"), ("g1.c0.value", "platinum"),
            ]
            let added = try await bob.post(editor, rules + [("action", "add-group")], tokenFrom: editor)
            expectText(added.text, "Group 3")
            let preview = try await bob.post(editor, rules + [("action", "preview")], tokenFrom: editor)
            expectText(preview.text, "4 profiles match these rules now.")
            let wrongRules = rules.map { $0.0 == "g1.c0.op" ? ("g1.c0.op", "greaterThan") : $0 }
            let wrong = try await bob.post(editor, wrongRules + [("action", "preview")], tokenFrom: editor)
            #expect(wrong.status == .unprocessableContent)
            let saved = try await bob.post(editor, rules + [("action", "save")], tokenFrom: editor)
            #expect(saved.status == .seeOther)
            let location = try #require(saved.headers[.location])
            let segmentPage = try await bob.get(location).text
            expectText(segmentPage, "The segment was saved and refreshed: 4 members.")
            expectText(segmentPage, "German &lt;b&gt;subscribers&lt;/b&gt;")
            let list = try await bob.get("/t/acme/data/segments").text
            expectText(list, "<td>4</td>")

            let segment = try #require(try await world.database.segmentSummaries(tenantId: world.acme.id!).first?.segment)
            let export = try await world.database.createExport(tenantId: world.acme.id!, name: "Weekly DE", connectionId: nil, listId: "1")
            try await world.database.linkExport(tenantId: world.acme.id!, exportId: export.id, segmentId: segment.id!)
            // Deleting is confirmed on its own page, which names the exports that keep the segment.
            let deletePage = "/t/acme/data/segments/\(segment.id!)/delete"
            let editor2 = try await bob.get(location).text
            expectText(editor2, "href=\"\(deletePage)\"")
            let blocked = try await bob.get(deletePage).text
            expectText(blocked, "This segment cannot be deleted while these exports use it:")
            expectText(blocked, "Weekly DE")
            #expect(!blocked.contains("id=\"delete-segment\""))
            let refused = try await bob.post(deletePage, [], tokenFrom: location)
            #expect(refused.status == .conflict)
            expectText(refused.text, "Weekly DE")
            expectText(try await bob.get("/t/acme/data/segments").text, "Weekly DE")
            #expect(try await world.database.segmentSummaries(tenantId: world.acme.id!).count == 1)

            _ = try await importCSV("profile_id,tier\np2,platinum\n", into: world.database, tenantId: world.acme.id!)
            let refreshed = try await bob.post(location, [("action", "refresh")], tokenFrom: location)
            #expect(refreshed.headers[.location] == location.replacingOccurrences(of: "?done=saved", with: "") + "?done=refreshed")
            expectText(try await bob.get(refreshed.headers[.location]!).text, "Refreshed: 5 members.")

            let other = try await world.database.saveSegment(
                tenantId: world.acme.id!,
                id: nil,
                name: "Unused",
                description: "",
                rules: SegmentRules(combinator: .all, groups: []),
                actor: .commandLine,
                now: .now
            )
            // The old one-click delete from the editor is gone: only the confirmed step deletes.
            let oneClick = try await bob.post("/t/acme/data/segments/\(other.id!)", [("action", "delete")], tokenFrom: location)
            #expect(oneClick.status == .badRequest)
            let confirm = try await bob.get("/t/acme/data/segments/\(other.id!)/delete").text
            expectText(confirm, "Delete segment Unused?")
            expectText(confirm, "This deletes the segment's rules and its list of 0 members. The profiles themselves stay")
            let deleted = try await bob.post("/t/acme/data/segments/\(other.id!)/delete", [], tokenFrom: location)
            #expect(deleted.headers[.location] == "/t/acme/data/segments?done=deleted")
            #expect(try await world.database.segmentSummaries(tenantId: world.acme.id!).count == 1)
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            #expect(try await carol.get(deletePage).status == .forbidden)
        }
    }
}

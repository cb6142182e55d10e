import Foundation
import Store
import Testing

@testable import Web

/// Page models built from real store reads, without a request.
@Suite struct PageModelTests {
    @Test func connectionListShowsEachConnectionWithItsLinkAndExportUser() async throws {
        let world = try await TestWorld.make()
        let main = try await world.connect(name: "Main", key: "k", host: "acme.api-us1.com", exportUser: "alice@acme.test")
        let page = ConnectionsController.ListPage.build(
            try await world.database.connectionSummaries(tenantId: world.acme.id!),
            slug: "acme",
            chrome: .mockTenant("Connections", section: "Connections"),
            notice: nil
        )
        #expect(page.rows.map(\.name) == ["Main"])
        #expect(page.rows.first?.href == "/t/acme/admin/connections/\(main.id!)")
        #expect(page.rows.first?.exportUser == "alice@acme.test")
        // Days only ("2026-09-21"), so the table fits the content column.
        #expect(page.rows.first?.created.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil)
        #expect(page.rows.first?.created == Format.day(main.createdAt))
        #expect(Format.day(Date(timeIntervalSince1970: 1_796_601_540)) == "2026-12-06")  // 23:59 UTC
        #expect(page.newHref == "/t/acme/admin/connections/new")
    }

    @Test func segmentListLetsOnlyThoseWhoChangeDataCreate() async throws {
        let world = try await TestWorld.make()
        _ = try await world.database.saveSegment(
            tenantId: world.acme.id!,
            id: nil,
            name: "Berlin",
            description: "",
            rules: SegmentRules(combinator: .all, groups: []),
            actor: .commandLine,
            now: world.clock.now
        )
        let summaries = try await world.database.segmentSummaries(tenantId: world.acme.id!)
        let chrome = Chrome.mockTenant("Segments", section: "Segments")
        let viewer = SegmentsController.ListPage.build(summaries, slug: "acme", chrome: chrome, policy: Policy(role: .viewer), notice: nil)
        let contributor = SegmentsController.ListPage.build(
            summaries,
            slug: "acme",
            chrome: chrome,
            policy: Policy(role: .contributor),
            notice: nil
        )
        #expect(viewer.rows.map(\.refreshed) == ["Never"])
        #expect(!viewer.canEdit)
        #expect(contributor.canEdit)
    }

    @Test func activityPagesLinkToTheirNeighbours() async throws {
        let world = try await TestWorld.make()
        let (events, _) = try await world.database.activity(tenantId: world.acme.id!, page: 1)
        let chrome = Chrome.mockTenant("Activity", section: "Activity")
        let second = ActivityController.ActivityPage.build(events, page: 2, hasMore: true, slug: "acme", chrome: chrome)
        #expect(second.newerHref == "/t/acme/admin/activity")
        #expect(second.olderHref == "/t/acme/admin/activity?page=3")
        let first = ActivityController.ActivityPage.build(events, page: 1, hasMore: false, slug: "acme", chrome: chrome)
        #expect(first.newerHref == nil && first.olderHref == nil)
        #expect(first.events.contains { $0.action == "member.added" })
    }

    @Test func anActivityPageWithoutEventsSaysSoAndOneWithEventsListsThem() async throws {
        let views = try await Views.load(directory: packageRoot + "/Templates")
        let chrome = Chrome.mockTenant("Activity", section: "Activity")
        let empty = try views.render(
            "activity",
            ActivityController.ActivityPage.build([], page: 3, hasMore: false, slug: "acme", chrome: chrome)
        )
        #expect(empty.contains(#"<p class="empty">No activity on this page.</p>"#) && !empty.contains("<tbody>"))
        let filtered = ActivityController.ActivityPage.build(
            [],
            page: 1,
            hasMore: false,
            slug: "acme",
            chrome: chrome,
            filter: .init(kind: "signin.failed", person: nil)
        )
        #expect(try views.render("activity", filtered).contains("No activity matches this filter on this page."))
        let listed = try views.render("activity", ActivityController.ActivityPage.mock)
        #expect(listed.contains("<td><code>member.added</code></td>") && !listed.contains(#"class="empty""#))
    }

    @Test func anImportWaitingForItsIdColumnAsksOnlyThoseWhoMayImport() async throws {
        let world = try await TestWorld.make()
        var job = try await importCSV("email,city\nann@example.com,Berlin\n", into: world.database, tenantId: world.acme.id!)
        job.pendingFile = "/tmp/kept.csv"
        let chrome = Chrome.mockTenant("Import", section: "Profiles")
        let admin = ProfilesController.ImportPage.build(job, slug: "acme", policy: Policy(role: .admin), csrf: "t", chrome: chrome)
        let viewer = ProfilesController.ImportPage.build(job, slug: "acme", policy: Policy(role: .viewer), csrf: "t", chrome: chrome)
        #expect(admin.status == "Waiting for you: choose the id column")
        #expect(admin.chooseColumns == ["email", "city"])
        #expect(admin.waitsForIdColumn)
        #expect(!viewer.waitsForIdColumn)
        #expect(admin.retryAction == "/t/acme/data/profiles/imports/\(job.id!)/retry")
    }

    @Test func membersMarkYouAndPreselectEachRole() async throws {
        let world = try await TestWorld.make()
        let members = try await world.database.members(tenantId: world.acme.id!)
        let page = MembersController.MembersPage.build(
            members,
            invitations: [],
            slug: "acme",
            you: world.userId("alice@acme.test"),
            chrome: .mockTenant("Members", section: "Members")
        )
        let bob = try #require(page.members.first { $0.email == "bob@acme.test" })
        #expect(bob.roles.filter(\.selected).map(\.value) == ["contributor"])
        #expect(bob.roleAction == "/t/acme/admin/members/\(world.userId("bob@acme.test"))/role")
        #expect(page.members.filter(\.isYou).map(\.email) == ["alice@acme.test"])
        #expect(page.roles.filter(\.selected).map(\.value) == ["viewer"])
    }

    @Test func homeListsTheWorkspacesWithTheRoleInEach() async throws {
        let world = try await TestWorld.make()
        let tenants = try await world.database.tenants(ofUser: world.userId("carol@acme.test"))
        let page = HomeController.HomePage.build(tenants, chrome: .mockAccount)
        #expect(page.tenants.map(\.href) == ["/t/acme"])
        #expect(page.tenants.map(\.role) == ["Viewer"])
    }

    @Test func profilesPageShowsOnePageAndLinksToTheNext() async throws {
        let world = try await TestWorld.make()
        let acme = world.acme.id!
        _ = try await importCSV("profile_id,city\n1,Berlin\n2,Paris\n3,Rome\n", into: world.database, tenantId: acme)
        let rows = try await world.database.profiles(tenantId: acme, afterRowId: 0, limit: 3, search: nil)
        let reads = ProfilesController.ProfilesPage.Reads(
            attributes: try await world.database.attributes(tenantId: acme),
            rows: Array(rows.prefix(2)) + [rows[2]],
            count: try await world.database.profileCount(tenantId: acme),
            imports: try await world.database.recentImports(tenantId: acme)
        )
        let page = ProfilesController.ProfilesPage.build(
            reads,
            search: "",
            after: 0,
            slug: "acme",
            policy: Policy(role: .viewer),
            csrf: "tok",
            maxImportBytes: 1_000,
            chrome: .mockTenant("Profiles", section: "Profiles"),
            notice: nil
        )
        #expect(page.count == "3")
        #expect(!page.canEdit)
        #expect(page.headings.map(\.name) == ["city"])
        #expect(page.rows.map(\.cells) == [["Berlin"], ["Paris"], ["Rome"]])  // fewer than a page: no next
        #expect(page.nextHref == nil)
        #expect(page.imports.map(\.status) == ["Imported"])
        #expect(page.importAction == "/t/acme/data/profiles/import")
        #expect(page.maxUploadText == "1,000 bytes")
        #expect(page.hiddenColumns == nil)  // one attribute: all shown
    }

    /// Dates on pages are written by arithmetic, not by Foundation's format style: both agree to the minute, on
    /// both sides of 1970, on leap days and at each minute's last instant.
    @Test func dateTimesAgreeWithFoundationsFormatStyle() {
        var generator = SystemRandomNumberGenerator()
        let fixed: [TimeInterval] = [0, -1, -60, 59.999, 951_782_400, 951_868_799.5, 1_796_601_540, 4_102_444_799, -2_208_988_800]
        let random = (0..<2_000).map { _ in TimeInterval(Int64.random(in: -30_000_000_000...250_000_000_000, using: &generator)) / 10 }
        for interval in fixed + random {
            let date = Date(timeIntervalSince1970: interval)
            let foundation =
                date.formatted(
                    Date.VerbatimFormatStyle(
                        format:
                            "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
                        timeZone: .gmt,
                        calendar: Calendar(identifier: .gregorian)
                    )
                ) + " UTC"
            #expect(Format.dateTime(date) == foundation, "\(interval)")
            #expect(Format.utcMinute(date) == foundation, "\(interval)")
        }
    }

    /// The upload limit reads in binary units wherever it is shown (the form, the refusal), as it is set and documented.
    @Test func sizesAndHiddenAttributesReadAsPeopleSayThem() {
        #expect(Format.bytes(1 << 30) == "1 GiB")
        #expect(Format.bytes(64 << 10) == "64 KiB")
        #expect(Format.bytes(2_000) == "1.95 KiB")
        #expect(Format.bytes(3 << 19) == "1.5 MiB")
        #expect(Format.bytes(1) == "1 byte")
        #expect(ProfilesController.ProfilesPage.moreAttributes(1) == "1 more attribute is")
        #expect(ProfilesController.ProfilesPage.moreAttributes(4) == "4 more attributes are")
    }
}

extension PageModelTests {
    @Test func theSegmentEditorOffersEveryAttributeAndABlankConditionPerGroup() async throws {
        let world = try await TestWorld.make()
        let acme = world.acme.id!
        _ = try await importCSV("profile_id,city,age\n1,Berlin,41\n", into: world.database, tenantId: acme)
        let rules = SegmentRules(
            combinator: .any,
            groups: [
                RuleGroup(combinator: .all, conditions: [RuleCondition(attribute: "CITY", op: .equals, value: "Berlin")])
            ]
        )
        let page = SegmentsController.EditorPage.build(
            segment: nil,
            rules: rules,
            attributes: try await world.database.attributes(tenantId: acme),
            exports: nil,
            slug: "acme",
            policy: Policy(role: .contributor),
            chrome: .mockTenant("New segment", section: "Segments")
        )
        #expect(page.isNew && page.canEdit && page.any)
        #expect(page.action == "/t/acme/data/segments/new")
        let conditions = try #require(page.groups.first?.conditions)
        #expect(conditions.map(\.prefix) == ["g0.c0", "g0.c1"])
        #expect(conditions[0].attributes.filter(\.selected).map(\.value) == ["city"])  // matched without case
        #expect(conditions[1].attributes.filter(\.selected).map(\.value) == [""])
        #expect(page.memberCount == nil && page.exports == nil)
    }
}

extension PageModelTests {
    @Test func theEditorShowsARuleProblemBesideItsCondition() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV("profile_id,age\n1,41\n", into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            let page = "/t/acme/data/segments/new"
            let response = try await bob.post(
                page,
                [
                    ("name", "Old"), ("action", "preview"), ("g0.combinator", "all"),
                    ("g0.c0.attribute", "age"), ("g0.c0.op", "greaterThan"), ("g0.c0.value", "not a number"),
                ],
                tokenFrom: page
            )
            #expect(response.status == .unprocessableContent)
            expectText(response.text, #"<p class="field-error">"#)
            #expect(!response.text.contains("Group 1, condition 1:"))  // the problem once, beside its condition
        }
    }
}

extension PageModelTests {
    @Test func theConnectionEditFormShowsOnlyTheKeysLastFourAndALostExportUser() async throws {
        let world = try await TestWorld.make()
        let connection = try await world.connect(
            name: "Main",
            key: "secret-key-1234",
            host: "acme.api-us1.com",
            exportUser: "alice@acme.test"
        )
        try await world.database.changeRole(
            tenantId: world.acme.id!,
            userId: world.userId("bob@acme.test"),
            to: .admin,
            actor: .commandLine
        )
        try await world.database.changeRole(
            tenantId: world.acme.id!,
            userId: world.userId("alice@acme.test"),
            to: .viewer,
            actor: .commandLine
        )
        let summary = try #require(try await world.database.connectionSummary(tenantId: world.acme.id!, id: connection.id!))
        var entered = ConnectionsController.Entered()
        entered.name = "Main"
        entered.apiHost = "acme.api-us1.com"
        let page = ConnectionsController.FormPage.buildEdit(
            summary: summary,
            entered: entered,
            draft: nil,
            hostNote: nil,
            problems: ConnectionProblems(),
            notice: nil,
            slug: "acme",
            chrome: .mockTenant("Connection Main", section: "Connections")
        )
        #expect(page.keyStatus?.hasPrefix("Stored key ends in 1234") == true)
        #expect(!String(describing: page).contains("secret-key"))
        #expect(page.exportUserLost)
        #expect(page.removeHref == "/t/acme/admin/connections/\(connection.id!)/remove")
        #expect(page.notice?.hasPrefix("Needs attention:") == true)
    }
}

import Foundation
import Store
import Testing
@testable import Web

/// Page models built from real store reads, without a request.
@Suite struct PageModelTests {
    @Test func connectionListShowsEachConnectionWithItsLinkAndExportUser() async throws {
        let world = try await TestWorld.make()
        let main = try await world.connect(name: "Main", key: "k", host: "acme.api-us1.com", exportUser: "alice@acme.test")
        let page = ConnectionsController.ListPage.build(try await world.database.connectionSummaries(tenantId: world.acme.id!),
                                                        slug: "acme", chrome: .mockTenant("Connections", section: "Connections"),
                                                        notice: nil)
        #expect(page.rows.map(\.name) == ["Main"])
        #expect(page.rows.first?.href == "/t/acme/admin/connections/\(main.id!)")
        #expect(page.rows.first?.exportUser == "alice@acme.test")
        #expect(page.newHref == "/t/acme/admin/connections/new")
    }

    @Test func segmentListLetsOnlyThoseWhoChangeDataCreate() async throws {
        let world = try await TestWorld.make()
        _ = try await world.database.saveSegment(tenantId: world.acme.id!, id: nil, name: "Berlin", description: "",
                                                 rules: SegmentRules(combinator: .all, groups: []), actor: .commandLine, now: world.clock.now)
        let summaries = try await world.database.segmentSummaries(tenantId: world.acme.id!)
        let chrome = Chrome.mockTenant("Segments", section: "Segments")
        let viewer = SegmentsController.ListPage.build(summaries, slug: "acme", chrome: chrome, policy: Policy(role: .viewer), notice: nil)
        let contributor = SegmentsController.ListPage.build(summaries, slug: "acme", chrome: chrome, policy: Policy(role: .contributor),
                                                            notice: nil)
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

    @Test func anImportWaitingForItsIdColumnAsksOnlyThoseWhoMayImport() async throws {
        let world = try await TestWorld.make()
        var job = try await importCSV("email,city\nann@example.com,Berlin\n", into: world.database, tenantId: world.acme.id!)
        job.pendingFile = "/tmp/kept.csv"
        let chrome = Chrome.mockTenant("Import", section: "Profiles")
        let admin = ProfilesController.ImportPage.build(job, slug: "acme", policy: Policy(role: .admin), csrf: "t", chrome: chrome)
        let viewer = ProfilesController.ImportPage.build(job, slug: "acme", policy: Policy(role: .viewer), csrf: "t", chrome: chrome)
        #expect(admin.status == "Failed")
        #expect(admin.chooseColumns == ["email", "city"])
        #expect(admin.waitsForIdColumn)
        #expect(!viewer.waitsForIdColumn)
        #expect(admin.retryAction == "/t/acme/data/profiles/imports/\(job.id!)/retry")
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import OutboundCore
import Store
import Testing

@testable import Web

/// Admin > System through the router: who may see and change it, field errors, the next refresh in the workspace's
/// time zone, Refresh now, CSRF and Activity.
@Suite struct SystemPageTests {
    let page = "/t/acme/admin/system"

    @Test func onlyAdministratorsSeeOrChangeItAndOtherWorkspacesAnswer404() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let shown = try await alice.get(page)
            #expect(shown.status == .ok)
            #expect(shown.text.contains("No refresh is scheduled."))
            #expect(shown.text.contains(#"id="frequency-off" name="frequency" value="off" checked"#))
            for email in ["bob@acme.test", "carol@acme.test"] {
                var person = Browser(client: client)
                try await person.signIn(email)
                #expect(try await person.get(page).status == .forbidden, "\(email)")
                let save = try await person.post(page, [("frequency", "daily"), ("time1", "06:00"), ("timeZone", "UTC")])
                #expect(save.status == .forbidden, "\(email)")
                #expect(try await person.post(page + "/refresh", []).status == .forbidden, "\(email)")
            }
            // Mallory administers Globex, not Acme: Acme's page is not there for her, nor Globex's for Alice.
            var mallory = Browser(client: client)
            try await mallory.signIn("mallory@globex.test")
            #expect(try await mallory.get(page).status == .notFound)
            #expect(try await mallory.post(page + "/refresh", []).status == .notFound)
            #expect(
                try await alice.post("/t/globex/admin/system", [("frequency", "daily"), ("time1", "06:00"), ("timeZone", "UTC")]).status
                    == .notFound
            )
        }
        #expect(try await world.database.systemRefresh(tenantId: world.acme.id!).schedule == .off)
        #expect(try await world.database.systemRefresh(tenantId: world.globex.id!).schedule == .off)
        #expect(try await world.database.systemRefreshEvents(tenantId: world.acme.id!).isEmpty)
    }

    @Test func savingShowsTheNextRefreshInTheWorkspacesTimeZoneAndRecordsActivity() async throws {
        let world = try await TestWorld.make()  // the manual clock stands at 2026-09-21 14:13 UTC, a Monday
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let saved = try await alice.post(
                page,
                [("frequency", "weekly"), ("day3", "on"), ("time1", "09:30"), ("time2", "7:00"), ("timeZone", "America/New_York")],
                tokenFrom: page
            )
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == page + "?done=saved")
            let html = try await alice.get(page + "?done=saved").text
            #expect(html.contains("The schedule was saved."))
            #expect(html.contains("Next refresh: Wednesday 2026-09-23 07:00 America/New_York (2026-09-23 11:00 UTC)."))
            #expect(html.contains(#"id="day3" name="day3" value="on" checked"#))
            #expect(html.contains(#"value="07:00""#) && html.contains(#"value="09:30""#))
            #expect(html.contains(#"value="America/New_York""#))
        }
        let tenant = try #require(try await world.database.tenant(slug: "acme"))
        #expect(tenant.timeZone == "America/New_York")
        let events = try await world.database.activity(tenantId: world.acme.id!, page: 1).events.filter { $0.action == "system.schedule" }
        #expect(events.map(\.detail) == ["Set the system refresh to Weekly on Wednesday at 07:00, 09:30 (America/New_York)"])
        #expect(events.map(\.actorEmail) == ["alice@acme.test"])
    }

    /// The time in UTC follows only when the zone's offset at that instant is not zero.
    @Test func theNextRefreshRepeatsItInUTCOnlyWhenTheZoneSaysAnotherTime() {
        let winter = Date(timeIntervalSince1970: 1_796_536_800)  // Sunday 2026-12-06 06:00 UTC
        let summer = Date(timeIntervalSince1970: 1_781_762_400)  // Thursday 2026-06-18 06:00 UTC
        func next(_ zone: String, _ date: Date) -> String {
            SystemController.SystemPage.nextText(SystemRefreshState(schedule: .off, timeZone: zone, nextRefreshAt: date))
        }
        #expect(next("GMT", winter) == "Next refresh: Sunday 2026-12-06 06:00 GMT.")
        #expect(next("UTC", summer) == "Next refresh: Thursday 2026-06-18 06:00 UTC.")
        #expect(next("Europe/London", winter) == "Next refresh: Sunday 2026-12-06 06:00 Europe/London.")
        #expect(next("Europe/London", summer) == "Next refresh: Thursday 2026-06-18 07:00 Europe/London (2026-06-18 06:00 UTC).")
        #expect(next("Asia/Tokyo", winter) == "Next refresh: Sunday 2026-12-06 15:00 Asia/Tokyo (2026-12-06 06:00 UTC).")
    }

    @Test func refusedFieldsSayWhyBesideThemAndNothingIsSaved() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let refused = try await alice.post(
                page,
                [("frequency", "weekly"), ("time1", "25:00"), ("timeZone", "<script>Mars/Base</script>")],
                tokenFrom: page
            )
            #expect(refused.status == .unprocessableContent)
            let html = refused.text
            #expect(html.contains(#"<p class="field-error" id="time1-error">Enter a 24-hour time like 06:30.</p>"#))
            #expect(html.contains(#"<p class="field-error" id="weekdays-error">Choose at least one weekday.</p>"#))
            #expect(html.contains(#"id="timeZone-error""#))
            #expect(html.contains(#"value="25:00""#))  // what was typed stays in its field
            #expect(!html.contains("<script>Mars") && html.contains("&lt;script&gt;Mars/Base"))
        }
        #expect(try await world.database.systemRefresh(tenantId: world.acme.id!).schedule == .off)
        #expect(try await world.database.tenant(slug: "acme")?.timeZone == "UTC")
    }

    @Test func formsWithoutTheSessionsTokenAreRefused() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let forged = try await alice.postRaw(
                page,
                [("frequency", "daily"), ("time1", "06:00"), ("timeZone", "UTC"), ("_csrf", "forged")]
            )
            #expect(forged.status == .forbidden)
            #expect(try await alice.postRaw(page + "/refresh", []).status == .forbidden)
        }
        #expect(try await world.database.systemRefresh(tenantId: world.acme.id!).schedule == .off)
        #expect(try await world.database.systemRefreshEvents(tenantId: world.acme.id!).isEmpty)
    }

    @Test func refreshNowRefreshesSegmentsQueuesSystemExportsAndKeepsTheSchedule() async throws {
        let world = try await TestWorld.make()
        let acme = world.acme.id!
        let connection = try await world.connect(name: "Acme AC", key: "acme-key", host: "acme.api-us1.com")
        let attributes = try world.database.ensureAttributes(tenantId: acme, [("email", .text)])
        let segment = try await world.database.saveSegment(
            tenantId: acme,
            id: nil,
            name: "With email",
            description: "",
            rules: SegmentRules(
                combinator: .all,
                groups: [RuleGroup(combinator: .all, conditions: [.init(attribute: "email", op: .isNotEmpty)])]
            ),
            actor: .commandLine,
            now: world.clock.now
        )
        func settings(_ name: String, _ schedule: ExportSchedule) -> ExportSettings {
            ExportSettings(
                name: name,
                connectionId: connection.id!,
                listId: "1",
                segmentIds: [segment.id!],
                emailAttributeId: attributes[0].id!,
                schedule: schedule
            )
        }
        let scheduled = try await world.database.createExport(
            tenantId: acme,
            settings: settings("Newsletter", .system),
            actor: .commandLine,
            now: world.clock.now
        )
        let manual = try await world.database.createExport(
            tenantId: acme,
            settings: settings("By hand", .off),
            actor: .commandLine,
            now: world.clock.now
        )
        try await world.database.schedule(tenantId: acme, ["06:00"], in: "Europe/Berlin")
        let before = try await world.database.systemRefresh(tenantId: acme)

        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let pressed = try await alice.post(page + "/refresh", [], tokenFrom: page)
            #expect(pressed.status == .seeOther)
            let html = try await alice.get(try #require(pressed.headers[.location])).text
            #expect(html.contains("The system refresh ran."))
            #expect(html.contains("Last refresh: 2026-09-21 14:13 UTC. Refreshed 1 segment; queued 1 export."))
        }
        let runs = try await world.database.runs(tenantId: acme, exportId: scheduled.id!)
        #expect(runs.map(\.trigger) == [.schedule])
        #expect(runs.map(\.requestedBy) == ["alice@acme.test (Refresh now)"])
        #expect(try await world.database.runs(tenantId: acme, exportId: manual.id!).isEmpty)
        #expect(try await world.database.segment(tenantId: acme, id: segment.id!)?.refreshedAt == world.clock.now)
        #expect(try await world.database.systemRefresh(tenantId: acme).nextRefreshAt == before.nextRefreshAt)
        let event = try #require(try await world.database.systemRefreshEvents(tenantId: acme).first)
        #expect(event.actorEmail == "alice@acme.test")
        #expect(event.detail == "Refresh now: Refreshed 1 segment; queued 1 export.")
        #expect(try await world.database.systemRefreshEvents(tenantId: world.globex.id!).isEmpty)
    }
}

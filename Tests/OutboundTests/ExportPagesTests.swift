import ActiveCampaign
import ActiveCampaignSandbox
import ExportEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OutboundCore
import Secrets
import Testing

@testable import Store
@testable import Web

/// Acme with two connections to one sandbox account — "Shared AC" (contributors may use it) and "Admin AC"
/// (administrators only) — eight profiles (five valid emails, one formula-like and one missing in DE, one in FR)
/// and the segment "Germany". The app, the sandbox and the engine share one manual clock, so pacing and
/// ActiveCampaign's processing take no wall-clock time.
struct ExportsWorld {
    let world: TestWorld
    let sandbox: SandboxHarness.Running
    let shared: Connection
    let adminOnly: Connection
    let segmentId: Int64
    let attributes: [String: Int64]
    var tenantId: Int64 { world.acme.id! }
    var database: AppDatabase { world.database }

    static let profiles = """
        profile_id,email,first_name,last_name,country
        p1,ana@example.com,Ana,Alpha,DE
        p2,bo@example.com,Bo,Beta,DE
        p3,cy@example.com,Cy,Gamma,DE
        p4,di@example.com,Di,Delta,DE
        p5,ed@example.com,Ed,Eps,DE
        p6,"=HYPERLINK(""http://x"")",Evil,Formula,DE
        p7,,No,Email,DE
        p8,fr@example.com,Fr,Other,FR
        """

    static func with(_ body: @Sendable (ExportsWorld) async throws -> Void) async throws {
        let clock = AppClock.manual()
        try await SandboxHarness.with(.fast, clock: clock) { sandbox in
            let world = try await TestWorld.make(clock: clock) { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            let host = "127.0.0.1:\(sandbox.port)"
            let tenantId = world.acme.id!
            let shared = try await world.connect(name: "Shared AC", key: "test-key-admin", host: host)
            try await world.database.updateConnection(
                tenantId: tenantId,
                id: shared.id!,
                changes: .init(name: shared.name, usableBy: .contributors),
                actor: .commandLine,
                now: clock.now
            )
            let adminOnly = try await world.connect(name: "Admin AC", key: "test-key-member", host: host)
            _ = try await importCSV(profiles, into: world.database, tenantId: tenantId)
            let segment = try await world.database.saveSegment(
                tenantId: tenantId,
                id: nil,
                name: "Germany",
                description: "",
                rules: SegmentRules(
                    combinator: .all,
                    groups: [RuleGroup(combinator: .all, conditions: [RuleCondition(attribute: "country", op: .equals, value: "DE")])]
                ),
                actor: .commandLine,
                now: clock.now
            )
            _ = try world.database.refreshSegment(tenantId: tenantId, id: segment.id!, now: clock.now)
            let attributes = Dictionary(
                uniqueKeysWithValues: try await world.database.attributes(tenantId: tenantId).map { ($0.name, $0.id!) }
            )
            try await body(
                ExportsWorld(
                    world: world,
                    sandbox: sandbox,
                    shared: try #require(try await world.database.connection(tenantId: tenantId, id: shared.id!)),
                    adminOnly: adminOnly,
                    segmentId: segment.id!,
                    attributes: attributes
                )
            )
        }
    }

    /// An export made through the store, as a person would have saved it.
    func export(_ name: String, on connection: Connection?, list: String = "2", schedule: ExportSchedule = .system) async throws -> Export {
        try await database.createExport(
            tenantId: tenantId,
            settings: ExportSettings(
                name: name,
                connectionId: connection?.id,
                listId: list,
                segmentIds: [segmentId],
                emailAttributeId: attributes["email"]!,
                firstNameAttributeId: attributes["first_name"]!,
                schedule: schedule
            ),
            actor: .commandLine,
            now: world.clock.now
        )
    }

    /// Queues a run as Run now would (the store call the pages make).
    @discardableResult
    func enqueue(_ exportId: Int64, tenantId: Int64? = nil) async throws -> EnqueueOutcome {
        try await database.enqueueRun(
            tenantId: tenantId ?? self.tenantId,
            exportId: exportId,
            request: RunRequest(trigger: .manual, userId: nil, by: "test"),
            actor: .commandLine,
            now: world.clock.now
        )
    }

    func engine() -> ExportEngine {
        var configuration = EngineConfiguration()
        configuration.jitterSeed = 7
        var logger = Logger(label: "engine")
        logger.logLevel = .critical
        return ExportEngine(
            database: database,
            vault: world.vault,
            gateway: ActiveCampaignGateway(policy: HostPolicy(allowedHosts: ["127.0.0.1:\(sandbox.port)"]), logger: logger),
            clock: world.clock,
            configuration: configuration,
            logger: logger
        )
    }

    func requestCounts() async throws -> [String: Int] {
        (try await sandbox.inspect("requests")["counts"] as? [String: Any] ?? [:]).mapValues { ($0 as! NSNumber).intValue }
    }

    func received() async throws -> (contacts: Int, imports: Int) {
        let json = try await sandbox.inspect("received")
        return ((json["contacts"] as! NSNumber).intValue, (json["imports"] as! NSNumber).intValue)
    }

    func activity() async throws -> [String] {
        try await database.activity(tenantId: tenantId, page: 1, pageSize: 200).events.map { "\($0.action) \($0.detail)" }
    }

    func saveFields(name: String, connection: Connection?, list: String = "2", typed: String = "") -> [(String, String)] {
        [
            ("step", "save"), ("name", name), ("connection", connection.map { String($0.id!) } ?? ""), ("listId", list),
            ("listIdTyped", typed), ("segment", String(segmentId)), ("email", String(attributes["email"]!)),
            ("shown", "firstName"), ("firstName", String(attributes["first_name"]!)), ("schedule", "system"), ("guardPercent", "20"),
        ]
    }
}

extension Browser {
    func getJSON(_ uri: String) async throws -> [String: Any] {
        let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie, .accept: "application/json"]) { $0 }
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
    }
}

@Suite struct ExportPagesTests {
    @Test func aContributorCreatesAnExportWithThePickerPreviewsRunsWatchesAndRemovesIt() async throws {
        try await ExportsWorld.with { x in
            try await x.world.app().test(.router) { client in
                var bob = Browser(client: client)
                try await bob.signIn("bob@acme.test")
                let empty = try await bob.get("/t/acme/data/exports").text
                expectText(empty, "An export sends the members of one or more segments to an ActiveCampaign list")
                expectText(empty, "An ActiveCampaign connection you may use. You have one.")

                // The form: only the shared connection, chosen for him, with the account's lists in the picker.
                let form = try await bob.get("/t/acme/data/exports/new").text
                expectText(
                    form,
                    #"<optgroup label="ActiveCampaign"><option value="\#(x.shared.id!)" selected>Shared AC</option></optgroup>"#
                )
                #expect(!form.contains("Admin AC"))
                expectText(form, #"<option value="2">Newsletter (id 2)</option>"#)
                expectText(form, "Germany <span class=\"muted\">(7 members)</span>")

                // Field errors beside their fields, and nothing saved.
                let incomplete = try await bob.post(
                    "/t/acme/data/exports/new",
                    [("step", "save"), ("name", ""), ("connection", String(x.shared.id!)), ("listId", ""), ("guardPercent", "0")],
                    tokenFrom: "/t/acme/data/exports/new"
                )
                #expect(incomplete.status == .unprocessableContent)
                expectText(incomplete.text, #"<p class="field-error" id="name-error">Enter a name.</p>"#)
                expectText(incomplete.text, #"<p class="field-error" id="list-error">Choose a list, or type its id.</p>"#)
                expectText(incomplete.text, #"<p class="field-error" id="segments-error">Choose at least one segment.</p>"#)
                expectText(
                    incomplete.text,
                    #"<p class="field-error" id="email-error">Choose the attribute that holds the email address.</p>"#
                )
                expectText(incomplete.text, "The removal guard is a share of the list from 1 to 100 percent.")
                let unknownList = try await bob.post(
                    "/t/acme/data/exports/new",
                    x.saveFields(name: "Newsletter", connection: x.shared, list: "", typed: "99"),
                    tokenFrom: "/t/acme/data/exports/new"
                )
                #expect(unknownList.status == .unprocessableContent)
                expectText(unknownList.text, "ActiveCampaign has no list with id 99 in this account.")
                #expect(try await x.database.exports(tenantId: x.tenantId).isEmpty)

                // Add attribute works without JavaScript: the form comes back with the new row.
                let added = try await bob.post(
                    "/t/acme/data/exports/new",
                    [("step", "add-attribute"), ("addField", "lastName"), ("name", "Newsletter"), ("connection", String(x.shared.id!))],
                    tokenFrom: "/t/acme/data/exports/new"
                )
                expectText(added.text, #"<select id="lastName" name="lastName">"#)
                expectText(added.text, #"value="Newsletter""#)

                let saved = try await bob.post(
                    "/t/acme/data/exports/new",
                    x.saveFields(name: "Newsletter", connection: x.shared),
                    tokenFrom: "/t/acme/data/exports/new"
                )
                #expect(saved.status == .seeOther)
                let export = try #require(try await x.database.exports(tenantId: x.tenantId).first?.export)
                #expect(saved.headers[.location] == "/t/acme/data/exports/\(export.id!)?done=created")
                #expect(export.listId == "2" && export.schedule == .system && !export.mirror && !export.runAutomations)
                let page = try await bob.get(saved.headers[.location]!).text
                expectText(page, "The export was saved.")
                expectText(page, "Saving did not run it. It runs when the system refresh runs")
                expectText(page, "Sends to the list Newsletter.")
                #expect(try await x.database.runs(tenantId: x.tenantId, exportId: export.id!).isEmpty)  // saving does not run it

                // Preview: counts, the first contacts as ActiveCampaign would get them, and nothing sent.
                let before = try await x.requestCounts()
                let preview = try await bob.get("/t/acme/data/exports/\(export.id!)/preview").text
                expectText(preview, #"<td id="count-members">7</td>"#)
                expectText(preview, #"<td id="count-valid">5</td>"#)
                expectText(preview, #"<td id="count-invalid">2</td>"#)
                expectText(preview, "— Not a valid email address</td><td>1</td>")
                expectText(preview, "— No email address</td><td>1</td>")
                expectText(preview, #"<td id="count-send">5</td>"#)
                expectText(preview, "<tr><td>ana@example.com</td><td>Ana</td><td></td><td></td><td>Would send</td></tr>")
                expectText(preview, "Sending 5 contacts takes about 4 s at ActiveCampaign&#39;s limits.")
                expectText(preview, "The account holds 0 of its 1,000,000,000 contacts; this export would add up to 5")
                var after = try await x.requestCounts()
                #expect(after.removeValue(forKey: "GET /api/3/settings/account") == (before["GET /api/3/settings/account"] ?? 0) + 1)
                #expect(after == before.filter { $0.key != "GET /api/3/settings/account" })
                #expect(try await x.received().contacts == 0)
                #expect(try await x.database.runs(tenantId: x.tenantId, exportId: export.id!).isEmpty)

                // Run now: the run page, the same progress as JSON, then the engine works it.
                let run = try await bob.post("/t/acme/data/exports/\(export.id!)/run", [], tokenFrom: "/t/acme/data/exports/\(export.id!)")
                #expect(run.status == .seeOther)
                let runURI = try #require(run.headers[.location])
                let queued = try await bob.getJSON(runURI)
                #expect(queued["status"] as? String == "Queued" && queued["active"] as? Bool == true)
                let queuedPage = try await bob.get(runURI).text
                expectText(queuedPage, #"<strong id="run-status">Queued</strong>"#)
                expectText(queuedPage, #"data-active="true""#)
                expectText(queuedPage, #"<script src="/run-progress.js" defer></script>"#)
                expectText(queuedPage, "Run now by bob@acme.test")

                await x.engine().runUntilIdle()
                let done = try await bob.getJSON(runURI)
                #expect(done["status"] as? String == "Successful" && done["active"] as? Bool == false)
                #expect(done["accepted"] as? Int == 5 && done["toSend"] as? Int == 5)
                let donePage = try await bob.get(runURI).text
                // A reload without JavaScript shows what the script showed.
                expectText(donePage, #"<strong id="run-status">Successful</strong>"#)
                expectText(donePage, "<p id=\"run-progress-text\">\(try #require(done["progress"] as? String))</p>")
                expectText(donePage, "<p id=\"run-batches\">\(try #require(done["batchesText"] as? String))</p>")
                expectText(donePage, "<td>p7</td><td></td><td>No email address</td>")
                expectText(donePage, "<td>p6</td><td>=HYPERLINK(&quot;http://x&quot;)</td><td>Not a valid email address</td>")
                let statuses = try await x.sandbox.listStatuses(2)
                #expect(Set(statuses.keys) == ["ana@example.com", "bo@example.com", "cy@example.com", "di@example.com", "ed@example.com"])

                // The invalid rows as CSV, a formula never reaching a spreadsheet as one.
                let csv = try await bob.get(runURI + "/invalid.csv")
                #expect(csv.status == .ok)
                #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(csv.headers[.contentDisposition]?.contains("attachment") == true)
                #expect(
                    csv.text
                        == "profile_id,email,reason\r\np6,\"'=HYPERLINK(\"\"http://x\"\")\",Not a valid email address\r\np7,,No email address\r\n"
                )
                #expect(try await bob.get(runURI + "/rejected.csv").text == "profile_id,email,reason\r\n")

                // Remove: the confirmation says contacts stay in ActiveCampaign; counts stay in Activity.
                let confirmation = try await bob.get("/t/acme/data/exports/\(export.id!)/remove").text
                expectText(confirmation, "Contacts already sent stay in ActiveCampaign")
                let removed = try await bob.post("/t/acme/data/exports/\(export.id!)/remove", [], tokenFrom: "/t/acme/data/exports")
                #expect(removed.headers[.location] == "/t/acme/data/exports?done=removed")
                #expect(try await x.database.exports(tenantId: x.tenantId).isEmpty)
                #expect(try await bob.get(runURI).status == .notFound)
                #expect(try await x.sandbox.listStatuses(2).count == 5)
                let activity = try await x.activity()
                for expected in [
                    "export.created Created export Newsletter", "export.run Started run #", "export.run.finished Run #",
                    "export.removed Removed export Newsletter after 1 runs (5 contacts accepted, 0 rejected in all)",
                ] {
                    #expect(activity.contains { $0.hasPrefix(expected) }, "\(expected)")
                }
            }
        }
    }

    @Test func eachRoleGetsWhatThePolicyAllowsOnEveryExportPageAndAction() async throws {
        try await ExportsWorld.with { x in
            let open = try await x.export("Open", on: x.shared)
            let locked = try await x.export("Locked", on: x.adminOnly)
            let run = try await x.enqueue(locked.id!).run
            try await x.world.app().test(.router) { client in
                struct Case {
                    var method: HTTPRequest.Method
                    var path: String
                    var admin: HTTPResponse.Status
                    var contributor: HTTPResponse.Status
                    var viewer: HTTPResponse.Status
                }
                let o = "/t/acme/data/exports/\(open.id!)"
                let l = "/t/acme/data/exports/\(locked.id!)"
                let r = "\(l)/runs/\(run.id!)"
                // Read-only pages answer everyone; what changes data or uses a connection follows the policy. The
                // POSTs that would act are sent with nothing to do or to a locked export, so the table holds in
                // any order.
                let cases = [
                    Case(method: .get, path: "/t/acme/data/exports", admin: .ok, contributor: .ok, viewer: .ok),
                    Case(method: .get, path: "/t/acme/data/exports/new", admin: .ok, contributor: .ok, viewer: .forbidden),
                    Case(method: .get, path: o, admin: .ok, contributor: .ok, viewer: .ok),
                    Case(method: .get, path: l, admin: .ok, contributor: .ok, viewer: .ok),
                    Case(method: .post, path: l, admin: .badRequest, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .post, path: o, admin: .badRequest, contributor: .badRequest, viewer: .forbidden),
                    Case(method: .get, path: "\(o)/preview", admin: .ok, contributor: .ok, viewer: .forbidden),
                    Case(method: .get, path: "\(l)/preview", admin: .ok, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .post, path: "\(l)/run", admin: .seeOther, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .post, path: "\(l)/duplicate", admin: .seeOther, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .get, path: "\(l)/remove", admin: .ok, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .get, path: "\(o)/remove", admin: .ok, contributor: .ok, viewer: .forbidden),
                    Case(method: .get, path: r, admin: .ok, contributor: .ok, viewer: .ok),
                    Case(method: .get, path: "\(r)/invalid.csv", admin: .ok, contributor: .ok, viewer: .ok),
                    Case(method: .get, path: "\(r)/rejected.csv", admin: .ok, contributor: .ok, viewer: .ok),
                    Case(method: .post, path: "\(r)/confirm", admin: .conflict, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .post, path: "\(r)/cancel", admin: .seeOther, contributor: .forbidden, viewer: .forbidden),
                    Case(method: .post, path: "/t/acme/data/exports/run-all", admin: .seeOther, contributor: .seeOther, viewer: .forbidden),
                    Case(method: .post, path: "\(l)/remove", admin: .seeOther, contributor: .forbidden, viewer: .forbidden),
                ]
                // Contributor and viewer first: the admin's removal of the locked export comes last.
                for email in ["carol@acme.test", "bob@acme.test", "alice@acme.test"] {
                    var person = Browser(client: client)
                    try await person.signIn(email)
                    let token = try #require(Browser.csrf(in: try await person.get("/account").text))
                    for test in cases {
                        let response =
                            test.method == .get ? try await person.get(test.path) : try await person.postRaw(test.path, [("_csrf", token)])
                        let expected =
                            switch email {
                            case "alice@acme.test": test.admin
                            case "bob@acme.test": test.contributor
                            default: test.viewer
                            }
                        #expect(response.status == expected, "\(email) \(test.method) \(test.path)")
                    }
                }
            }
        }
    }

    @Test func aContributorKeepsViewOnlyAccessWhenAConnectionIsNoLongerSharedAndTheExportKeepsRunning() async throws {
        try await ExportsWorld.with { x in
            let export = try await x.export("Weekly", on: x.shared)
            try await x.world.app().test(.router) { client in
                var bob = Browser(client: client)
                try await bob.signIn("bob@acme.test")
                let before = try await bob.get("/t/acme/data/exports").text
                expectText(before, "<td>Edit</td>")
                expectText(before, "/t/acme/data/exports/\(export.id!)/run")

                try await x.database.updateConnection(
                    tenantId: x.tenantId,
                    id: x.shared.id!,
                    changes: .init(name: "Shared AC", usableBy: .admins),
                    actor: .commandLine,
                    now: x.world.clock.now
                )
                let list = try await bob.get("/t/acme/data/exports").text
                expectText(list, "<td>View only</td>")
                expectText(list, #"<a href="/t/acme/data/exports/\#(export.id!)">View</a>"#)
                #expect(!list.contains("/t/acme/data/exports/\(export.id!)/run"))
                #expect(!list.contains("/t/acme/data/exports/\(export.id!)/remove"))
                let view = try await bob.get("/t/acme/data/exports/\(export.id!)").text
                expectText(view, "This export&#39;s connection is not shared with contributors, so you can only view it. It keeps running.")
                expectText(view, #"<input id="name" name="name" type="text" value="Weekly" maxlength="100" disabled>"#)
                #expect(!view.contains(#"id="save""#))
                #expect(!view.contains("/preview"))
                #expect(try await x.requestCounts()["GET /api/3/lists"] == nil)  // a view reads nothing from the account
                let token = try #require(Browser.csrf(in: view))
                #expect(try await bob.postRaw("/t/acme/data/exports/\(export.id!)/run", [("_csrf", token)]).status == .forbidden)
                #expect(
                    try await bob.postRaw(
                        "/t/acme/data/exports/\(export.id!)",
                        x.saveFields(name: "Mine", connection: x.shared) + [("_csrf", token)]
                    )
                    .status == .forbidden
                )
                #expect(try await x.database.export(tenantId: x.tenantId, id: export.id!)?.export.name == "Weekly")

                // The export still runs, on the schedule or for an admin.
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                let run = try await alice.post("/t/acme/data/exports/\(export.id!)/run", [], tokenFrom: "/t/acme/data/exports")
                #expect(run.status == .seeOther)
                await x.engine().runUntilIdle()
                expectText(try await bob.get(try #require(run.headers[.location])).text, #"<strong id="run-status">Successful</strong>"#)
                #expect(try await x.sandbox.listStatuses(2).count == 5)
            }
        }
    }

    @Test func exportsAndRunsOfAnotherWorkspaceAnswer404() async throws {
        try await ExportsWorld.with { x in
            let globexId = x.world.globex.id!
            let attribute = try x.database.ensureAttributes(tenantId: globexId, [("email", .text)])[0]
            let theirSegment = try await x.database.saveSegment(
                tenantId: globexId,
                id: nil,
                name: "All",
                description: "",
                rules: SegmentRules(combinator: .all, groups: []),
                actor: .commandLine,
                now: x.world.clock.now
            )
            let theirs = try await x.database.createExport(
                tenantId: globexId,
                settings: ExportSettings(
                    name: "Theirs",
                    connectionId: nil,
                    listId: "1",
                    segmentIds: [theirSegment.id!],
                    emailAttributeId: attribute.id!
                ),
                actor: .commandLine,
                now: x.world.clock.now
            )
            let theirRun = try await x.enqueue(theirs.id!, tenantId: globexId).run
            let ours = try await x.export("Ours", on: x.shared)
            let ourRun = try await x.enqueue(ours.id!).run
            try await x.world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                let token = try #require(Browser.csrf(in: try await alice.get("/account").text))
                let t = theirs.id!
                let gets = [
                    "/t/acme/data/exports/\(t)", "/t/acme/data/exports/\(t)/preview", "/t/acme/data/exports/\(t)/remove",
                    "/t/acme/data/exports/\(t)/runs/\(theirRun.id!)", "/t/acme/data/exports/\(t)/runs/\(theirRun.id!)/invalid.csv",
                    // Our export with their run, and their export id in a globex address we are not a member of.
                    "/t/acme/data/exports/\(ours.id!)/runs/\(theirRun.id!)", "/t/globex/data/exports/\(t)",
                ]
                for uri in gets { #expect(try await alice.get(uri).status == .notFound, "GET \(uri)") }
                let posts = [
                    "/t/acme/data/exports/\(t)", "/t/acme/data/exports/\(t)/run", "/t/acme/data/exports/\(t)/duplicate",
                    "/t/acme/data/exports/\(t)/remove", "/t/acme/data/exports/\(t)/runs/\(theirRun.id!)/cancel",
                    "/t/acme/data/exports/\(ours.id!)/runs/\(theirRun.id!)/cancel",
                ]
                for uri in posts {
                    #expect(try await alice.postRaw(uri, [("_csrf", token), ("step", "save")]).status == .notFound, "POST \(uri)")
                }
                #expect(!(try await alice.get("/t/acme/data/exports").text.contains("Theirs")))
                #expect(try await x.database.run(tenantId: globexId, id: theirRun.id!)?.state == .queued)
                #expect(try await x.database.export(tenantId: globexId, id: t)?.export.name == "Theirs")
                #expect(try await x.database.run(tenantId: x.tenantId, id: ourRun.id!)?.state == .queued)
            }
        }
    }

    @Test func runAllQueuesTheScheduledExportsThisPersonMayRunAndDuplicateCopiesSettings() async throws {
        try await ExportsWorld.with { x in
            let scheduled = try await x.export("Scheduled", on: x.shared)
            let manual = try await x.export("Manual only", on: x.shared, schedule: .off)
            let locked = try await x.export("Locked", on: x.adminOnly)
            try await x.world.app().test(.router) { client in
                var bob = Browser(client: client)
                try await bob.signIn("bob@acme.test")
                let all = try await bob.post("/t/acme/data/exports/run-all", [], tokenFrom: "/t/acme/data/exports")
                #expect(all.headers[.location] == "/t/acme/data/exports?done=all&queued=1&skipped=0")
                expectText(try await bob.get(all.headers[.location]!).text, "Run all: 1 queued, 0 skipped")
                #expect(try await x.database.runs(tenantId: x.tenantId, exportId: scheduled.id!).map(\.trigger) == [.runAll])
                #expect(try await x.database.runs(tenantId: x.tenantId, exportId: manual.id!).isEmpty)
                #expect(try await x.database.runs(tenantId: x.tenantId, exportId: locked.id!).isEmpty)
                // Again while it is queued: skipped, with why.
                let again = try await bob.post("/t/acme/data/exports/run-all", [], tokenFrom: "/t/acme/data/exports")
                #expect(again.headers[.location] == "/t/acme/data/exports?done=all&queued=0&skipped=1")
                let skipped = try #require(try await x.database.runs(tenantId: x.tenantId, exportId: scheduled.id!).first)
                #expect(skipped.state == .skipped && skipped.reason?.contains("is still going") == true)

                let copy = try await bob.post("/t/acme/data/exports/\(scheduled.id!)/duplicate", [], tokenFrom: "/t/acme/data/exports")
                let copied = try #require(try await x.database.export(tenantId: x.tenantId, name: "Copy of Scheduled"))
                #expect(copy.headers[.location] == "/t/acme/data/exports/\(copied.export.id!)?done=duplicated")
                #expect(copied.segments.map(\.id) == [x.segmentId])
                #expect(copied.export.listId == "2" && copied.export.connectionId == x.shared.id)
                #expect(copied.lastRun == nil)
                _ = try await bob.post("/t/acme/data/exports/\(scheduled.id!)/duplicate", [], tokenFrom: "/t/acme/data/exports")
                #expect(try await x.database.export(tenantId: x.tenantId, name: "Copy of Scheduled 2") != nil)
                #expect(try await x.activity().contains { $0 == "export.created Created export Copy of Scheduled as a copy of Scheduled" })
            }
        }
    }

    @Test func aContributorEditsAnExportAndAChangedListResetsWhatItDelivered() async throws {
        try await ExportsWorld.with { x in
            let export = try await x.export("Weekly", on: x.shared)
            try await x.enqueue(export.id!)
            await x.engine().runUntilIdle()
            let delivered = try await x.database.reader.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportLedger WHERE exportId = ?", arguments: [export.id!])
            }
            #expect(delivered == 5)
            try await x.world.app().test(.router) { client in
                var bob = Browser(client: client)
                try await bob.signIn("bob@acme.test")
                let page = "/t/acme/data/exports/\(export.id!)"
                var fields = x.saveFields(name: "Weekly renamed", connection: x.shared).filter { $0.0 != "schedule" }
                fields += [("schedule", "off"), ("runAutomations", "1")]
                let saved = try await bob.post(page, fields, tokenFrom: page)
                #expect(saved.status == .seeOther)
                #expect(saved.headers[.location] == page + "?done=saved")
                expectText(try await bob.get(saved.headers[.location]!).text, "Your changes were saved.")
                let edited = try #require(try await x.database.exports(tenantId: x.tenantId).first?.export)
                #expect(edited.name == "Weekly renamed" && edited.schedule == .off && edited.runAutomations && edited.listId == "2")
                #expect(try await x.activity().contains("export.changed Changed export Weekly renamed"))
                let kept = try await x.database.reader.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportLedger WHERE exportId = ?", arguments: [export.id!])
                }
                #expect(kept == 5, "same list and connection: what was delivered is still known")

                // Another list: the next run sends everyone, and the page says so.
                let moved = try await bob.post(page, x.saveFields(name: "Weekly renamed", connection: x.shared, list: "1"), tokenFrom: page)
                #expect(moved.headers[.location] == page + "?done=saved%2Dreset")
                expectText(try await bob.get(moved.headers[.location]!).text, "so its next run sends every contact")
                #expect(
                    try await x.activity().contains("export.changed Changed export Weekly renamed; its next run sends every contact")
                )
                let reset = try await x.database.reader.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportLedger WHERE exportId = ?", arguments: [export.id!])
                }
                #expect(reset == 0)
            }
        }
    }

    @Test func cancelAndConfirmWriteActivityAndAnswerForTheRunsState() async throws {
        try await ExportsWorld.with { x in
            let export = try await x.export("Weekly", on: x.shared)
            let queued = try await x.enqueue(export.id!).run
            try await x.world.app().test(.router) { client in
                var bob = Browser(client: client)
                try await bob.signIn("bob@acme.test")
                let runURI = "/t/acme/data/exports/\(export.id!)/runs/\(queued.id!)"
                let page = try await bob.get(runURI).text
                expectText(page, #"id="cancel-run""#)
                #expect(!page.contains(#"id="confirm-run""#))
                #expect(try await bob.post(runURI + "/confirm", [], tokenFrom: runURI).status == .conflict)
                let canceled = try await bob.post(runURI + "/cancel", [], tokenFrom: runURI)
                #expect(canceled.headers[.location] == runURI + "?done=canceled")
                let after = try await bob.get(canceled.headers[.location]!).text
                expectText(after, "The run was canceled. Nothing more is sent for it.")
                expectText(after, #"<strong id="run-status">Canceled</strong>"#)
                #expect(!after.contains(#"id="cancel-run""#))
                let refused = try await bob.post(runURI + "/cancel", [], tokenFrom: runURI)
                #expect(refused.status == .conflict)
                expectText(refused.text, "The run is already canceled")

                // A run held by the mirror's guard: Confirm and Cancel are offered; Confirm queues it again.
                let held = try await x.enqueue(export.id!).run
                try await x.database.holdForConfirmation(runId: held.id!, reason: "Mirror would unsubscribe 9 of about 10 contacts")
                let heldURI = "/t/acme/data/exports/\(export.id!)/runs/\(held.id!)"
                let waiting = try await bob.get(heldURI).text
                expectText(waiting, #"<strong id="run-status">Needs confirmation</strong>"#)
                expectText(waiting, "Mirror would unsubscribe 9 of about 10 contacts")
                expectText(waiting, #"id="confirm-run""#)
                expectText(waiting, #"id="cancel-run""#)
                // Run now meanwhile: a Skipped run that says why.
                guard case .skipped(let skipped) = try await x.enqueue(export.id!) else {
                    Issue.record("a run while another waits for confirmation must be skipped")
                    return
                }
                #expect(skipped.reason == "Run #\(held.id!) is waiting for confirmation.")
                expectText(
                    try await bob.get("/t/acme/data/exports/\(export.id!)/runs/\(skipped.id!)").text,
                    "Run #\(held.id!) is waiting for confirmation."
                )
                let confirmed = try await bob.post(heldURI + "/confirm", [], tokenFrom: heldURI)
                #expect(confirmed.headers[.location] == heldURI + "?done=confirmed")
                #expect(try await x.database.run(tenantId: x.tenantId, id: held.id!)?.state == .queued)
                let activity = try await x.activity()
                #expect(activity.contains("export.run.canceled Canceled run #\(queued.id!)"))
                #expect(activity.contains { $0.hasPrefix("export.run.confirmed Confirmed the removal") })
            }
        }
    }

    @Test func thePreviewCountsWhatTheNextRunWouldSendAndTheOtherRunsToTheSameAccount() async throws {
        try await ExportsWorld.with { x in
            let first = try await x.export("First", on: x.shared)
            _ = try await x.enqueue(first.id!)
            await x.engine().runUntilIdle()
            // After a run, the same contacts are unchanged; a changed one would be sent: exactly as the next run.
            _ = try await importCSV("profile_id,first_name\np2,Bob\n", into: x.database, tenantId: x.tenantId)
            let preview = try #require(try await x.database.previewExport(tenantId: x.tenantId, exportId: first.id!))
            #expect(preview.toSend == 1 && preview.unchanged == 4 && preview.new == 0 && preview.invalidTotal == 2)
            #expect(preview.sample.first { $0.action == .send }?.email == "bo@example.com")
            let second = try await x.enqueue(first.id!).run
            await x.engine().runUntilIdle()
            let ran = try #require(try await x.database.run(tenantId: x.tenantId, id: second.id!))
            #expect(ran.toSend == preview.toSend && ran.unchanged == preview.unchanged && ran.invalid == preview.invalidTotal)

            // Another export to the same account waits in the queue: the preview adds its contacts.
            let waiting = try await x.export("Waiting", on: x.adminOnly)
            _ = try await x.enqueue(waiting.id!)
            try await x.world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                let page = try await alice.get("/t/acme/data/exports/\(first.id!)/preview").text
                expectText(page, "1 other run to the same ActiveCampaign account still has up to 7 contacts to send.")
                // The admin-only connection's key is not an ActiveCampaign admin's: no contact limit, and why.
                let locked = try await alice.get("/t/acme/data/exports/\(waiting.id!)/preview").text
                expectText(locked, "shown only when the connection&#39;s key belongs to an ActiveCampaign administrator")
            }
        }
    }

    @Test func sendEstimateFollowsTheLimits() {
        let estimate = SendEstimate()
        #expect(estimate.seconds(contacts: 0) == 0)
        // 4 batches: 12 requests at 4 a second (3 s) outlast 4 imports at 100 a minute (2.4 s); plus the first poll.
        #expect(estimate.seconds(contacts: 1_000) == 6)
        // 1,000,000 contacts: 4,000 batches, 12,000 requests at 4/s.
        #expect(estimate.seconds(contacts: 1_000_000) == 3_003)
        // At a request rate the importer's limit binds: 4,000 imports at 100 a minute.
        #expect(SendEstimate(requestsPerSecond: 100).seconds(contacts: 1_000_000) == 2_403)
        #expect(Format.duration(3_003) == "51 min")
        #expect(Format.duration(4) == "4 s")
        #expect(Format.duration(7_260) == "2 h 1 min")
    }

    /// An export that never ran says so once; a finished run's rate is its average, a running one's is live.
    @Test func theListSaysNeverRunOnceAndAnEndedRunShowsItsAverageRate() {
        let rows = ExportsController.ListPage.mock.rows
        #expect(rows.map(\.status) == ["Completed with errors", "Never run", "Never run"])
        #expect(rows.map { $0.lastRun == nil } == [false, true, true])
        var running = ExportMocks.run(id: 13, exportId: 7, state: .running)
        (running.accepted, running.rejected) = (500, 0)
        let live = RunProgress(running, now: ExportMocks.day.addingTimeInterval(52))  // 500 in 50 s
        #expect(live.rate == "10 contacts/s")
        #expect(live.timeLeft != nil)
        let ended = RunProgress(ExportMocks.run(id: 12, exportId: 7, state: .completedWithErrors), now: ExportMocks.day)  // 1,000 in 90 s
        #expect(ended.rate == "Average 11 contacts/s")
        #expect(ended.timeLeft == nil)
    }

    /// Batches go out while the freeze still reads members: the page says what has arrived so far, never "5 of 0".
    @Test func aRunSendingWhileItStillPreparesSaysWhatArrivedSoFar() {
        var run = ExportMocks.run(id: 14, exportId: 7, state: .running)
        run.phase = .prepare
        (run.toSend, run.accepted, run.rejected, run.batches, run.batchesConfirmed) = (0, 0, 0, 0, 0)
        #expect(RunProgress(run, now: ExportMocks.day).progress == "Reading the segments' members and planning batches.")
        (run.accepted, run.batchesConfirmed) = (1_250, 5)
        let sending = RunProgress(run, now: ExportMocks.day.addingTimeInterval(12))
        #expect(
            sending.progress == "Reading the segments' members and sending batches as they fill: 1,250 contacts accepted so far."
        )
        #expect(sending.batchesText == "5 batches confirmed so far")
        #expect(sending.rate == nil && sending.timeLeft == nil)
        var canceled = run
        (canceled.state, canceled.phase, canceled.finishedAt) = (.canceled, .done, ExportMocks.day.addingTimeInterval(20))
        let ended = RunProgress(canceled, now: ExportMocks.day.addingTimeInterval(30))
        #expect(ended.progress == "1,250 contacts accepted before the run ended")
        #expect(ended.batchesText == "5 batches confirmed")
        run.phase = .send
        (run.toSend, run.batches) = (4_000, 16)
        #expect(RunProgress(run, now: ExportMocks.day).batchesText == "5 of 16 batches confirmed")
    }

    @Test func csvCellsNeverStartAFormula() {
        for (value, cell) in [
            ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "\"'\rx\""),
            ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("line\nbreak", "\"line\nbreak\""),
            ("plain@example.com", "plain@example.com"),
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
        ] {
            #expect(RunProblemCSV.cell(value) == cell, "\(value)")
        }
        #expect(
            RunProblemCSV.line(RunProblemRow(profileId: "-5", email: "@evil", outcome: "invalid", reason: "No, really"))
                == "'-5,'@evil,\"No, really\"\r\n"
        )
    }

    @Test func theProgressScriptIsServed() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            let script = try await client.execute(uri: "/run-progress.js", method: .get) { $0 }
            #expect(script.status == .ok)
            #expect(script.text.contains("application/json"))
        }
    }
}

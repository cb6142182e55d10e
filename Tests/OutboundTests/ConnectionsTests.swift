import ActiveCampaign
import ActiveCampaignSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Secrets
import Store
import Testing

@testable import Web

/// Drives the connection form like a person: each step posts the whole form with the draft id of the last page.
struct ConnectionForm {
    var browser: Browser
    var action = "/t/acme/admin/connections/new"
    var lastPage = ""
    var pages: [String] = []

    static func draftId(in html: String) -> String {
        guard let range = html.range(of: #"name="draft" value=""#) else { return "" }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    mutating func open(_ uri: String = "/t/acme/admin/connections/new?type=activecampaign") async throws {
        let response = try await browser.get(uri)
        #expect(response.status == .ok)
        lastPage = response.text
        pages.append(lastPage)
    }

    @discardableResult
    mutating func step(
        _ step: String,
        name: String = "Main account",
        usableBy: String = "admins",
        apiKey: String = "",
        apiHost: String,
        consent: Bool = false
    ) async throws -> TestResponse {
        let token = try #require(Browser.csrf(in: lastPage))
        var fields = [
            ("_csrf", token), ("draft", Self.draftId(in: lastPage)), ("step", step), ("name", name),
            ("usableBy", usableBy), ("apiKey", apiKey), ("apiHost", apiHost),
        ]
        if consent { fields.append(("consent", "agreed")) }
        let response = try await browser.postRaw(action, fields)
        if response.status != .seeOther { lastPage = response.text }
        pages.append(response.text)
        return response
    }
}

func expectText(_ html: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(html.contains(text), "missing: \(text)", sourceLocation: sourceLocation)
}

@Suite struct ConnectionsTests {
    @Test func anAdminConnectsSavesAndSeesItConnected() async throws {
        try await SandboxHarness.with { sandbox in
            let world = try await TestWorld.make { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                let empty = try await alice.get("/t/acme/admin/connections")
                expectText(empty.text, "No connections yet.")
                expectText(try await alice.get("/t/acme/admin/connections/new").text, "?type=activecampaign")

                var form = ConnectionForm(browser: alice)
                try await form.open()
                let host = "http://127.0.0.1:\(sandbox.port)/api/3/"

                let wrongKey = try await form.step("connect", apiKey: "not-the-key", apiHost: host)
                #expect(wrongKey.status == .unprocessableContent)
                expectText(wrongKey.text, "ActiveCampaign did not accept this API key")
                #expect(!wrongKey.text.contains("not-the-key"))

                let connected = try await form.step("connect", apiKey: "test-key-admin", apiHost: host)
                #expect(connected.status == .ok)
                expectText(connected.text, "Connected to ActiveCampaign as acme (owner@acme.example)")
                expectText(connected.text, "Outbound uses the hostname 127.0.0.1:\(sandbox.port)")
                expectText(connected.text, "Key ending dmin checked")
                #expect(!connected.text.contains("test-key-admin"))

                let incomplete = try await form.step("save", name: "", apiHost: host)
                expectText(incomplete.text, "Enter a display name.")
                expectText(incomplete.text, "Agree to the data privacy and compliance terms to save.")
                expectText(incomplete.text, "Add yourself as export user before saving.")

                let exportUser = try await form.step("export-user", apiHost: host)
                expectText(exportUser.text, "Exports run on behalf of alice@acme.test")

                let saved = try await form.step("save", name: "Main <account>", usableBy: "contributors", apiHost: host, consent: true)
                #expect(saved.status == .seeOther)
                #expect(saved.headers[.location] == "/t/acme/admin/connections?done=created")

                let list = try await alice.get("/t/acme/admin/connections").text
                expectText(list, "Main &lt;account&gt;")
                expectText(list, "Administrators and contributors")
                expectText(list, "alice@acme.test")
                expectText(list, "Connected")
                expectText(list, "<td class=\"host\">127.0.0.1:\(sandbox.port)</td>")  // which account, at a glance
                let stored = try #require(try await world.database.connections(tenantId: world.acme.id!).first)
                #expect(stored.apiKeyLastFour == "dmin")
                #expect(stored.consentUserId == world.userId("alice@acme.test"))
                #expect(stored.apiHost == "127.0.0.1:\(sandbox.port)")
                #expect(try world.vault.open(stored.apiKeySealed!, context: stored.apiKeyContext!).value == "test-key-admin")

                let activity = try await alice.get("/t/acme/admin/activity").text
                expectText(activity, "connection.created")
                expectText(activity, "connection.consent")
                expectText(activity, "connection.export_user")
                for page in form.pages + [list, activity] { #expect(!page.contains("test-key-admin")) }
                #expect(
                    try await sandbox.inspect("requests")["counts"] as? [String: Int] == [
                        "GET /api/3/users/me": 1, "GET /api/3/lists": 1,
                    ]
                )  // the refused key belongs to no account
            }
        }
    }

    @Test func connectErrorsStandNextToTheirField() async throws {
        // Production timeouts: every step below has one possible outcome, so none can end in "did not answer in time".
        try await SandboxHarness.with { sandbox in
            try await MisbehavingServer.with(.tlsAlert) { tlsPort in
                let world = try await TestWorld.make {
                    $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)", "https://localhost:\(tlsPort)"]
                }
                try await world.app().test(.router) { client in
                    var alice = Browser(client: client)
                    try await alice.signIn("alice@acme.test")
                    var form = ConnectionForm(browser: alice)
                    try await form.open()
                    let host = "127.0.0.1:\(sandbox.port)"

                    expectText(
                        try await form.step("connect", apiKey: "", apiHost: host).text,
                        "Enter the API key from Settings &gt; Developer in ActiveCampaign."
                    )
                    expectText(try await form.step("connect", apiKey: "has space", apiHost: host).text, "This is not an API key")
                    let noPermission = try await form.step("connect", apiKey: "test-key-nolists", apiHost: host).text
                    expectText(noPermission, "apiKey-error")
                    expectText(noPermission, "You do not have permission to view lists.")
                    expectText(
                        try await form.step("connect", apiKey: "k", apiHost: "nosuch.api-us1.com").text,
                        "The host name nosuch.api-us1.com was not found."
                    )
                    expectText(
                        try await form.step("connect", apiKey: "k", apiHost: "https://localhost:\(tlsPort)").text,
                        "A secure (TLS) connection to the host could not be made."
                    )

                    _ = try await sandbox.inspect(
                        "faults",
                        method: .POST,
                        body:
                            #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":1,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
                    )
                    expectText(
                        try await form.step("connect", apiKey: "test-key-admin", apiHost: host).text,
                        "ActiveCampaign is limiting the request rate; try again in 1 s."
                    )
                }
            }
        }
    }

    @Test func aHostThatNeverAnswersIsReportedAsNotAnsweringInTime() async throws {
        // The server accepts and stays silent, so only the read timeout can end the step: a short one is safe.
        try await MisbehavingServer.with(.silent) { port in
            let world = try await TestWorld.make {
                $0.allowedDestinationHosts = ["127.0.0.1:\(port)"]
                $0.destinationReadTimeout = .milliseconds(300)
            }
            try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                var form = ConnectionForm(browser: alice)
                try await form.open()
                let slow = try await form.step("connect", apiKey: "test-key-admin", apiHost: "127.0.0.1:\(port)").text
                expectText(slow, "apiHost-error")
                expectText(slow, "ActiveCampaign did not answer in time.")
            }
        }
    }

    @Test func theRequestGoesToTheAddressThatWasChecked() async throws {
        try await SandboxHarness.with { sandbox in
            // pinned.api-us1.com does not exist in DNS; only the checked (resolved) address is used, via dnsOverride.
            var pinned = try await TestWorld.make { $0.allowedDestinationHosts = ["http://pinned.api-us1.com:\(sandbox.port)"] }
            pinned.resolver.table["pinned.api-us1.com"] = ["127.0.0.1"]
            let world = pinned
            try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                var form = ConnectionForm(browser: alice)
                try await form.open()
                let page = try await form.step("connect", apiKey: "test-key-admin", apiHost: "pinned.api-us1.com:\(sandbox.port)")
                expectText(page.text, "Connected to ActiveCampaign as acme")
            }
        }
    }

    @Test func afterSavingTheKeyIsInNoFileLogPageOrDraft() async throws {
        try await SandboxHarness.with { sandbox in
            let records = LogRecorder()
            var recorded = try await TestWorld.make(onDisk: true) { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            recorded.logger = Logger(label: "recorded") { _ in RecordingHandler(recorder: records) }
            recorded.logger.logLevel = .trace
            let world = recorded
            let secretKey = "test-key-admin"
            let pages = try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                var form = ConnectionForm(browser: alice)
                try await form.open()
                let host = "127.0.0.1:\(sandbox.port)"
                try await form.step("connect", apiKey: secretKey, apiHost: host)
                #expect(try await world.database.sealedValueCountsByKey().values.reduce(0, +) == 1)  // the sealed draft
                try await form.step("export-user", apiHost: host)
                #expect(try await form.step("save", name: "Secretive", apiHost: host, consent: true).status == .seeOther)
                var pages = form.pages
                for uri in ["/t/acme/admin/connections", "/t/acme/admin/activity"] { pages.append(try await alice.get(uri).text) }
                let id = try #require(try await world.database.connections(tenantId: world.acme.id!).first?.id)
                pages.append(try await alice.get("/t/acme/admin/connections/\(id)").text)
                pages.append(try await alice.get("/t/acme/admin/connections/\(id)/remove").text)
                return pages
            }
            #expect(pages.count >= 8)
            for page in pages { #expect(!page.contains(secretKey)) }
            #expect(!records.lines.isEmpty)
            #expect(!records.lines.contains { $0.contains(secretKey) })
            #expect(try await world.database.sealedValueCountsByKey() == ["k1": 1])  // the connection's key only, no draft
            let directory = try #require(world.directory)
            for file in ["outbound.sqlite", "outbound.sqlite-wal"] {
                let data = (try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(file)"))) ?? Data()
                #expect(data.range(of: Data(secretKey.utf8)) == nil, "\(file) holds the key")
            }
            #expect(FileManager.default.fileExists(atPath: "\(directory)/outbound.sqlite-wal"))
        }
    }

    @Test func editRenamesReplacesTheKeyAndAHostChangeNeedsTheKeyAgain() async throws {
        try await SandboxHarness.with { sandbox in
            let world = try await TestWorld.make {
                $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)", "localhost:\(sandbox.port)"]
            }
            let connection = try await world.connect(name: "Main", key: "test-key-admin", host: "127.0.0.1:\(sandbox.port)")
            try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                var form = ConnectionForm(browser: alice, action: "/t/acme/admin/connections/\(connection.id!)")
                try await form.open(form.action)
                expectText(form.lastPage, "Stored key ends in dmin")
                #expect(!form.lastPage.contains("test-key-admin"))

                let renamed = try await form.step("save", name: "Renamed", usableBy: "contributors", apiHost: "127.0.0.1:\(sandbox.port)")
                #expect(renamed.headers[.location] == "/t/acme/admin/connections/\(connection.id!)?done=saved")
                try await form.open(form.action)

                let moved = try await form.step("save", name: "Renamed", usableBy: "contributors", apiHost: "localhost:\(sandbox.port)")
                expectText(moved.text, "A new hostname needs the API key again")
                let movedConnect = try await form.step(
                    "connect",
                    name: "Renamed",
                    usableBy: "contributors",
                    apiHost: "localhost:\(sandbox.port)"
                )
                expectText(movedConnect.text, "A new hostname needs the API key again")
                let unchecked = try await form.step(
                    "save",
                    name: "Renamed",
                    usableBy: "contributors",
                    apiKey: "test-key-member",
                    apiHost: "127.0.0.1:\(sandbox.port)"
                )
                expectText(unchecked.text, "Press Connect to check the new key before saving.")

                let reconnected = try await form.step(
                    "connect",
                    name: "Renamed",
                    usableBy: "contributors",
                    apiKey: "test-key-member",
                    apiHost: "localhost:\(sandbox.port)"
                )
                expectText(reconnected.text, "Save to use this key.")
                let saved = try await form.step("save", name: "Renamed", usableBy: "contributors", apiHost: "localhost:\(sandbox.port)")
                #expect(saved.status == .seeOther)

                let stored = try #require(try await world.database.connection(tenantId: world.acme.id!, id: connection.id!))
                #expect(stored.name == "Renamed")
                #expect(stored.usableBy == .contributors)
                #expect(stored.apiHost == "localhost:\(sandbox.port)")
                #expect(try world.vault.open(stored.apiKeySealed!, context: stored.apiKeyContext!).value == "test-key-member")
                let activity = try await alice.get("/t/acme/admin/activity").text
                expectText(activity, "renamed from Main to Renamed")
                expectText(activity, "Changed the host of Renamed from 127.0.0.1:\(sandbox.port) to localhost:\(sandbox.port)")
            }
        }
    }

    @Test func verifyAgainAndAnExportUserWhoLostAccessNeedAttention() async throws {
        try await SandboxHarness.with { sandbox in
            let world = try await TestWorld.make { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            let connection = try await world.connect(name: "Main", key: "test-key-admin", host: "127.0.0.1:\(sandbox.port)")
            try await world.database.changeRole(
                tenantId: world.acme.id!,
                userId: world.userId("bob@acme.test"),
                to: .admin,
                actor: .commandLine
            )
            try await world.database.setExportUser(
                tenantId: world.acme.id!,
                id: connection.id!,
                userId: world.userId("bob@acme.test"),
                actor: .commandLine,
                now: .now
            )
            try await world.database.changeRole(
                tenantId: world.acme.id!,
                userId: world.userId("bob@acme.test"),
                to: .contributor,
                actor: .commandLine
            )
            try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                expectText(try await alice.get("/t/acme/admin/connections").text, "Needs attention: export user lost access")
                var form = ConnectionForm(browser: alice, action: "/t/acme/admin/connections/\(connection.id!)")
                try await form.open(form.action)
                expectText(form.lastPage, "who is no longer an administrator here")
                #expect(try await form.step("export-user", name: "Main", apiHost: "127.0.0.1:\(sandbox.port)").status == .seeOther)
                expectText(try await alice.get("/t/acme/admin/connections").text, "Connected")

                try await form.open(form.action)
                let verified = try await form.step("verify", name: "Main", apiHost: "127.0.0.1:\(sandbox.port)")
                #expect(verified.headers[.location] == "\(form.action)?done=verified")

                _ = try await sandbox.inspect(
                    "faults",
                    method: .POST,
                    body:
                        #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":1,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
                )
                try await form.open(form.action)
                let failed = try await form.step("verify", name: "Main", apiHost: "127.0.0.1:\(sandbox.port)")
                expectText(
                    failed.text,
                    "Verification failed: ActiveCampaign refused the request because of the account&#39;s payment status (402)."
                )
                expectText(try await alice.get("/t/acme/admin/connections").text, "Needs attention: ActiveCampaign refused the request")
                expectText(try await alice.get("/t/acme/admin/activity").text, "Verification of Main failed")
            }
        }
    }

    @Test func removalDetachesOrRemovesItsExportsInOneStep() async throws {
        try await SandboxHarness.with { sandbox in
            let world = try await TestWorld.make { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            let first = try await world.connect(name: "First", key: "test-key-admin", host: "127.0.0.1:\(sandbox.port)")
            let second = try await world.connect(name: "Second", key: "test-key-admin", host: "127.0.0.1:\(sandbox.port)")
            let weekly = try await world.database.createExport(
                tenantId: world.acme.id!,
                name: "Weekly newsletter",
                connectionId: first.id,
                listId: "1"
            )
            let vip = try await world.database.createExport(tenantId: world.acme.id!, name: "VIP", connectionId: second.id, listId: "2")
            try await world.app().test(.router) { client in
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                let confirm = try await alice.get("/t/acme/admin/connections/\(first.id!)/remove").text
                expectText(confirm, "<li>Weekly newsletter</li>")
                expectText(confirm, "Contacts already sent stay in ActiveCampaign.")
                let removed = try await alice.post(
                    "/t/acme/admin/connections/\(first.id!)/remove",
                    [("exports", "detach")],
                    tokenFrom: "/t/acme/admin/connections"
                )
                #expect(removed.headers[.location] == "/t/acme/admin/connections?done=removed")
                #expect(try await world.database.exportConnectionId(tenantId: world.acme.id!, exportId: weekly.id) == .some(nil))
                _ = try await alice.post(
                    "/t/acme/admin/connections/\(second.id!)/remove",
                    [("exports", "remove")],
                    tokenFrom: "/t/acme/admin/connections"
                )
                #expect(try await world.database.exportConnectionId(tenantId: world.acme.id!, exportId: vip.id) == nil)
                #expect(try await world.database.connections(tenantId: world.acme.id!).isEmpty)
                #expect(try world.database.sealedValueCount() == 0)
                let activity = try await alice.get("/t/acme/admin/activity").text
                expectText(
                    activity,
                    "Removed connection First (127.0.0.1:\(sandbox.port)) and its stored API key; detached exports: Weekly newsletter"
                )
                expectText(activity, "removed exports: VIP")
                #expect(try await alice.get("/t/acme/admin/connections/\(first.id!)").status == .notFound)
            }
        }
    }

    @Test func draftsExpireAndBelongToOneSession() async throws {
        try await SandboxHarness.with { sandbox in
            let world = try await TestWorld.make { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            try await world.app().test(.router) { client in
                let host = "127.0.0.1:\(sandbox.port)"
                var alice = Browser(client: client)
                try await alice.signIn("alice@acme.test")
                var form = ConnectionForm(browser: alice)
                try await form.open()
                try await form.step("connect", apiKey: "test-key-admin", apiHost: host)
                try await form.step("export-user", apiHost: host)
                let draftPage = form.lastPage

                // Another session of the same person cannot use this draft.
                var elsewhere = Browser(client: client)
                try await elsewhere.signIn("alice@acme.test")
                var other = ConnectionForm(browser: elsewhere)
                try await other.open()
                other.lastPage = other.lastPage.replacingOccurrences(
                    of: #"name="draft" value="""#,
                    with: #"name="draft" value="\#(ConnectionForm.draftId(in: draftPage))""#
                )
                expectText(
                    try await other.step("save", apiHost: host, consent: true).text,
                    "Press Connect to check the API key before saving."
                )

                world.clock.advance(by: 31 * 60)
                try await alice.signIn("alice@acme.test")  // the idle session ended too; a new one
                form.browser = alice
                let token = try #require(Browser.csrf(in: try await alice.get("/account").text))
                form.lastPage = draftPage.replacingOccurrences(of: Browser.csrf(in: draftPage)!, with: token)
                expectText(
                    try await form.step("save", apiHost: host, consent: true).text,
                    "Press Connect to check the API key before saving."
                )
                #expect(try await world.database.connections(tenantId: world.acme.id!).isEmpty)
            }
        }
    }
}

@Suite struct HostnameRuleTests {
    let policy = HostPolicy(allowedHosts: ["127.0.0.1:8089"])

    @Test func pastedURLsBecomeTheHost() throws {
        for input in [
            "https://acme.api-us1.com/api/3/", "acme.api-us1.com", "ACME.API-US1.COM.", " https://acme.api-us1.com ",
            "https://acme.api-us1.com:443/api/3", "acme.api-us1.com/api/3?x=1#y",
        ] {
            #expect(try policy.normalise(input).destination == .init(host: "acme.api-us1.com"), "\(input)")
        }
        #expect(try policy.normalise("https://acme.api-us1.com/api/3/").changed)
        #expect(try !policy.normalise("acme.api-us1.com").changed)
        #expect(try policy.normalise("eu-team.api-eu1.com").destination.host == "eu-team.api-eu1.com")
    }

    @Test func badHostsAreRefusedWithAReason() {
        let cases: [(String, HostPolicy.Refusal)] = [
            ("", .empty), ("   ", .empty),
            ("acme.activehosted.com", .webAppHost("acme.activehosted.com")),
            ("https://acme.activehosted.com/app/settings", .webAppHost("acme.activehosted.com")),
            ("127.0.0.1", .ipLiteral), ("2130706433", .ipLiteral), ("0177.0.0.1", .ipLiteral), ("0x7f.0.0.1", .ipLiteral),
            ("0x7f000001", .ipLiteral), ("127.1", .ipLiteral), ("[::1]", .ipLiteral), ("::ffff:127.0.0.1", .ipLiteral),
            ("[::ffff:7f00:1]", .ipLiteral), ("169.254.169.254", .ipLiteral), ("10.0.0.1", .ipLiteral),
            ("example.com", .notActiveCampaign("example.com")),
            ("acme.api-us1.com.evil.com", .notActiveCampaign("acme.api-us1.com.evil.com")),
            ("api-us1.com", .notActiveCampaign("api-us1.com")), ("acme.api-us1.com:8080", .notActiveCampaign("acme.api-us1.com:8080")),
            ("ftp://acme.api-us1.com", .malformed), ("https://user@evil.com@acme.api-us1.com", .malformed),
            ("acme .api-us1.com", .malformed), ("acmé.api-us1.com", .malformed), ("<script>.api-us1.com", .malformed),
            ("127.0.0.1:9999", .ipLiteral),
        ]
        for (input, refusal) in cases {
            #expect(throws: refusal, "\(input)") { try policy.normalise(input) }
        }
        #expect(HostPolicy.Refusal.webAppHost("acme.activehosted.com").description.contains("Settings > Developer"))
        #expect(HostPolicy.Refusal.notActiveCampaign("x").description.contains("--allow-destination-host"))
    }

    @Test func resolvedAddressesMustBePublic() throws {
        let destination = HostPolicy.Destination(host: "acme.api-us1.com")
        #expect(try policy.check(destination, addresses: ["93.184.216.34"]) == "93.184.216.34")
        #expect(try policy.check(destination, addresses: ["2606:2800:220:1:248:1893:25c8:1946"]) == "2606:2800:220:1:248:1893:25c8:1946")
        for address in [
            "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
            "100.127.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "0.0.0.0", "192.0.2.1",
            "198.18.0.1", "198.51.100.7", "203.0.113.9", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
            "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2001:db8::1", "64:ff9b::a00:1", "2002:a00:1::1",
        ] {
            #expect(throws: HostPolicy.Refusal.forbiddenAddress(host: "acme.api-us1.com", address: address), "\(address)") {
                try policy.check(destination, addresses: [address])
            }
        }
        // One bad address among good ones is enough to refuse.
        #expect(throws: HostPolicy.Refusal.forbiddenAddress(host: "acme.api-us1.com", address: "169.254.169.254")) {
            try policy.check(destination, addresses: ["93.184.216.34", "169.254.169.254"])
        }
        #expect(throws: HostPolicy.Refusal.unresolvable("acme.api-us1.com")) { try policy.check(destination, addresses: []) }
        // The operator's allowance is what lets the sandbox on loopback through.
        #expect(try policy.normalise("http://127.0.0.1:8089/api/3").destination == .init(host: "127.0.0.1", port: 8089))
        #expect(try policy.check(.init(host: "127.0.0.1", port: 8089), addresses: ["127.0.0.1"]) == "127.0.0.1")
        #expect(policy.operatorScheme(.init(host: "127.0.0.1", port: 8089)) == "http")
        #expect(HostPolicy(allowedHosts: ["https://localhost:9"]).operatorScheme(.init(host: "localhost", port: 9)) == "https")
    }

    @Test func privateAnswersForAnAPIHostAreRefusedOnConnect() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            var form = ConnectionForm(browser: alice)
            try await form.open()
            for host in ["private.api-us1.com", "loop.api-us1.com", "mapped.api-us1.com", "mixed.api-us1.com", "cgnat.api-us1.com"] {
                let page = try await form.step("connect", apiKey: "some-key", apiHost: host)
                expectText(page.text, "\(host) points to a private or reserved network address")
            }
            expectText(
                try await form.step("connect", apiKey: "k", apiHost: "acme.activehosted.com").text,
                "is ActiveCampaign&#39;s web app"
            )
            expectText(try await form.step("connect", apiKey: "k", apiHost: "0x7f000001").text, "not an IP address")
        }
    }
}

extension TestWorld {
    /// A saved connection made through the store (for tests of the pages that follow creation).
    func connect(
        name: String,
        key: String,
        host: String,
        exportUser: String = "alice@acme.test",
        tenant: Tenant? = nil
    ) async throws -> Connection {
        let tenantId = (tenant ?? acme).id!
        let session = try await database.createSession(
            UserSession(
                tokenHash: UUID().uuidString,
                userId: userId(exportUser),
                csrfToken: "x",
                clientAddress: "test",
                userAgent: "test",
                createdAt: .now,
                lastSeenAt: .now,
                expiresAt: .now.addingTimeInterval(3600)
            )
        )
        let draft = try await database.saveDraft(
            existing: nil,
            sessionId: session.id!,
            tenantId: tenantId,
            connectionId: nil,
            verified: VerifiedKey(apiHost: host, apiKey: Redacted(key), accountName: "acme"),
            exportUserId: userId(exportUser),
            vault: vault,
            now: .now
        )
        return try await database.createConnection(
            tenantId: tenantId,
            name: name,
            usableBy: .admins,
            draft: draft,
            consentUserId: userId(exportUser),
            vault: vault,
            actor: .commandLine,
            now: .now
        )
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Store
@testable import Web

@Suite struct SecurityTests {
    static let csp = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    func expectSecurityHeaders(_ response: TestResponse, noStore: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.headers[.contentSecurityPolicy] == Self.csp, sourceLocation: sourceLocation)
        #expect(response.headers[.xContentTypeOptions] == "nosniff", sourceLocation: sourceLocation)
        #expect(response.headers[.referrerPolicy] == "same-origin", sourceLocation: sourceLocation)
        if noStore { #expect(response.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation) }
    }

    @Test func everyKindOfResponseCarriesTheSecurityHeaders() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            let redirect = try await alice.signIn("alice@acme.test")
            #expect(redirect.status == .seeOther)
            expectSecurityHeaders(redirect)
            expectSecurityHeaders(try await alice.get("/t/acme/admin/members"))  // page
            let notFound = try await alice.get("/no/such/page")
            #expect(notFound.status == .notFound)
            expectSecurityHeaders(notFound)
            #expect(notFound.text.contains("Page not found"))
            let staticFile = try await client.execute(uri: "/app.css", method: .get) { $0 }
            #expect(staticFile.status == .ok)
            expectSecurityHeaders(staticFile, noStore: false)
            let health = try await client.execute(uri: "/healthz", method: .get) { $0 }
            #expect(health.status == .ok)
            expectSecurityHeaders(health)

            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            let forbidden = try await bob.get("/t/acme/admin/members")
            #expect(forbidden.status == .forbidden)
            expectSecurityHeaders(forbidden)

            let huge = String(repeating: "a", count: 200_000)
            let tooLarge = try await alice.postRaw("/t/acme/admin/members", [("email", huge)])
            #expect(tooLarge.status == .contentTooLarge)
            expectSecurityHeaders(tooLarge)

            let csrf = try await alice.postRaw("/t/acme/admin/members", [("email", "x@acme.test")])
            #expect(csrf.status == .forbidden)
            expectSecurityHeaders(csrf)

            let wrongMethod = try await client.execute(uri: "/login", method: .delete) { $0 }
            #expect(wrongMethod.status.code >= 400)
            expectSecurityHeaders(wrongMethod)
        }
    }

    @Test func aPostWithoutAValidCSRFTokenChangesNothing() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let bobId = world.userId("bob@acme.test")
            for fields in [[("role", "admin")], [("role", "admin"), ("_csrf", "forged-token")]] {
                let response = try await alice.postRaw("/t/acme/admin/members/\(bobId)/role", fields)
                #expect(response.status == .forbidden)
            }
            let missing = try await alice.postRaw("/t/acme/admin/members", [("email", "eve@acme.test"), ("role", "admin")])
            #expect(missing.status == .forbidden)
            let members = try await world.database.members(tenantId: world.acme.id!)
            #expect(members.first { $0.userId == bobId }?.role == .contributor)
            #expect(!members.contains { $0.email == "eve@acme.test" })
            // Another person's token does not work either.
            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            let carolsToken = try #require(Browser.csrf(in: try await carol.get("/account").text))
            let stolen = try await alice.postRaw("/t/acme/admin/members/\(bobId)/remove", [("_csrf", carolsToken)])
            #expect(stolen.status == .forbidden)
            #expect(try await world.database.members(tenantId: world.acme.id!).contains { $0.userId == bobId })
        }
    }

    /// Every route under /t/{tenant}, read from the router itself, so new routes are covered without editing this.
    func tenantRoutes(_ router: Router<AppRequestContext>) -> [(method: HTTPRequest.Method, path: String)] {
        router.routes.map { ($0.method, $0.path.description) }.filter { $0.1.hasPrefix("/t/") }
    }

    func fill(_ path: String, tenant: String, userId: Int64, id: Int64 = 1) -> String {
        path.replacingOccurrences(of: "{tenant}", with: tenant)
            .replacingOccurrences(of: "{id}", with: String(id))
            .replacingOccurrences(of: "{userId}", with: String(userId))
            .replacingOccurrences(of: ":tenant", with: tenant)
            .replacingOccurrences(of: ":userId", with: String(userId))
    }

    @Test func everyTenantRouteAnswers404ToNonMembersAsForAMissingTenant() async throws {
        let world = try await TestWorld.make()
        let routes = tenantRoutes(try await world.router())
        #expect(routes.count >= 15)
        // A real object of the other tenant, so that routes with an id are tried with one that exists.
        let theirs = try await world.connect(
            name: "Globex AC",
            key: "globex-key",
            host: "globex.api-us1.com",
            exportUser: "mallory@globex.test",
            tenant: world.globex
        )
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let token = try #require(Browser.csrf(in: try await alice.get("/account").text))
            let mallory = world.userId("mallory@globex.test")
            for route in routes {
                var bodies: [String] = []
                for tenant in ["globex", "no-such-tenant"] {
                    let uri = fill(route.path, tenant: tenant, userId: mallory, id: theirs.id!)
                    let response =
                        route.method == .get
                        ? try await alice.get(uri)
                        : try await alice.postRaw(uri, [("_csrf", token), ("role", "viewer"), ("email", "x@acme.test")])
                    #expect(response.status == .notFound, "\(route.method) \(uri)")
                    bodies.append(response.text)
                }
                #expect(bodies[0] == bodies[1], "\(route.method) \(route.path) tells an existing tenant apart")
            }
            #expect(try await world.database.members(tenantId: world.globex.id!).map(\.email) == ["mallory@globex.test"])
            #expect(try await world.database.connections(tenantId: world.globex.id!).map(\.name) == ["Globex AC"])
        }
    }

    @Test func contributorsAndViewersGet403OnEveryAdminRoute() async throws {
        let world = try await TestWorld.make()
        let adminRoutes = tenantRoutes(try await world.router()).filter { $0.path.contains("/admin/") }
        #expect(adminRoutes.count >= 12)
        let ours = try await world.connect(name: "Acme AC", key: "acme-key", host: "acme.api-us1.com")
        try await world.app().test(.router) { client in
            for email in ["bob@acme.test", "carol@acme.test"] {
                var person = Browser(client: client)
                try await person.signIn(email)
                let token = try #require(Browser.csrf(in: try await person.get("/account").text))
                for route in adminRoutes {
                    let uri = fill(route.path, tenant: "acme", userId: world.userId("alice@acme.test"), id: ours.id!)
                    let response =
                        route.method == .get
                        ? try await person.get(uri)
                        : try await person.postRaw(uri, [("_csrf", token), ("role", "viewer"), ("email", "x@acme.test")])
                    #expect(response.status == .forbidden, "\(email) \(route.method) \(uri)")
                }
                let page = try await person.get("/t/acme/data/exports")
                #expect(page.status == .ok)
                #expect(!page.text.contains("/admin/members"))  // the navigation hides what the role cannot use
            }
            #expect(try await world.database.members(tenantId: world.acme.id!).first { $0.email == "alice@acme.test" }?.role == .admin)
            #expect(try await world.database.connections(tenantId: world.acme.id!).map(\.name) == ["Acme AC"])
        }
    }

    /// The typed route a router path was registered from, or nil for a route that has no rule.
    func typedRoute(_ path: String) -> TenantRoute? {
        TenantRoute.allCases.first { route in
            let pattern = route.rawValue.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return (["/t", "{tenant}"] + pattern).joined(separator: "/") == path
        }
    }

    /// Every tenant route the router lists, for every role: 403 exactly when the policy says no. A route added
    /// without a typed route (and so without a rule) fails here.
    @Test func everyTenantRouteAnswersEachRoleAsThePolicySays() async throws {
        let world = try await TestWorld.make()
        let routes = tenantRoutes(try await world.router())
        let ours = try await world.connect(name: "Acme AC", key: "acme-key", host: "acme.api-us1.com")
        try await world.app().test(.router) { client in
            for email in ["carol@acme.test", "bob@acme.test", "alice@acme.test"] {
                var person = Browser(client: client)
                try await person.signIn(email)
                let token = try #require(Browser.csrf(in: try await person.get("/account").text))
                let role = try #require(try await world.database.members(tenantId: world.acme.id!).first { $0.email == email }?.role)
                for route in routes {
                    guard let typed = typedRoute(route.path) else {
                        Issue.record("\(route.method) \(route.path) has no TenantRoute, so no policy rule")
                        continue
                    }
                    let allowed = Policy(role: role).can(typed.action(for: route.method))
                    let uri = fill(route.path, tenant: "acme", userId: world.userId("carol@acme.test"), id: ours.id!)
                    let response =
                        route.method == .get
                        ? try await person.get(uri)
                        : try await person.postRaw(uri, [("_csrf", token), ("role", "viewer")])
                    #expect((response.status == .forbidden) == !allowed, "\(email) \(route.method) \(uri): \(response.status)")
                }
            }
        }
    }

    @Test func badInputIsRefusedWithAMessageOrRenderedEscapedNeverA500() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let page = "/t/acme/admin/members"
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("", .unprocessableContent, "Enter an email address."),
                ("no-at-sign", .unprocessableContent, "Enter an email address like name@example.com."),
                ("nul\u{0}byte@acme.test", .unprocessableContent, "cannot contain spaces or control characters"),
                (String(repeating: "é", count: 300) + "@acme.test", .unprocessableContent, "at most 254 characters"),
            ]
            for (email, status, message) in cases {
                let response = try await alice.post(page, [("email", email), ("role", "viewer")], tokenFrom: page)
                #expect(response.status == status, "\(email.prefix(20))")
                #expect(response.text.contains(message))
            }
            let script = "<script>alert(1)</script>@acme.test"
            let added = try await alice.post(page, [("email", script), ("role", "viewer")], tokenFrom: page)
            #expect(added.status == .ok)
            #expect(!added.text.contains("<script>alert(1)</script>"))
            #expect(added.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;@acme.test"))

            let sql = "robert');DROP/**/TABLE/**/user;--@acme.test"
            #expect(try await alice.post(page, [("email", sql), ("role", "viewer")], tokenFrom: page).status == .ok)
            #expect(try await world.database.user(email: sql) != nil)
            #expect(try await world.database.user(email: "alice@acme.test") != nil)

            let badRole = try await alice.post(page, [("email", "dave@acme.test"), ("role", "owner")], tokenFrom: page)
            #expect(badRole.text.contains("Choose a role."))

            let garbage = try await client.execute(
                uri: page,
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: alice.cookie],
                body: ByteBuffer(string: "%ZZ%%=&&=%FF")
            ) { $0 }
            #expect(garbage.status == .forbidden)  // unreadable form: no CSRF token can be found

            let longPassword = String(repeating: "pässwörd ", count: 111) + "!"  // 1,000 characters
            let changed = try await alice.post(
                "/account/password",
                [
                    ("current", TestWorld.password), ("new", longPassword), ("confirm", longPassword),
                ]
            )
            #expect(changed.status == .seeOther)
            var again = Browser(client: client)
            #expect(try await again.signIn("alice@acme.test", longPassword).status == .seeOther)
            // Not truncated: the same password without its last character is wrong.
            var other = Browser(client: client)
            #expect(try await other.signIn("alice@acme.test", String(longPassword.dropLast())).status == .unprocessableContent)
            var nul = Browser(client: client)
            #expect(try await nul.signIn("alice\u{0}@acme.test", "x\u{0}y").status == .unprocessableContent)
        }
    }
}

@Suite struct NoServerErrorTests {
    /// Every route, read from the router, with odd queries and bodies: each answers with a page a person can read,
    /// never a 500.
    @Test func oddInputOnEveryRouteNeverAnswers500() async throws {
        let world = try await TestWorld.make()
        let router = try await world.router()
        let ours = try await world.connect(name: "Acme AC", key: "acme-key", host: "acme.api-us1.com")
        _ = try await importCSV(segmentData, into: world.database, tenantId: world.acme.id!)
        let segment = try await world.database.saveSegment(
            tenantId: world.acme.id!,
            id: nil,
            name: "Any",
            description: "",
            rules: SegmentRules(combinator: .all, groups: []),
            actor: .commandLine,
            now: .now
        )
        // Its own confirmed delete route deletes it, by design: that route gets a segment of its own.
        let doomed = try await world.database.saveSegment(
            tenantId: world.acme.id!,
            id: nil,
            name: "Doomed",
            description: "",
            rules: SegmentRules(combinator: .all, groups: []),
            actor: .commandLine,
            now: .now
        )
        let routes = router.routes.map { ($0.method, $0.path.description) }
        #expect(routes.count >= 30)
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let token = try #require(Browser.csrf(in: try await alice.get("/account").text))
            let bodies = [
                "", "%ZZ=%", "_csrf=\(token)&\u{0}=\u{0}", "_csrf=\(token)&name=\(String(repeating: "%E2%9C%93", count: 2_000))",
                "_csrf=\(token)&step=save&action=save&role=admin&email=a%40b.c&exports=remove&confirm=delete&g0.c0.attribute=nope&g0.c0.op=between",
                "_csrf=\(token)&step=%00&action=%FF&draft=-1&usableBy=everyone",
            ]
            for (method, path) in routes where path != "/logout" && path != "/account/sessions/end-others" {
                let id = path.hasSuffix("segments/{id}/delete") ? doomed.id! : path.contains("segments") ? segment.id! : ours.id!
                let uri = path.replacingOccurrences(of: "{tenant}", with: "acme").replacingOccurrences(of: "{id}", with: String(id))
                    .replacingOccurrences(of: "{userId}", with: "999999")
                if method == .get {
                    for query in ["", "?page=-1&after=abc&q=%00&done=%3Cscript%3E&type=x", "?page=99999999999999999999&after=-5"] {
                        let response = try await alice.get(uri + query)
                        #expect(response.status != .internalServerError, "GET \(uri)\(query)")
                    }
                } else {
                    for body in bodies {
                        var headers = Browser.formType
                        headers[.cookie] = alice.cookie
                        let response = try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body))
                        { $0 }
                        #expect(response.status != .internalServerError, "\(method) \(uri) \(body.prefix(40))")
                    }
                }
            }
            // Still signed in and the data intact: the last admin and the segment survived the barrage.
            #expect(try await alice.get("/t/acme/admin/members").status == .ok)
            #expect(try await world.database.segment(tenantId: world.acme.id!, id: segment.id!) != nil)
        }
    }
}

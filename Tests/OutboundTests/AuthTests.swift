import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Secrets
import Store
import Testing

@testable import Web

@Suite struct SignInTests {
    @Test func signInLandsOnTheWorkspaceAndSignOutEndsTheSession() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var browser = Browser(client: client)
            let response = try await browser.signIn("alice@acme.test")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/")
            let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("outbound_session=") })
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"))

            #expect(try await browser.get("/").headers[.location] == "/t/acme")
            let members = try await browser.get("/t/acme/admin/members")
            #expect(members.status == .ok)
            #expect(members.text.contains("bob@acme.test"))
            #expect(!members.text.contains("mallory"))

            let out = try await browser.post("/logout", [])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/login")
            let after = try await browser.get("/t/acme/admin/members")
            #expect(after.status == .seeOther)
            #expect(after.headers[.location] == "/login")
        }
    }

    @Test func secureCookieWhenPublicURLIsHTTPS() async throws {
        let world = try await TestWorld.make { $0.publicURL = URL(string: "https://outbound.example.com") }
        try await world.app().test(.router) { client in
            let (loginCookie, token) = try await client.execute(uri: "/login", method: .get) { response in
                #expect(response.headers[.strictTransportSecurity] == "max-age=31536000")
                let cookie = try #require(Browser.cookie(named: "__Secure-outbound_login", in: response))
                return (cookie, try #require(Browser.csrf(in: response.text)))
            }
            let response = try await client.execute(
                uri: "/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "__Secure-outbound_login=\(loginCookie)"],
                body: Browser.form([("email", "alice@acme.test"), ("password", TestWorld.password), ("_csrf", token)])
            ) { $0 }
            #expect(response.status == .seeOther)
            let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Host-outbound_session=") })
            #expect(setCookie.contains("Secure"))
            #expect(setCookie.contains("Path=/"))
            #expect(!setCookie.lowercased().contains("domain="))
            let session = try #require(Browser.cookie(named: "__Host-outbound_session", in: response))
            let home = try await client.execute(uri: "/account", method: .get, headers: [.cookie: "__Host-outbound_session=\(session)"]) {
                $0
            }
            #expect(home.status == .ok)
            #expect(home.headers[.strictTransportSecurity] == "max-age=31536000")
            // The unprefixed name is not read over https.
            let plain = try await client.execute(uri: "/account", method: .get, headers: [.cookie: "outbound_session=\(session)"]) { $0 }
            #expect(plain.status == .seeOther)
        }
    }

    @Test func plainHTTPHasNoStrictTransportSecurityAndHTTPSRequestsWithoutAnHTTPSPublicURLAreWarnedAbout() async throws {
        let (world, records) = try await TestWorld.recordingLogs { $0.port = 0 }
        try await world.app().test(.ahc(.http)) { client in
            for _ in 0..<2 {
                let response = try await client.execute(uri: "/login", method: .get, headers: [.init("X-Forwarded-Proto")!: "https"]) { $0 }
                #expect(response.headers[.strictTransportSecurity] == nil)
            }
        }
        #expect(
            records.lines.filter { $0.contains("Requests arrive over https (X-Forwarded-Proto) but --public-url is not https") }.count == 1
        )
    }

    @Test func everySignInGetsANewSessionAndOnlyItsHashIsStored() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var first = Browser(client: client)
            try await first.signIn("alice@acme.test")
            var second = Browser(client: client)
            try await second.signIn("alice@acme.test")
            #expect(!first.cookie.isEmpty && first.cookie != second.cookie)

            // Signing in again from the same browser replaces its session: the old token stops working.
            var same = first
            try await same.signIn("alice@acme.test")
            #expect(same.cookie != first.cookie)
            #expect(try await first.get("/account").status == .seeOther)
            #expect(try await same.get("/account").status == .ok)

            let token = String(same.cookie.dropFirst("outbound_session=".count))
            let stored = try await world.database.sessions(ofUser: world.userId("alice@acme.test")).map(\.tokenHash)
            #expect(!stored.contains(token))
            #expect(stored.contains(SessionMiddleware.hash(token)))
        }
    }

    @Test func wrongPasswordAndUnknownEmailAnswerAlike() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var browser = Browser(client: client)
            let wrong = try await browser.signIn("alice@acme.test", "not the password at all")
            let unknown = try await browser.signIn("nobody@acme.test", "not the password at all")
            #expect(wrong.status == .unprocessableContent)
            #expect(unknown.status == wrong.status)
            #expect(wrong.text.contains("Email or password is incorrect."))
            #expect(unknown.text.contains("Email or password is incorrect."))
            #expect(browser.cookie.isEmpty)
        }
    }

    @Test func signInWithoutThePreSessionTokenIsRefused() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            let response = try await client.execute(
                uri: "/login",
                method: .post,
                headers: Browser.formType,
                body: Browser.form([("email", "alice@acme.test"), ("password", TestWorld.password), ("_csrf", "forged")])
            ) { $0 }
            #expect(response.status == .forbidden)
            #expect(Browser.cookie(named: "outbound_session", in: response) == nil)
        }
    }

    @Test func idleSessionsExpire() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var browser = Browser(client: client)
            try await browser.signIn("alice@acme.test")
            world.clock.advance(by: 29 * 60)
            #expect(try await browser.get("/account").status == .ok)  // activity keeps it alive
            world.clock.advance(by: 29 * 60)
            #expect(try await browser.get("/account").status == .ok)
            world.clock.advance(by: 31 * 60)
            let expired = try await browser.get("/account")
            #expect(expired.status == .seeOther)
            #expect(expired.headers[.location] == "/login")
        }
    }

    @Test func sessionsEndAfterTheAbsoluteLimitEvenWhenActive() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var browser = Browser(client: client)
            try await browser.signIn("alice@acme.test")
            for _ in 0..<35 {  // 35 × 20 min = 11 h 40 min of steady use
                world.clock.advance(by: 20 * 60)
                #expect(try await browser.get("/account").status == .ok)
            }
            world.clock.advance(by: 21 * 60)  // past 12 h
            #expect(try await browser.get("/account").headers[.location] == "/login")
        }
    }

    @Test func tenFailuresLockTheAccountUntilItUnlocksByItself() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var browser = Browser(client: client)
            for _ in 0..<10 {
                #expect(try await browser.signIn("alice@acme.test", "wrong password guess").status == .unprocessableContent)
            }
            let locked = try await browser.signIn("alice@acme.test")  // even the right password waits
            #expect(locked.status == .tooManyRequests)
            #expect(locked.text.contains("Too many failed sign-ins"))
            #expect(locked.headers[.retryAfter] != nil)
            #expect(browser.cookie.isEmpty)

            world.clock.advance(by: 16 * 60)
            #expect(try await browser.signIn("alice@acme.test").status == .seeOther)
            #expect(!browser.cookie.isEmpty)
        }
    }

    @Test func oneTimePasswordMustBeChangedAtFirstSignIn() async throws {
        let world = try await TestWorld.make()
        let hasher = PasswordHasher(parameters: .testing)
        _ = try await world.database.addMember(
            tenantId: world.acme.id!,
            email: "new@acme.test",
            role: .contributor,
            newPasswordHash: try hasher.hash("one-time-secret-1"),
            actor: .commandLine
        )
        try await world.app().test(.router) { client in
            var browser = Browser(client: client)
            #expect(try await browser.signIn("new@acme.test", "one-time-secret-1").headers[.location] == "/account")
            #expect(try await browser.get("/t/acme/data/exports").headers[.location] == "/account")
            #expect(try await browser.get("/account").text.contains("one-time password"))

            let changed = try await browser.post(
                "/account/password",
                [
                    ("current", "one-time-secret-1"), ("new", "my own password 2026"), ("confirm", "my own password 2026"),
                ]
            )
            #expect(changed.status == .seeOther)
            #expect(try await browser.get("/t/acme/data/exports").status == .ok)

            var again = Browser(client: client)
            #expect(try await again.signIn("new@acme.test", "one-time-secret-1").status == .unprocessableContent)
            #expect(try await again.signIn("new@acme.test", "my own password 2026").headers[.location] == "/")
        }
    }

    @Test func changingPasswordNeedsTheCurrentOneAndEndsOtherSessions() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var laptop = Browser(client: client)
            try await laptop.signIn("alice@acme.test")
            var phone = Browser(client: client)
            try await phone.signIn("alice@acme.test")

            let refused = try await laptop.post(
                "/account/password",
                [
                    ("current", "a guess that is wrong"), ("new", "a brand new password"), ("confirm", "a brand new password"),
                ]
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("This is not your current password."))

            let mismatch = try await laptop.post(
                "/account/password",
                [
                    ("current", TestWorld.password), ("new", "a brand new password"), ("confirm", "a different one!!"),
                ]
            )
            #expect(mismatch.text.contains("The two new passwords differ."))
            let short = try await laptop.post(
                "/account/password",
                [
                    ("current", TestWorld.password), ("new", "short"), ("confirm", "short"),
                ]
            )
            #expect(short.text.contains("Use at least 12 characters."))

            let changed = try await laptop.post(
                "/account/password",
                [
                    ("current", TestWorld.password), ("new", "a brand new password"), ("confirm", "a brand new password"),
                ]
            )
            #expect(changed.headers[.location] == "/account?done=password")
            #expect(try await laptop.get("/account").status == .ok)
            #expect(try await phone.get("/account").headers[.location] == "/login")
        }
    }

    @Test func signOutOtherSessionsKeepsThisOne() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var laptop = Browser(client: client)
            try await laptop.signIn("alice@acme.test")
            var phone = Browser(client: client)
            try await phone.signIn("alice@acme.test")
            #expect(try await laptop.get("/account").text.contains("Sign out my other sessions"))
            #expect(try await laptop.post("/account/sessions/end-others", []).status == .seeOther)
            #expect(try await laptop.get("/account").status == .ok)
            #expect(try await phone.get("/account").headers[.location] == "/login")
        }
    }
}

@Suite struct HousekeepingAndProxyTests {
    @Test func expiredSessionsAndDraftsArePurged() async throws {
        let world = try await TestWorld.make()
        let alice = world.userId("alice@acme.test")
        let session = try await world.database.createSession(
            UserSession(
                tokenHash: "h",
                userId: alice,
                csrfToken: "c",
                clientAddress: "x",
                userAgent: "y",
                createdAt: world.clock.now,
                lastSeenAt: world.clock.now,
                expiresAt: world.clock.now.addingTimeInterval(12 * 3600)
            )
        )
        _ = try await world.database.saveDraft(
            existing: nil,
            sessionId: session.id!,
            tenantId: world.acme.id!,
            connectionId: nil,
            verified: VerifiedKey(apiHost: "acme.api-us1.com", apiKey: Redacted("k"), accountName: "a"),
            exportUserId: nil,
            vault: world.vault,
            now: world.clock.now
        )
        let housekeeping = Housekeeping(database: world.database, clock: world.clock, idleTimeout: 30 * 60)
        try await housekeeping.purge()
        #expect(try await world.database.sessions(ofUser: alice).count == 1)
        #expect(try world.database.sealedValueCount() == 1)
        world.clock.advance(by: 31 * 60)
        try await housekeeping.purge()
        #expect(try await world.database.sessions(ofUser: alice).isEmpty)
        #expect(try world.database.sealedValueCount() == 0)  // the draft and its sealed key are gone
    }

    /// Behind a trusted proxy, the client address comes from X-Forwarded-For, and the per-address throttle counts it.
    @Test func theThrottleCountsClientAddressesBehindATrustedProxy() async throws {
        let world = try await TestWorld.make {
            $0.port = 0
            $0.trustedProxies = ["127.0.0.1"]
        }
        try await world.app().test(.ahc(.http)) { client in
            func attempt(_ email: String, _ password: String, from address: String) async throws -> TestResponse {
                let (cookie, token) = try await client.execute(uri: "/login", method: .get) { response in
                    (Browser.cookie(named: AuthController.loginCookie, in: response)!, Browser.csrf(in: response.text)!)
                }
                return try await client.execute(
                    uri: "/login",
                    method: .post,
                    headers: [
                        .contentType: "application/x-www-form-urlencoded", .cookie: "\(AuthController.loginCookie)=\(cookie)",
                        .init("X-Forwarded-For")!: "203.0.113.99, \(address)",
                    ],
                    body: Browser.form([("email", email), ("password", password), ("_csrf", token)])
                ) { $0 }
            }
            // Ten failures from one address against ten different accounts lock that address only.
            for index in 0..<10 {
                #expect(
                    try await attempt("nobody\(index)@acme.test", "wrong password", from: "198.51.100.7").status == .unprocessableContent
                )
            }
            #expect(try await attempt("alice@acme.test", TestWorld.password, from: "198.51.100.7").status == .tooManyRequests)
            // From another address the same sign-in succeeds. (This client follows the redirect that follows a
            // successful sign-in back to /login without cookies, which it calls a cycle: the session row is the proof.)
            _ = try? await attempt("alice@acme.test", TestWorld.password, from: "198.51.100.8")
            let sessions = try await world.database.sessions(ofUser: world.userId("alice@acme.test"))
            #expect(sessions.map(\.clientAddress) == ["198.51.100.8"])  // the right-most untrusted hop, not the forged left one
        }
    }
}

import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// Sign-in and sign-out. Sign-in has no session yet, so its form carries a pre-session token that must match a
/// cookie set with the form (double submit): a foreign site cannot sign a person into an account of its choosing.
struct AuthController {
    static let loginCookie = "outbound_login"
    let services: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(.login, use: loginPage)
        router.post(.login, use: login)
    }

    func addSignedInRoutes(to group: RouterGroup<SignedInContext>) {
        group.post(.logout, use: logout)
    }

    struct LoginForm: Decodable {
        var email: String?
        var password: String?
        var _csrf: String?
    }

    @Sendable func loginPage(request: Request, context: AppRequestContext) async throws -> Response {
        if context.signedIn != nil { return .seeOther(SiteRoute.home.path) }
        return try renderForm(email: "", error: nil, status: .ok)
    }

    @Sendable func login(request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await Form.decode(LoginForm.self, from: request, limit: services.configuration.maxFormBytes)
        let email = (form.email ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let password = form.password ?? ""

        let cookieToken = request.cookies[services.configuration.loginCookieName]?.value ?? ""
        guard !cookieToken.isEmpty, ConstantTime.equals(Array(cookieToken.utf8), Array((form._csrf ?? "").utf8)) else {
            return try renderForm(email: email, error: "This sign-in form expired. Please try again.", status: .forbidden)
        }
        guard !email.isEmpty, !password.isEmpty else {
            return try renderForm(email: email, error: "Enter your email address and password.", status: .unprocessableContent)
        }
        guard email.count <= 254, password.utf8.count <= Validate.maxPasswordLength else {
            return try renderForm(email: "", error: "Email or password is incorrect.", status: .unprocessableContent)
        }

        // Locks hold an address, or an account from one address; the account alone is only slowed down.
        let address = context.clientAddress
        let keys = [LoginThrottle.pairKey(email, address), LoginThrottle.addressKey(address)]
        let accountKey = LoginThrottle.accountKey(email)
        if let until = await services.throttle.lockedUntil(keys) {
            let minutes = max(1, Int((until.timeIntervalSince(services.clock.now) / 60).rounded(.up)))
            var response = try renderForm(
                email: email,
                error: "Too many failed sign-ins. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").",
                status: .tooManyRequests
            )
            response.headers[.retryAfter] = String(minutes * 60)
            return response
        }

        let delay = await services.throttle.accountDelay(accountKey)
        if delay > 0 { try await services.clock.sleep(for: delay) }

        let user = try await services.database.user(email: email)
        let verified: Bool
        do {
            verified = try await services.passwords.verify(password, against: user?.passwordHash)
        } catch is BlockingPool.Busy {
            var response = try renderForm(
                email: email,
                error: "Sign-in is busy right now. Try again in a few seconds.",
                status: .serviceUnavailable
            )
            response.headers[.retryAfter] = "2"
            return response
        }
        guard verified, let user else {
            let locked = await services.throttle.recordFailure(keys + [accountKey])
            if let user {
                // Never the password: who, from where, and whether this failure locked that address out.
                try await services.database.recordSignInFailure(
                    userId: user.id!,
                    email: user.email,
                    clientAddress: address,
                    lockedMinutes: locked.contains(where: { $0 != accountKey }) ? Int(services.configuration.loginLockout / 60) : nil
                )
            }
            return try renderForm(email: email, error: "Email or password is incorrect.", status: .unprocessableContent)
        }
        await services.throttle.recordSuccess(keys[0])
        await services.throttle.recordSuccess(accountKey)

        // A new session on every sign-in: a token planted before sign-in is worth nothing after it.
        if let previous = context.signedIn { try await services.database.deleteSession(id: previous.session.id!) }
        let token = SecureRandom.token()
        let now = services.clock.now
        _ = try await services.database.createSession(
            UserSession(
                id: nil,
                tokenHash: SessionMiddleware.hash(token),
                userId: user.id!,
                csrfToken: SecureRandom.token(),
                clientAddress: context.clientAddress,
                userAgent: String((request.headers[.userAgent] ?? "").prefix(200)),
                createdAt: now,
                lastSeenAt: now,
                expiresAt: now.addingTimeInterval(services.configuration.sessionAbsoluteTimeout)
            )
        )

        try await services.database.recordAccountEvent(
            userId: user.id!,
            actor: Actor(userId: user.id, email: user.email, clientAddress: address),
            action: "signin.succeeded",
            detail: "Signed in from \(address)"
        )
        var response = Response.seeOther(user.mustChangePassword ? SiteRoute.account.path : SiteRoute.home.path)
        response.setCookie(sessionCookie(token))
        response.setCookie(
            Cookie(
                name: services.configuration.loginCookieName,
                value: "",
                maxAge: 0,
                path: SiteRoute.login.path,
                secure: services.configuration.secureCookies,
                httpOnly: true,
                sameSite: .lax
            )
        )
        return response
    }

    @Sendable func logout(request: Request, context: SignedInContext) async throws -> Response {
        try await services.database.deleteSession(id: context.signedIn.session.id!)
        var response = Response.seeOther(SiteRoute.login.path)
        response.setCookie(
            Cookie(
                name: services.configuration.sessionCookieName,
                value: "",
                maxAge: 0,
                path: "/",
                secure: services.configuration.secureCookies,
                httpOnly: true,
                sameSite: .lax
            )
        )
        return response
    }

    func sessionCookie(_ token: String) -> Cookie {
        // No Max-Age: the browser drops it when closed; the server enforces idle and absolute expiry itself.
        Cookie(
            name: services.configuration.sessionCookieName,
            value: token,
            path: "/",
            secure: services.configuration.secureCookies,
            httpOnly: true,
            sameSite: .lax
        )
    }

    private func renderForm(email: String, error: String?, status: HTTPResponse.Status) throws -> Response {
        let token = SecureRandom.token()
        var response = try services.views.page(
            "login",
            LoginPage(loginToken: token, email: email, error: error),
            status: status
        )
        response.setCookie(
            Cookie(
                name: services.configuration.loginCookieName,
                value: token,
                maxAge: 3600,
                path: SiteRoute.login.path,
                secure: services.configuration.secureCookies,
                httpOnly: true,
                sameSite: .lax
            )
        )
        return response
    }
}

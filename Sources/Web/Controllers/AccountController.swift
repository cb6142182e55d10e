import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// `/account`: change your own password (the current one required) and end your other sessions. A person
/// signed in with a one-time password is kept here until they choose their own.
struct AccountController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(.account, use: page)
        group.post(.accountPassword, use: changePassword)
        group.post(.accountEndOtherSessions, use: endOtherSessions)
    }

    struct PasswordForm: Decodable {
        var current: String?
        var new: String?
        var confirm: String?
    }

    @Sendable func page(request: Request, context: SignedInContext) async throws -> Response {
        let notice: String? =
            switch request.formQuery.get("done") {
            case "password": "Your password was changed. Your other sessions were signed out."
            case "sessions": "Your other sessions were signed out."
            default: nil
            }
        return try await render(context, notice: notice, errors: [:], status: .ok)
    }

    @Sendable func changePassword(request: Request, context: SignedInContext) async throws -> Response {
        let form = try await Form.decode(PasswordForm.self, from: request, limit: services.configuration.maxFormBytes)
        let current = form.current ?? ""
        let new = form.new ?? ""
        let confirm = form.confirm ?? ""
        var errors: [String: String] = [:]
        if let problem = Validate.newPassword(new) { errors["new"] = problem }
        if new != confirm { errors["confirm"] = "The two new passwords differ." }
        if errors.isEmpty, new == current { errors["new"] = "Choose a password different from the current one." }

        // The account's sign-in throttle guards this form too, so it cannot be used to guess the password.
        let keys = [LoginThrottle.accountKey(context.signedIn.user.email), LoginThrottle.addressKey(context.clientAddress)]
        if await services.throttle.lockedUntil(keys) != nil {
            errors["current"] = "Too many wrong passwords. Try again later."
        } else if current.utf8.count > Validate.maxPasswordLength {
            errors["current"] = "This is not your current password."
        } else {
            do {
                let user = try await services.database.user(id: context.signedIn.userId)
                if try await !services.passwords.verify(current, against: user?.passwordHash) {
                    await services.throttle.recordFailure(keys)
                    errors["current"] = "This is not your current password."
                }
            } catch is BlockingPool.Busy {
                errors["current"] = "The server is busy. Try again in a few seconds."
            }
        }
        guard errors.isEmpty else { return try await render(context, notice: nil, errors: errors, status: .unprocessableContent) }

        let hash: String
        do { hash = try await services.passwords.hash(new) } catch is BlockingPool.Busy {
            return try await render(
                context,
                notice: nil,
                errors: ["new": "The server is busy. Try again in a few seconds."],
                status: .serviceUnavailable
            )
        }
        try await services.database.setPassword(userId: context.signedIn.userId, hash: hash, mustChange: false)
        let ended = try await services.database.deleteSessions(ofUser: context.signedIn.userId, keeping: context.signedIn.session.id)
        try await services.database.recordAccountEvent(
            userId: context.signedIn.userId,
            actor: context.actor,
            action: "account.password_changed",
            detail: "Changed their password; \(ended) other session(s) ended"
        )
        return .seeOther(SiteRoute.account.path(query: ["done": "password"]))
    }

    @Sendable func endOtherSessions(request: Request, context: SignedInContext) async throws -> Response {
        try await services.database.deleteSessions(ofUser: context.signedIn.userId, keeping: context.signedIn.session.id)
        return .seeOther(SiteRoute.account.path(query: ["done": "sessions"]))
    }

    private func render(
        _ context: SignedInContext,
        notice: String?,
        errors: [String: String],
        status: HTTPResponse.Status
    ) async throws -> Response {
        let tenants = try await services.tenantsOf(context.signedIn)
        let sessions = try await services.database.sessions(ofUser: context.signedIn.userId)
        let currentId = context.signedIn.session.id
        return try services.views.page(
            "account",
            AccountPage(
                chrome: .account(title: "Your account", signedIn: context.signedIn, tenants: tenants),
                email: context.signedIn.user.email,
                mustChangePassword: context.signedIn.user.mustChangePassword,
                notice: notice,
                currentError: errors["current"],
                newError: errors["new"],
                confirmError: errors["confirm"],
                sessions: sessions.map {
                    .init(
                        started: Format.dateTime($0.createdAt),
                        lastSeen: Format.dateTime($0.lastSeenAt),
                        address: $0.clientAddress,
                        userAgent: String($0.userAgent.prefix(80)),
                        current: $0.id == currentId
                    )
                },
                hasOtherSessions: sessions.contains { $0.id != currentId }
            ),
            status: status
        )
    }
}

import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// Admin > Members: list, invite by email with a role, withdraw an invitation, change a role, remove. The store
/// refuses to remove or demote the last administrator, in the same transaction as the change. Adding an email answers
/// the same whether or not an account has it (issue 10, item 11): the account joins when its owner accepts.
struct MembersController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.members, use: list)
        group.post(.members, use: add)
        group.post(.memberRole, use: changeRole)
        group.get(.memberRemove, use: removePage)
        group.post(.memberRemove, use: remove)
        group.get(.memberResetPassword, use: resetPage)
        group.post(.memberResetPassword, use: resetPassword)
        group.post(.memberInvitationWithdraw, use: withdraw)
    }

    struct AddForm: Decodable {
        var email: String?
        var role: String?
    }
    struct RoleForm: Decodable { var role: String? }

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let notice: String? =
            switch request.formQuery.get("done") {
            case "role": "The role was changed."
            case "removed": "The member was removed from this workspace."
            case "withdrawn": "The invitation was withdrawn."
            default: nil
            }
        return try await render(context, notice: notice)
    }

    @Sendable func add(request: Request, context: TenantContext) async throws -> Response {
        let form = try await Form.decode(AddForm.self, from: request, limit: services.configuration.maxFormBytes)
        let email = (form.email ?? "").trimmingCharacters(in: .whitespaces)
        if let problem = Validate.email(email) {
            return try await render(context, emailError: problem, email: email, status: .unprocessableContent)
        }
        guard let role = form.role.flatMap(Role.init(rawValue:)) else {
            return try await render(context, error: "Choose a role.", email: email, status: .unprocessableContent)
        }
        let password = OneTimePassword.make()
        let hash: String
        do { hash = try await services.passwords.hash(password) } catch is BlockingPool.Busy {
            return try await render(
                context,
                error: "The server is busy. Try again in a few seconds.",
                email: email,
                status: .serviceUnavailable
            )
        }
        do {
            try await services.database.inviteMember(
                tenantId: context.tenantId,
                email: email,
                role: role,
                newPasswordHash: hash,
                actor: context.actor
            )
        } catch let refusal as StoreError where refusal == .alreadyMember || refusal == .alreadyInvited {
            // Both are about this workspace only, which its administrators see on this page anyway.
            let already = refusal == .alreadyMember ? "a member of" : "invited to"
            return try await render(
                context,
                emailError: "\(email) is already \(already) this workspace.",
                email: email,
                status: .unprocessableContent
            )
        }
        // The same answer for a new and an existing account, with the email as typed. The password signs in only
        // an account this invitation created; an existing account keeps its own (it is stored only as a hash, and
        // shown once, on this response only).
        return try await render(
            context,
            notice:
                "Invited \(email) as \(role.label). They join this workspace when they accept the invitation, which they see when they next sign in.",
            oneTimePassword: password,
            newAccountEmail: email
        )
    }

    @Sendable func withdraw(request: Request, context: TenantContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        do {
            try await services.database.withdrawInvitation(tenantId: context.tenantId, id: id, actor: context.actor)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        return .seeOther(TenantRoute.members.path(context.access.tenant.slug, query: ["done": "withdrawn"]))
    }

    @Sendable func changeRole(request: Request, context: TenantContext) async throws -> Response {
        let userId = try context.parameters.require("userId", as: Int64.self)
        let form = try await Form.decode(RoleForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard let role = form.role.flatMap(Role.init(rawValue:)) else {
            return try await render(context, error: "Choose a role.", status: .unprocessableContent)
        }
        do {
            try await services.database.changeRole(tenantId: context.tenantId, userId: userId, to: role, actor: context.actor)
        } catch StoreError.lastAdmin {
            return try await render(
                context,
                error: "A workspace needs at least one administrator. Make someone else an administrator first.",
                status: .conflict
            )
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        if userId == context.signedIn.userId, !Policy(role: role).can(.administer) {
            return .seeOther(TenantRoute.root.path(context.access.tenant.slug))
        }
        return .seeOther(TenantRoute.members.path(context.access.tenant.slug, query: ["done": "role"]))
    }

    /// Removing someone is confirmed on a page that says what it does, like deleting all profiles.
    @Sendable func removePage(request: Request, context: TenantContext) async throws -> Response {
        let userId = try context.parameters.require("userId", as: Int64.self)
        let members = try await services.database.members(tenantId: context.tenantId)
        guard let member = members.first(where: { $0.userId == userId }) else { throw HTTPError(.notFound) }
        let slug = context.access.tenant.slug
        return try services.views.page(
            "members/remove",
            RemovePage(
                chrome: try await services.chrome("Remove \(member.email)", section: "Members", context),
                email: member.email,
                roleLabel: member.role.label,
                workspace: context.access.tenant.name,
                isYou: userId == context.signedIn.userId,
                isLastAdmin: member.role == .admin && members.filter { $0.role == .admin }.count == 1,
                action: TenantRoute.memberRemove.path(slug, userId),
                cancelHref: TenantRoute.members.path(slug)
            )
        )
    }

    @Sendable func remove(request: Request, context: TenantContext) async throws -> Response {
        let userId = try context.parameters.require("userId", as: Int64.self)
        do {
            try await services.database.removeMember(tenantId: context.tenantId, userId: userId, actor: context.actor)
        } catch StoreError.lastAdmin {
            return try await render(context, error: "The last administrator of a workspace cannot be removed.", status: .conflict)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        if userId == context.signedIn.userId { return .seeOther(SiteRoute.home.path) }
        return .seeOther(TenantRoute.members.path(context.access.tenant.slug, query: ["done": "removed"]))
    }

    /// A new one-time password for a member who lost theirs, confirmed first: their password stops working.
    @Sendable func resetPage(request: Request, context: TenantContext) async throws -> Response {
        let userId = try context.parameters.require("userId", as: Int64.self)
        guard userId != context.signedIn.userId,
            let member = try await services.database.members(tenantId: context.tenantId).first(where: { $0.userId == userId })
        else { throw HTTPError(.notFound) }
        let slug = context.access.tenant.slug
        let elsewhere = try await services.database.tenants(ofUser: userId).count > 1
        return try services.views.page(
            "members/reset",
            ResetPage(
                chrome: try await services.chrome("Reset the password of \(member.email)", section: "Members", context),
                email: member.email,
                memberElsewhere: elsewhere,
                action: TenantRoute.memberResetPassword.path(slug, userId),
                cancelHref: TenantRoute.members.path(slug)
            )
        )
    }

    @Sendable func resetPassword(request: Request, context: TenantContext) async throws -> Response {
        let userId = try context.parameters.require("userId", as: Int64.self)
        let password = OneTimePassword.make()
        let hash: String
        do { hash = try await services.passwords.hash(password) } catch is BlockingPool.Busy {
            return try await render(context, error: "The server is busy. Try again in a few seconds.", status: .serviceUnavailable)
        }
        do {
            let email = try await services.database.resetMemberPassword(
                tenantId: context.tenantId,
                userId: userId,
                newPasswordHash: hash,
                actor: context.actor
            )
            return try await render(context, resetPassword: password, resetEmail: email)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        } catch StoreError.memberElsewhere {
            return try await render(context, error: Self.memberElsewhere, status: .conflict)
        }
    }

    static let memberElsewhere =
        "This account also belongs to other workspaces, so its password cannot be reset from here. The operator can run outbound user reset-password."

    private func render(
        _ context: TenantContext,
        notice: String? = nil,
        error: String? = nil,
        emailError: String? = nil,
        email: String = "",
        oneTimePassword: String? = nil,
        newAccountEmail: String? = nil,
        resetPassword: String? = nil,
        resetEmail: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var page = MembersPage.build(
            try await services.database.members(tenantId: context.tenantId),
            invitations: try await services.database.invitations(tenantId: context.tenantId),
            slug: context.access.tenant.slug,
            you: context.signedIn.userId,
            chrome: try await services.chrome("Members", section: "Members", context)
        )
        page.notice = notice
        page.error = error
        page.emailError = emailError
        page.email = email
        page.oneTimePassword = oneTimePassword
        page.newAccountEmail = newAccountEmail
        page.resetPassword = resetPassword
        page.resetEmail = resetEmail
        return try services.views.page("members", page, status: status)
    }
}

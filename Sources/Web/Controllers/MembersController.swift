import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// Admin > Members: list, add by email with a role, change a role, remove. The store refuses to remove or demote
/// the last administrator, in the same transaction as the change.
struct MembersController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.members, use: list)
        group.post(.members, use: add)
        group.post(.memberRole, use: changeRole)
        group.post(.memberRemove, use: remove)
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
            case "added": "The existing account was added to this workspace. They sign in with their own password."
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
            switch try await services.database.addMember(
                tenantId: context.tenantId,
                email: email,
                role: role,
                newPasswordHash: hash,
                actor: context.actor
            ) {
            case .newAccount(let user):
                // Shown once, on this response only; it is stored only as a hash.
                return try await render(
                    context,
                    notice: "Added \(user.email) as \(role.label).",
                    oneTimePassword: password,
                    newAccountEmail: user.email
                )
            case .existingAccount:
                return .seeOther(TenantRoute.members.path(context.access.tenant.slug, query: ["done": "added"]))
            }
        } catch StoreError.alreadyMember {
            return try await render(
                context,
                emailError: "\(email) is already a member of this workspace.",
                email: email,
                status: .unprocessableContent
            )
        }
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

    private func render(
        _ context: TenantContext,
        notice: String? = nil,
        error: String? = nil,
        emailError: String? = nil,
        email: String = "",
        oneTimePassword: String? = nil,
        newAccountEmail: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var page = MembersPage.build(
            try await services.database.members(tenantId: context.tenantId),
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
        return try services.views.page("members", page, status: status)
    }
}

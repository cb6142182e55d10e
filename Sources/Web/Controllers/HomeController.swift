import Hummingbird
import Store

/// The signed-in start page: the person's workspaces (tenants) and the invitations waiting for their answer, and
/// the tenant root that leads into one. Sign-in lands here, so an invitation is seen at the next sign-in.
struct HomeController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(.home, use: home)
        group.post(.invitations, use: answer)
    }

    struct AnswerForm: Decodable {
        var invitation: Int64?
        var decision: String?
    }

    @Sendable func home(request: Request, context: SignedInContext) async throws -> Response {
        let tenants = try await services.tenantsOf(context.signedIn)
        let invitations = try await services.database.invitations(userId: context.signedIn.userId)
        let notice: String? = request.formQuery.get("done") == "declined" ? "The invitation was declined." : nil
        if tenants.count == 1, invitations.isEmpty, notice == nil {
            return .seeOther(TenantRoute.root.path(tenants[0].tenant.slug))
        }
        var page = HomePage.build(
            tenants,
            invitations: invitations,
            chrome: .account(title: "Your workspaces", signedIn: context.signedIn, tenants: tenants)
        )
        page.notice = notice
        return try services.views.page("home", page)
    }

    /// Accept (joins with the invited role, then opens the workspace) or decline. Only the invitee's own
    /// invitations are found; any other id answers 404.
    @Sendable func answer(request: Request, context: SignedInContext) async throws -> Response {
        let form = try await Form.decode(AnswerForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard let id = form.invitation else { throw HTTPError(.badRequest, message: "Choose an invitation.") }
        let userId = context.signedIn.userId
        do {
            switch form.decision {
            case "accept":
                let tenant = try await services.database.acceptInvitation(id: id, userId: userId, actor: context.actor)
                return .seeOther(TenantRoute.root.path(tenant.slug))
            case "decline":
                try await services.database.declineInvitation(id: id, userId: userId, actor: context.actor)
                return .seeOther(SiteRoute.home.path(query: ["done": "declined"]))
            default:
                throw HTTPError(.badRequest, message: "Choose Accept or Decline.")
            }
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
    }

    /// A workspace opens on the first page with something to do or see: Profiles (and its import form) while
    /// there are none, then Segments for those who make them while there are none, then Exports.
    @Sendable func tenantRoot(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        if try await services.database.profileCount(tenantId: context.tenantId) == 0 {
            return .seeOther(TenantRoute.profiles.path(slug))
        }
        if context.policy.can(.changeData), try await services.database.segmentSummaries(tenantId: context.tenantId).isEmpty {
            return .seeOther(TenantRoute.segments.path(slug))
        }
        return .seeOther(TenantRoute.exports.path(slug))
    }
}

import Hummingbird
import OutboundCore
import Store

/// Data > Profiles > Forget a person (administrators): removes every trace of one email from the workspace when
/// a person asks to be forgotten. The email is neither recorded nor shown again after the removal.
struct ForgetPersonController {
    let services: AppServices

    struct ForgetForm: Decodable { var email: String? }

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.forgetPerson, use: page)
        group.post(.forgetPerson, use: forget)
    }

    @Sendable func page(request: Request, context: TenantContext) async throws -> Response {
        try await render(context)
    }

    @Sendable func forget(request: Request, context: TenantContext) async throws -> Response {
        let form = try await Form.decode(ForgetForm.self, from: request, limit: services.configuration.maxFormBytes)
        let email = (form.email ?? "").trimmingWhitespace()
        guard !email.isEmpty else {
            return try await render(context, emailError: "Enter the email address of the person to forget.", status: .unprocessableContent)
        }
        guard email.count <= 320 else {
            return try await render(context, emailError: "An email address has at most 320 characters.", status: .unprocessableContent)
        }
        let outcome = try await services.database.forgetPerson(tenantId: context.tenantId, email: email, actor: context.actor)
        return try await render(
            context,
            outcome: (outcome.removedAnything ? outcome.summary : "nothing in this workspace held that email")
                + (outcome.logCleared ? "" : ". " + ForgetOutcome.logNotCleared)
        )
    }

    private func render(
        _ context: TenantContext,
        email: String = "",
        emailError: String? = nil,
        outcome: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let slug = context.access.tenant.slug
        return try services.views.page(
            "profiles/forget",
            ForgetPage(
                chrome: try await services.chrome("Forget a person", section: "Profiles", context),
                action: TenantRoute.forgetPerson.path(slug),
                cancelHref: TenantRoute.profiles.path(slug),
                email: email,
                emailError: emailError,
                outcome: outcome
            ),
            status: status
        )
    }
}

import Hummingbird
import Store

/// The signed-in start page: the person's workspaces (tenants), and the tenant root that leads into one.
struct HomeController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(.home, use: home)
    }

    @Sendable func home(request: Request, context: SignedInContext) async throws -> Response {
        let tenants = try await services.tenantsOf(context.signedIn)
        if tenants.count == 1 { return .seeOther(TenantRoute.root.path(tenants[0].tenant.slug)) }
        return try services.views.page(
            "home",
            HomePage.build(
                tenants,
                chrome: .account(title: "Your workspaces", signedIn: context.signedIn, tenants: tenants)
            )
        )
    }

    @Sendable static func tenantRoot(request: Request, context: TenantContext) async throws -> Response {
        .seeOther(TenantRoute.exports.path(context.access.tenant.slug))
    }
}

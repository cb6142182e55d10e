import Hummingbird
import Store

/// Sends signed-out people to the sign-in page (GET) or refuses (other methods), and keeps a person whose
/// one-time password is still unchanged on the account page until they change it.
struct SignInRequiredMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let allowedWithOneTimePassword: Set<String> = [SiteRoute.account.path, SiteRoute.accountPassword.path, SiteRoute.logout.path]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let signedIn = context.signedIn else {
            if request.method == .get || request.method == .head { return .seeOther(SiteRoute.login.path) }
            throw HTTPError(.forbidden, message: "Your session has ended. Sign in again.")
        }
        if signedIn.user.mustChangePassword, !Self.allowedWithOneTimePassword.contains(request.uri.path) {
            return .seeOther(SiteRoute.account.path)
        }
        return try await next(request, context)
    }
}

/// Resolves `/t/{tenant}` to the tenant and the person's role, from the memberships read with this request's
/// session. A tenant they are not a member of answers 404 exactly like one that does not exist.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let signedIn = context.signedIn,
            let slug = context.parameters.get("tenant"),
            let access = signedIn.tenants.first(where: { $0.tenant.slug == slug })
        else {
            throw HTTPError(.notFound)
        }
        var context = context
        context.access = TenantAccess(tenant: access.tenant, role: access.role)
        return try await next(request, context)
    }
}

/// Admin pages: contributors and viewers get 403, checked on the server for every method.
struct AdminOnlyMiddleware: RouterMiddleware {
    typealias Context = TenantContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try context.policy.require(.administer, "Only administrators of this workspace can use the Admin pages.")
        return try await next(request, context)
    }
}

import Hummingbird
import Store

/// Admin > Activity: the tenant's append-only event log, newest first, fifty to a page.
struct ActivityController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.activity, use: list)
    }

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let page = max(1, min(request.formQuery.get("page", as: Int.self) ?? 1, 100_000))
        let slug = context.access.tenant.slug
        let filter = ActivityPage.Filter(
            kind: request.formQuery.get("kind").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) },
            person: request.formQuery.get("person").flatMap { $0.isEmpty ? nil : String($0.prefix(320)) }
        )
        let (events, hasMore, members) = try await services.database.activityPage(
            tenantId: context.tenantId,
            page: page,
            action: filter.kind,
            actorEmail: filter.person
        )
        return try services.views.page(
            "activity",
            ActivityPage.build(
                events,
                page: page,
                hasMore: hasMore,
                slug: slug,
                chrome: try await services.chrome("Activity", section: "Activity", context),
                filter: filter,
                people: members
            )
        )
    }
}

import Hummingbird
import Store

/// Admin > Activity: the tenant's append-only event log, newest first, fifty to a page.
struct ActivityController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get("activity", use: list)
    }

    struct ActivityPage {
        struct Row { var when: String; var who: String; var action: String; var detail: String; var address: String }
        var chrome: Chrome
        var events: [Row]
        var hasEvents: Bool
        var page: Int
        var newerHref: String?
        var olderHref: String?
    }

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let page = max(1, min(request.formQuery.get("page", as: Int.self) ?? 1, 100_000))
        let slug = context.access.tenant.slug
        let (events, hasMore) = try await services.database.activity(tenantId: context.tenantId, page: page)
        return try services.views.page("activity", ActivityPage(
            chrome: try await services.chrome("Activity", section: "Activity", context),
            events: events.map {
                .init(when: Format.dateTime($0.createdAt), who: $0.actorEmail, action: $0.action, detail: $0.detail,
                      address: $0.clientAddress)
            },
            hasEvents: !events.isEmpty,
            page: page,
            newerHref: page > 1 ? SitePath.activity(slug, page: page - 1) : nil,
            olderHref: hasMore ? SitePath.activity(slug, page: page + 1) : nil))
    }
}

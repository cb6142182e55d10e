import OutboundCore
import Store

/// The page model of Templates/activity.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ActivityController {
    struct ActivityPage {
        struct Row {
            var when: String
            var who: String
            var action: String
            var detail: String
            var address: String
        }
        var chrome: Chrome
        var events: [Row]
        var hasEvents: Bool
        var page: Int
        var newerHref: String?
        var olderHref: String?
    }
}

extension ActivityController.ActivityPage {
    /// Built from store reads; the controller and the tests call it.
    static func build(_ events: [ActivityEvent], page: Int, hasMore: Bool, slug: String, chrome: Chrome) -> Self {
        Self(
            chrome: chrome,
            events: events.map {
                .init(
                    when: Format.dateTime($0.createdAt),
                    who: $0.actorEmail,
                    action: $0.action,
                    detail: $0.detail,
                    address: $0.clientAddress
                )
            },
            hasEvents: !events.isEmpty,
            page: page,
            newerHref: page > 1 ? TenantRoute.activity.path(slug, query: ["page": page - 1 > 1 ? String(page - 1) : nil]) : nil,
            olderHref: hasMore ? TenantRoute.activity.path(slug, query: ["page": String(page + 1)]) : nil
        )
    }
}

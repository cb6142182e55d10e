import OutboundCore
import Store

/// The page model of Templates/connections/list.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ConnectionsController {
    struct ListPage {
        struct Row {
            var name: String
            var href: String
            var type: String
            /// The ActiveCampaign API host, so two accounts with similar names are told apart.
            var host: String
            var usableBy: String
            var exportUser: String
            var connected: Bool
            var attention: String?
            /// Days ("2026-11-20", UTC), so the table fits; the connection's page says when it was last verified to the minute.
            var created: String
            var lastVerified: String
        }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var newHref: String
        var notice: String?
    }
}

extension ConnectionsController.ListPage {
    /// Built from store reads; the controller and the tests call it.
    static func build(_ summaries: [ConnectionSummary], slug: String, chrome: Chrome, notice: String?) -> Self {
        Self(
            chrome: chrome,
            rows: summaries.map { summary in
                let connection = summary.connection
                return .init(
                    name: connection.name,
                    href: TenantRoute.connection.path(slug, connection.id!),
                    type: "ActiveCampaign",
                    host: connection.apiHost,
                    usableBy: connection.usableBy.label,
                    exportUser: summary.exportUserEmail.map { summary.exportUserIsAdmin ? $0 : "\($0) (no longer an admin)" } ?? "None",
                    connected: summary.attention == nil,
                    attention: summary.attention,
                    created: Format.day(connection.createdAt),
                    lastVerified: connection.verifiedAt.map(Format.day) ?? "Never"
                )
            },
            hasRows: !summaries.isEmpty,
            newHref: TenantRoute.newConnection.path(slug),
            notice: notice
        )
    }
}

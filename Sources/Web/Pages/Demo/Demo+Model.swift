/// The page model of Templates/demo/activecampaign.mustache: plain stored values, read by Mustache through Mirror.
extension DemoController {
    struct DemoPage {
        struct Contact {
            var email: String
            var name: String
            var phone: String
            var status: String
            var updated: String
        }
        struct List {
            var id: Int
            var name: String
            var active: String
            var unsubscribed: String
            var recent: [Contact]
            var hasRecent: Bool
        }
        struct Import {
            var queuedAt: String
            var status: String
            var contacts: String
            var succeeded: String
            var failed: String
        }
        var chrome: Chrome
        var address: String
        var contacts: String
        var lists: [List]
        var imports: [Import]
        var hasImports: Bool
        var exportsHref: String
        var selfHref: String
    }
}

extension DemoController.DemoPage {
    /// The sandbox's statuses ("completed", "active") as the app's other statuses read: "Completed", "Active".
    static func capitalized(_ status: String) -> String {
        status.prefix(1).uppercased() + status.dropFirst()
    }

    static func build(_ received: DemoReceived, slug: String, chrome: Chrome) -> Self {
        Self(
            chrome: chrome,
            address: received.address,
            contacts: received.contacts.formatted(),
            lists: received.lists.map { list in
                .init(
                    id: list.id,
                    name: list.name,
                    active: list.active.formatted(),
                    unsubscribed: list.unsubscribed.formatted(),
                    recent: list.recent.map {
                        .init(
                            email: $0.email,
                            name: $0.name,
                            phone: $0.phone,
                            status: Self.capitalized($0.status),
                            updated: Format.dateTime($0.updated)
                        )
                    },
                    hasRecent: !list.recent.isEmpty
                )
            },
            imports: received.imports.map {
                .init(
                    queuedAt: Format.dateTime($0.queuedAt),
                    status: Self.capitalized($0.status),
                    contacts: $0.contacts.formatted(),
                    succeeded: $0.succeeded.formatted(),
                    failed: $0.failed.formatted()
                )
            },
            hasImports: !received.imports.isEmpty,
            exportsHref: TenantRoute.exports.path(slug),
            selfHref: TenantRoute.demoActiveCampaign.path(slug)
        )
    }
}

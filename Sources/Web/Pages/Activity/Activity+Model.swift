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
        var events: HTMLRows<Row>
        var hasEvents: Bool
        var page: Int
        var newerHref: String?
        var olderHref: String?
        var action: String = ""
        var kinds: [Option] = []
        var people: [Option] = []
        var filtered: Bool = false
        var clearHref: String = ""

        struct Option {
            var value: String
            var label: String
            var selected: Bool
        }

        /// What the page shows: one kind of event, one person's, or both.
        struct Filter: Equatable {
            var kind: String?
            var person: String?
        }

        /// The kinds a filter offers, as people call them (the `action` stored with each event).
        static let kindLabels: [(action: String, label: String)] = [
            ("signin.succeeded", "Sign-ins"), ("signin.failed", "Failed sign-ins"), ("signin.locked", "Lock-outs"),
            ("account.password_changed", "Password changes"), ("account.password_reset", "Password resets (command line)"),
            ("member.password_reset", "Password resets by an admin"), ("member.invited", "Invitations"),
            ("member.joined", "Members joining"), ("member.role_changed", "Role changes"), ("member.removed", "Members removed"),
            ("connection.created", "Connections added"), ("connection.edited", "Connections edited"),
            ("connection.removed", "Connections removed"), ("export.created", "Exports added"), ("export.changed", "Exports edited"),
            ("export.removed", "Exports removed"), ("export.run", "Export runs started"), ("export.run.finished", "Export runs finished"),
            ("profiles.imported", "Imports"), ("profiles.import_waiting", "Imports waiting for their id column"),
            ("profiles.import_failed", "Failed imports"), ("profiles.deleted_all", "All profiles deleted"),
            ("segment.refreshed", "Segment refreshes"), ("segment.deleted", "Segments deleted"),
            ("system.schedule", "Refresh schedule changes"), ("system.refresh", "System refreshes"),
        ]
    }
}

extension ActivityController.ActivityPage {
    /// Built from store reads; the controller and the tests call it.
    static func build(
        _ events: [ActivityEvent],
        page: Int,
        hasMore: Bool,
        slug: String,
        chrome: Chrome,
        filter: Filter = Filter(),
        people: [String] = []
    ) -> Self {
        func link(_ page: Int?) -> String {
            TenantRoute.activity.path(slug, query: ["kind": filter.kind, "person": filter.person, "page": page.map(String.init)])
        }
        let everyone = people + ["command line", "sign-in attempt"]
        return Self(
            chrome: chrome,
            events: HTMLRows(
                events.map {
                    .init(
                        when: Format.dateTime($0.createdAt),
                        who: $0.actorEmail,
                        action: $0.action,
                        detail: $0.detail,
                        address: $0.clientAddress
                    )
                }
            ),
            hasEvents: !events.isEmpty,
            page: page,
            newerHref: page > 1 ? link(page - 1 > 1 ? page - 1 : nil) : nil,
            olderHref: hasMore ? link(page + 1) : nil,
            action: TenantRoute.activity.path(slug),
            kinds: Self.kindLabels.map { .init(value: $0.action, label: $0.label, selected: $0.action == filter.kind) },
            people: everyone.map { .init(value: $0, label: $0, selected: $0 == filter.person) },
            filtered: filter != Filter(),
            clearHref: TenantRoute.activity.path(slug)
        )
    }
}

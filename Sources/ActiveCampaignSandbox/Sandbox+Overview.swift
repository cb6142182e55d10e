import Foundation

/// What one sandbox account has received, for `outbound demo`'s page: its lists with their contacts' statuses and
/// the latest imports.
public struct SandboxOverview: Sendable {
    public struct Contact: Sendable {
        public var email: String
        public var firstName: String
        public var lastName: String
        public var phone: String
        /// "active", "unsubscribed", "unconfirmed" or "bounced".
        public var status: String
        public var updated: Date
    }

    public struct List: Sendable {
        public var id: Int
        public var name: String
        public var active: Int
        public var unsubscribed: Int
        /// The most recently changed contacts, newest first.
        public var recent: [Contact]
    }

    public struct Import: Sendable {
        public var queuedAt: Date
        /// "waiting", "active", "completed", "failed" or "interrupted", as `import/info` would answer now.
        public var status: String
        public var contacts: Int
        public var succeeded: Int
        public var failed: Int
    }

    public var accountName: String
    public var contacts: Int
    public var lists: [List]
    /// Newest first.
    public var imports: [Import]
}

extension Sandbox {
    /// The first account's view (the demo has one), after applying every import due by now.
    public func overview(recentContacts: Int = 50, recentImports: Int = 20) -> SandboxOverview? {
        guard let key = configuration.accounts.first?.apiKey, var account = accounts[key] else { return nil }
        let current = now()
        advanceImports(&account, to: current)
        accounts[key] = account
        let lists = configuration.lists.sorted { $0.id < $1.id }.map { spec in
            let members = account.contacts.values.filter { $0.lists[spec.id] != nil }
            let recent = members.sorted { ($0.updated, $0.id) > ($1.updated, $1.id) }.prefix(recentContacts)
            return SandboxOverview.List(
                id: spec.id,
                name: spec.name,
                active: members.count { $0.lists[spec.id] == .active },
                unsubscribed: members.count { $0.lists[spec.id] == .unsubscribed },
                recent: recent.map { contact in
                    SandboxOverview.Contact(
                        email: contact.email,
                        firstName: contact.firstName,
                        lastName: contact.lastName,
                        phone: contact.phone,
                        status: contact.lists[spec.id].map(Self.statusName) ?? "",
                        updated: contact.updated
                    )
                }
            )
        }
        let imports = account.batches.values.sorted { $0.queuedAt > $1.queuedAt }.prefix(recentImports).map { batch in
            SandboxOverview.Import(
                queuedAt: batch.queuedAt,
                status: current < batch.startAt ? "waiting" : current < batch.finishAt ? "active" : batch.outcome,
                contacts: batch.size,
                succeeded: batch.success.count,
                failed: batch.failure.count
            )
        }
        return SandboxOverview(accountName: account.spec.name, contacts: account.contacts.count, lists: lists, imports: Array(imports))
    }

    static func statusName(_ status: ListStatus) -> String {
        switch status {
        case .unconfirmed: "unconfirmed"
        case .active: "active"
        case .unsubscribed: "unsubscribed"
        case .bounced: "bounced"
        }
    }
}

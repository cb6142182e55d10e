import Foundation

/// What the demo's in-process "ActiveCampaign" (the sandbox) has received, as `outbound demo` hands it to the web
/// app: Web never imports the sandbox, it is given a function that reads it.
public struct DemoReceived: Sendable {
    public struct Contact: Sendable {
        public var email: String
        public var name: String
        public var phone: String
        public var status: String
        public var updated: Date

        public init(email: String, name: String, phone: String, status: String, updated: Date) {
            self.email = email
            self.name = name
            self.phone = phone
            self.status = status
            self.updated = updated
        }
    }

    public struct List: Sendable {
        public var id: Int
        public var name: String
        public var active: Int
        public var unsubscribed: Int
        /// The most recently changed contacts, newest first.
        public var recent: [Contact]

        public init(id: Int, name: String, active: Int, unsubscribed: Int, recent: [Contact]) {
            self.id = id
            self.name = name
            self.active = active
            self.unsubscribed = unsubscribed
            self.recent = recent
        }
    }

    public struct Import: Sendable {
        public var queuedAt: Date
        public var status: String
        public var contacts: Int
        public var succeeded: Int
        public var failed: Int

        public init(queuedAt: Date, status: String, contacts: Int, succeeded: Int, failed: Int) {
            self.queuedAt = queuedAt
            self.status = status
            self.contacts = contacts
            self.succeeded = succeeded
            self.failed = failed
        }
    }

    /// Where the sandbox listens (the connection's host).
    public var address: String
    public var contacts: Int
    public var lists: [List]
    /// Newest first.
    public var imports: [Import]

    public init(address: String, contacts: Int, lists: [List], imports: [Import]) {
        self.address = address
        self.contacts = contacts
        self.lists = lists
        self.imports = imports
    }
}

/// Demo mode: set by `outbound demo` only. It adds the demo page and its link in the navigation.
public struct DemoMode: Sendable {
    public var received: @Sendable () async -> DemoReceived

    public init(received: @escaping @Sendable () async -> DemoReceived) {
        self.received = received
    }
}

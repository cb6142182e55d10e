import Foundation

/// ActiveCampaign's list statuses, as `contactLists` reports them.
public enum ListStatus: Int, Sendable, Codable {
    case unconfirmed = 0
    case active = 1
    case unsubscribed = 2
    case bounced = 3
}

struct SandboxContact: Sendable, Codable {
    var id: Int
    var email: String
    var firstName = ""
    var lastName = ""
    var phone = ""
    var fields: [Int: String] = [:]
    var tags: Set<String> = []
    var lists: [Int: ListStatus] = [:]
    var created: Date
    var updated: Date
}

struct ImportBatch: Sendable, Codable {
    var id: String
    var contacts: [[String: JSONValue]]
    /// Contacts queued, kept after `contacts` is emptied once applied.
    var size = 0
    var topLevelExcludeAutomations: Bool
    var queuedAt: Date
    var startAt: Date
    var finishAt: Date
    var applied = false
    var outcome = "completed"
    var success: [String] = []
    var failure: [String] = []
}

/// A sliding-window counter: at most `limit` events in any `window` seconds.
struct SlidingWindow: Sendable {
    var limit: Int
    var window: Double
    private var events: [Date] = []

    init(limit: Int, window: Double) {
        self.limit = limit
        self.window = window
    }

    /// Records an event now and returns nil, or returns the seconds to wait when the window is full.
    mutating func admit(now: Date) -> Double? {
        events.removeAll { now.timeIntervalSince($0) >= window }
        if events.count >= limit {
            return window - now.timeIntervalSince(events[0])
        }
        events.append(now)
        return nil
    }
}

struct SandboxAccount: Sendable {
    var spec: SandboxConfiguration.Account
    var id: Int
    var contacts: [Int: SandboxContact] = [:]
    var emailIndex: [String: Int] = [:]
    var nextContactId = 1
    var batches: [String: ImportBatch] = [:]
    var batchOrder: [String] = []
    var lastFinish: Date = .distantPast
    var automationsTriggered: [Int: Int] = [:]
    var discardedContacts: [Int: Int] = [:]
    var requestLimiter: SlidingWindow
    var multiImportLimiter: SlidingWindow
    var singleImportLimiter: SlidingWindow
    var burst429Left: Int
    /// Contacts and imports the importer accepted (queued), resends included.
    var receivedContacts = 0
    var receivedImports = 0

    var activeContactCount: Int { contacts.values.filter { $0.lists.values.contains(.active) }.count }
}

import Foundation
import GRDB

public enum ExportSchedule: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Runs with every scheduled refresh of its workspace.
    case system
    /// Runs only when someone presses Run.
    case off

    public var label: String {
        switch self {
        case .system: "System refresh"
        case .off: "Off (manual runs only)"
        }
    }
}

/// An export of segments to one ActiveCampaign list. Attributes are referred to by id, never by name.
public struct Export: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "export"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var connectionId: Int64?
    public var listId: String?
    public var schedule: ExportSchedule
    public var createdByUserId: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    public var emailAttributeId: Int64?
    public var firstNameAttributeId: Int64?
    public var lastNameAttributeId: Int64?
    public var phoneAttributeId: Int64?
    public var runAutomations: Bool
    public var mirror: Bool
    public var mirrorGuardPercent: Int
    public var baselineState: BaselineState

    public enum BaselineState: String, Codable, Sendable, DatabaseValueConvertible {
        case none, needed, read
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let name = Column(CodingKeys.name)
        public static let connectionId = Column(CodingKeys.connectionId)
        public static let schedule = Column(CodingKeys.schedule)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// What a person (or the CLI) sets on an export; the store checks it belongs to the workspace.
public struct ExportSettings: Sendable, Equatable {
    public var name: String
    public var connectionId: Int64?
    public var listId: String
    public var segmentIds: [Int64]
    public var emailAttributeId: Int64
    public var firstNameAttributeId: Int64?
    public var lastNameAttributeId: Int64?
    public var phoneAttributeId: Int64?
    public var schedule: ExportSchedule
    public var runAutomations: Bool
    public var mirror: Bool
    public var mirrorGuardPercent: Int

    public init(
        name: String,
        connectionId: Int64?,
        listId: String,
        segmentIds: [Int64],
        emailAttributeId: Int64,
        firstNameAttributeId: Int64? = nil,
        lastNameAttributeId: Int64? = nil,
        phoneAttributeId: Int64? = nil,
        schedule: ExportSchedule = .system,
        runAutomations: Bool = false,
        mirror: Bool = false,
        mirrorGuardPercent: Int = 20
    ) {
        self.name = name
        self.connectionId = connectionId
        self.listId = listId
        self.segmentIds = segmentIds
        self.emailAttributeId = emailAttributeId
        self.firstNameAttributeId = firstNameAttributeId
        self.lastNameAttributeId = lastNameAttributeId
        self.phoneAttributeId = phoneAttributeId
        self.schedule = schedule
        self.runAutomations = runAutomations
        self.mirror = mirror
        self.mirrorGuardPercent = mirrorGuardPercent
    }
}

public enum RunState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case queued, running
    case needsConfirmation = "needs_confirmation"
    case succeeded
    case completedWithErrors = "completed_with_errors"
    case failed, canceled, skipped

    public static let active: [RunState] = [.queued, .running, .needsConfirmation]
    public var isActive: Bool { Self.active.contains(self) }

    /// The status people read.
    public var label: String {
        switch self {
        case .queued: "Queued"
        case .running: "Processing"
        case .needsConfirmation: "Needs confirmation"
        case .succeeded: "Successful"
        case .completedWithErrors: "Completed with errors"
        case .failed: "Failed"
        case .canceled: "Canceled"
        case .skipped: "Skipped"
        }
    }
}

public enum RunTrigger: String, Codable, Sendable, DatabaseValueConvertible {
    case schedule
    case runAll = "run_all"
    case manual
    case commandLine = "command_line"

    public var label: String {
        switch self {
        case .schedule: "System refresh"
        case .runAll: "Run all"
        case .manual: "Run now"
        case .commandLine: "Command line"
        }
    }
}

public enum RunPhase: String, Codable, Sendable, DatabaseValueConvertible {
    /// Checks, then freezing the contacts and planning batches (restarts from scratch after a crash).
    case prepare
    /// Sending and confirming batches (resumes from the batches' checkpoints).
    case send
    case done
}

/// One run of an export: a row that workers lease, and its counts.
public struct ExportRun: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "exportRun"
    public var id: Int64?
    public var tenantId: Int64
    public var exportId: Int64
    public var trigger: RunTrigger
    public var requestedByUserId: Int64?
    public var requestedBy: String
    public var fullResync: Bool
    public var state: RunState
    public var phase: RunPhase
    public var reason: String?
    public var removalsConfirmed: Bool
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var heartbeatAt: Date?
    public var claims: Int
    public var queuedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var members: Int
    public var duplicates: Int
    public var valid: Int
    public var invalid: Int
    public var unchanged: Int
    public var held: Int
    public var toSend: Int
    public var toUnsubscribe: Int
    public var sent: Int
    public var accepted: Int
    public var rejected: Int
    public var unsubscribed: Int
    public var batches: Int
    public var batchesConfirmed: Int
    public var requests: Int

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let exportId = Column(CodingKeys.exportId)
        public static let state = Column(CodingKeys.state)
    }

    /// Read without Codable, which cost about a microsecond a column: a run's page decodes its export's last runs
    /// (33 columns each).
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        tenantId = try row.decode(forColumn: "tenantId")
        exportId = try row.decode(forColumn: "exportId")
        trigger = try row.decode(forColumn: "trigger")
        requestedByUserId = try row.decode(forColumn: "requestedByUserId")
        requestedBy = try row.decode(forColumn: "requestedBy")
        fullResync = try row.decode(forColumn: "fullResync")
        state = try row.decode(forColumn: "state")
        phase = try row.decode(forColumn: "phase")
        reason = try row.decode(forColumn: "reason")
        removalsConfirmed = try row.decode(forColumn: "removalsConfirmed")
        leaseOwner = try row.decode(forColumn: "leaseOwner")
        leaseExpiresAt = try row.decode(forColumn: "leaseExpiresAt")
        heartbeatAt = try row.decode(forColumn: "heartbeatAt")
        claims = try row.decode(forColumn: "claims")
        queuedAt = try row.decode(forColumn: "queuedAt")
        startedAt = try row.decode(forColumn: "startedAt")
        finishedAt = try row.decode(forColumn: "finishedAt")
        members = try row.decode(forColumn: "members")
        duplicates = try row.decode(forColumn: "duplicates")
        valid = try row.decode(forColumn: "valid")
        invalid = try row.decode(forColumn: "invalid")
        unchanged = try row.decode(forColumn: "unchanged")
        held = try row.decode(forColumn: "held")
        toSend = try row.decode(forColumn: "toSend")
        toUnsubscribe = try row.decode(forColumn: "toUnsubscribe")
        sent = try row.decode(forColumn: "sent")
        accepted = try row.decode(forColumn: "accepted")
        rejected = try row.decode(forColumn: "rejected")
        unsubscribed = try row.decode(forColumn: "unsubscribed")
        batches = try row.decode(forColumn: "batches")
        batchesConfirmed = try row.decode(forColumn: "batchesConfirmed")
        requests = try row.decode(forColumn: "requests")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    init(
        tenantId: Int64,
        exportId: Int64,
        trigger: RunTrigger,
        requestedByUserId: Int64?,
        requestedBy: String,
        fullResync: Bool,
        state: RunState,
        reason: String?,
        now: Date
    ) {
        self.tenantId = tenantId
        self.exportId = exportId
        self.trigger = trigger
        self.requestedByUserId = requestedByUserId
        self.requestedBy = requestedBy
        self.fullResync = fullResync
        self.state = state
        self.phase = state == .queued ? .prepare : .done
        self.reason = reason
        self.removalsConfirmed = false
        self.claims = 0
        self.queuedAt = now
        self.finishedAt = state == .queued ? nil : now
        (members, duplicates, valid, invalid, unchanged, held, toSend, toUnsubscribe) = (0, 0, 0, 0, 0, 0, 0, 0)
        (sent, accepted, rejected, unsubscribed, batches, batchesConfirmed, requests) = (0, 0, 0, 0, 0, 0, 0)
    }
}

public enum BatchKind: String, Codable, Sendable, DatabaseValueConvertible {
    case subscribe, unsubscribe
}

public enum BatchState: String, Codable, Sendable, DatabaseValueConvertible {
    /// Not sent yet (or to be sent again: ActiveCampaign said it failed or forgot it).
    case planned
    /// Accepted by the importer under `remoteBatchId`; waiting for its outcome.
    case sent
    case confirmed
    /// Replaced by two halves (a whole-batch refusal that did not name its contact).
    case split
}

/// A batch of at most 250 contacts and under 400,000 bytes: the unit of sending, confirming and resuming.
public struct RunBatch: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runBatch"
    public var runId: Int64
    public var seq: Int64
    public var kind: BatchKind
    public var state: BatchState
    public var contacts: Int
    public var remoteBatchId: String?
    public var posts: Int
    public var sentAt: Date?
    public var pollAfter: Date?
    /// Looks at its outcome since it was last posted (they space the next look).
    public var polls: Int
    public var confirmedAt: Date?

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
        public static let seq = Column(CodingKeys.seq)
        public static let state = Column(CodingKeys.state)
    }
}

/// One frozen contact of a batch: what goes to ActiveCampaign, and the profile and fingerprint the run's rows and
/// the export's ledger keep.
public struct BatchContact: Sendable, Equatable {
    public var seq: Int64
    public var email: String
    public var firstName: String?
    public var lastName: String?
    public var phone: String?
    public var profileId: String?
    public var fingerprint: String?
}

/// A row a person must see: an invalid email (never sent) or a contact ActiveCampaign refused.
public struct RunProblemRow: Sendable, Equatable {
    public var profileId: String?
    public var email: String
    public var outcome: String
    public var reason: String
}

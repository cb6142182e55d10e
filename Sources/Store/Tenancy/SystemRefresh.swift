import Foundation
import GRDB
import OutboundCore

/// A workspace's system refresh as stored: its schedule, and when it runs next (UTC).
struct SystemRefreshRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "systemRefresh"
    var tenantId: Int64
    var frequency: String
    var weekdays: Int
    var times: String
    var nextRefreshAt: Date?
    var lastRefreshAt: Date?
    var lastRefreshSummary: String?
    var updatedAt: Date

    enum Columns {
        static let tenantId = Column(CodingKeys.tenantId)
        static let nextRefreshAt = Column(CodingKeys.nextRefreshAt)
    }

    var schedule: RefreshSchedule {
        RefreshSchedule(
            frequency: RefreshSchedule.Frequency(rawValue: frequency) ?? .off,
            weekdays: Set(RefreshSchedule.Weekday.allCases.filter { weekdays & (1 << $0.rawValue) != 0 }),
            times: times.split(separator: ",").compactMap { RefreshSchedule.LocalTime(parsing: String($0)) }
        )
    }

    static func empty(tenantId: Int64, now: Date) -> Self {
        Self(tenantId: tenantId, frequency: "off", weekdays: 0, times: "", updatedAt: now)
    }

    mutating func set(_ schedule: RefreshSchedule) {
        frequency = schedule.frequency.rawValue
        weekdays = schedule.weekdays.reduce(0) { $0 | 1 << $1.rawValue }
        times = schedule.times.map(\.text).joined(separator: ",")
    }
}

/// What Admin > System shows: the schedule, the workspace's time zone, the next and the last refresh.
public struct SystemRefreshState: Sendable, Equatable {
    public var schedule: RefreshSchedule
    public var timeZone: String
    public var nextRefreshAt: Date?
    public var lastRefreshAt: Date?
    public var lastRefreshSummary: String?

    public init(
        schedule: RefreshSchedule,
        timeZone: String,
        nextRefreshAt: Date? = nil,
        lastRefreshAt: Date? = nil,
        lastRefreshSummary: String? = nil
    ) {
        self.schedule = schedule
        self.timeZone = timeZone
        self.nextRefreshAt = nextRefreshAt
        self.lastRefreshAt = lastRefreshAt
        self.lastRefreshSummary = lastRefreshSummary
    }

    init(_ record: SystemRefreshRecord?, tenant: Tenant) {
        self.init(
            schedule: record?.schedule ?? .off,
            timeZone: tenant.timeZone,
            nextRefreshAt: record?.nextRefreshAt,
            lastRefreshAt: record?.lastRefreshAt,
            lastRefreshSummary: record?.lastRefreshSummary
        )
    }
}

/// What one system refresh did.
public struct SystemRefreshOutcome: Sendable, Equatable {
    public struct Skip: Sendable, Equatable {
        public var export: String
        public var reason: String
    }
    public var segmentsRefreshed = 0
    /// "Segment name: why", for segments whose refresh failed (the others and the exports go on).
    public var segmentProblems: [String] = []
    public var queued: [String] = []
    public var skipped: [Skip] = []
    /// Exports on System refresh without a connection: not queued, they could not run.
    public var withoutConnection: [String] = []

    /// One line for Activity and the page.
    public var summary: String {
        var parts = ["refreshed \(segmentsRefreshed) segment\(segmentsRefreshed == 1 ? "" : "s")"]
        if !segmentProblems.isEmpty { parts.append("could not refresh \(segmentProblems.joined(separator: "; "))") }
        parts.append("queued \(queued.count) export\(queued.count == 1 ? "" : "s")")
        if !skipped.isEmpty {
            parts.append("skipped " + skipped.map { "\($0.export) (\($0.reason))" }.joined(separator: ", "))
        }
        if !withoutConnection.isEmpty { parts.append("not queued without a connection: " + withoutConnection.joined(separator: ", ")) }
        let line = parts.joined(separator: "; ")
        return BoundedText.summary(line.prefix(1).uppercased() + line.dropFirst() + ".")
    }
}

extension Actor {
    /// The scheduler, for refreshes nobody asked for just now.
    public static let systemRefresh = Actor(userId: nil, email: "system refresh", clientAddress: "engine")
}

extension AppDatabase {
    public func systemRefresh(tenantId: Int64) async throws -> SystemRefreshState {
        try await reader.read { db in
            guard let tenant = try Tenant.fetchOne(db, key: tenantId) else { throw StoreError.notFound }
            return SystemRefreshState(try SystemRefreshRecord.fetchOne(db, key: tenantId), tenant: tenant)
        }
    }

    /// Sets the schedule and the workspace's time zone, and when the next refresh is (from `now`, so a schedule
    /// saved after downtime never catches up on the old one).
    public func saveSystemRefresh(
        tenantId: Int64,
        schedule: RefreshSchedule,
        timeZone: TimeZone,
        actor: Actor,
        now: Date
    ) async throws -> SystemRefreshState {
        try await writer.write { db in
            guard var tenant = try Tenant.fetchOne(db, key: tenantId) else { throw StoreError.notFound }
            var record = try SystemRefreshRecord.fetchOne(db, key: tenantId) ?? .empty(tenantId: tenantId, now: now)
            let before = (record.schedule, tenant.timeZone)
            record.set(schedule)
            record.nextRefreshAt = schedule.next(after: now, in: timeZone)
            record.updatedAt = now
            try record.save(db)
            tenant.timeZone = timeZone.identifier
            try tenant.update(db)
            if before != (schedule, tenant.timeZone) {
                try ActivityEvent.record(
                    db,
                    at: now,
                    tenantId: tenantId,
                    actor: actor,
                    action: "system.schedule",
                    detail: "Set the system refresh to \(Self.describe(schedule)) (\(tenant.timeZone))"
                )
            }
            return SystemRefreshState(record, tenant: tenant)
        }
    }

    /// "Off", "Daily at 06:00, 18:00", "Weekly on Monday, Friday at 06:00".
    static func describe(_ schedule: RefreshSchedule) -> String {
        let times = schedule.times.map(\.text).joined(separator: ", ")
        switch schedule.frequency {
        case .off: return "Off"
        case .daily: return "Daily at \(times)"
        case .weekly: return "Weekly on \(schedule.weekdays.sorted().map(\.name).joined(separator: ", ")) at \(times)"
        }
    }

    // MARK: The scheduler (dispatcher queries: the only all-workspace reads of this room)

    /// Workspaces whose next refresh is due at `now`.
    public func dueSystemRefreshes(now: Date) async throws -> [Int64] {
        try await reader.read { db in
            try Int64.fetchAll(
                db,
                SystemRefreshRecord.select(SystemRefreshRecord.Columns.tenantId)
                    .filter(SystemRefreshRecord.Columns.nextRefreshAt <= now)
                    .order(SystemRefreshRecord.Columns.nextRefreshAt)
            )
        }
    }

    /// Takes a due refresh for this process: moves `nextRefreshAt` to the first occurrence after `now` (missed ones
    /// collapse into this one: at most one catch-up) with a compare-and-set, so of two engines only one wins.
    public func claimSystemRefresh(tenantId: Int64, now: Date) async throws -> Bool {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT nextRefreshAt FROM systemRefresh WHERE tenantId = ?", arguments: [tenantId]),
                let due = row["nextRefreshAt"] as Date?, due <= now,
                let record = try SystemRefreshRecord.fetchOne(db, key: tenantId),
                let tenant = try Tenant.fetchOne(db, key: tenantId)
            else { return false }
            let zone = TimeZone(identifier: tenant.timeZone) ?? .gmt
            try db.execute(
                sql: "UPDATE systemRefresh SET nextRefreshAt = ? WHERE tenantId = ? AND nextRefreshAt IS ?",
                arguments: [record.schedule.next(after: now, in: zone), tenantId, row["nextRefreshAt"] as DatabaseValue]
            )
            return db.changesCount == 1
        }
    }

    /// One system refresh of a workspace: every segment is refreshed, then every export on System refresh is
    /// queued (or recorded as Skipped when its previous run is still going), in one transaction with its Activity.
    /// Synchronous and long (segment refreshes): callers run it off the threads tasks run on.
    public func performSystemRefresh(tenantId: Int64, request: RunRequest, actor: Actor, now: Date) throws -> SystemRefreshOutcome {
        var outcome = SystemRefreshOutcome()
        let segments = try reader.read { db in
            try Segment.filter(Segment.Columns.tenantId == tenantId).order(Segment.Columns.id).fetchAll(db)
        }
        for segment in segments {
            do {
                try refreshSegment(tenantId: tenantId, id: segment.id!, now: now)
                outcome.segmentsRefreshed += 1
            } catch StoreError.notFound {
                continue  // deleted meanwhile
            } catch {
                outcome.segmentProblems.append("\(segment.name): \(BoundedText.summary("\(error)", limit: 200))")
            }
        }
        return try writer.write { db in
            let exports = try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.schedule == ExportSchedule.system)
                .order(Export.Columns.name).fetchAll(db)
            for export in exports {
                guard export.connectionId != nil else {
                    outcome.withoutConnection.append(export.name)
                    continue
                }
                switch try Self.enqueueRun(db, export: export, request: request, actor: actor, now: now) {
                case .queued: outcome.queued.append(export.name)
                case .skipped(let run): outcome.skipped.append(.init(export: export.name, reason: run.reason ?? ""))
                }
            }
            var record = try SystemRefreshRecord.fetchOne(db, key: tenantId) ?? .empty(tenantId: tenantId, now: now)
            record.lastRefreshAt = now
            record.lastRefreshSummary = outcome.summary
            try record.save(db)
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: tenantId,
                actor: actor,
                action: "system.refresh",
                detail: "\(request.userId == nil ? "Scheduled system refresh" : "Refresh now"): \(outcome.summary)"
            )
            return outcome
        }
    }
}

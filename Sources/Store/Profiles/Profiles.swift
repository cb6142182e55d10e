import Foundation
import GRDB

public enum AttributeType: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case text, number, date, boolean
}

public struct Attribute: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let tenantId = Column(CodingKeys.tenantId)
    }

    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var type: AttributeType

    public init(id: Int64? = nil, tenantId: Int64, name: String, type: AttributeType) {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.type = type
    }

    /// Read without Codable: decoding the attributes through it was 2% of a Data > Profiles request.
    public init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id.name)
        tenantId = try row.decode(forColumn: Columns.tenantId.name)
        name = try row.decode(forColumn: Columns.name.name)
        type = try row.decode(forColumn: CodingKeys.type.stringValue)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The key of this attribute in a profile's JSON; built from the id only, never from the name.
    public var key: String { "a\(id!)" }
    /// The JSON path, always passed to SQLite as a bound parameter.
    public var path: String { "$.\(key)" }
}

/// One profile as the pages show it.
public struct ProfileRow: Sendable, Equatable {
    public var rowId: Int64
    public var profileId: String
    public var values: [Int64: String]
}

extension ProfileRow {
    /// From `SELECT rowId, profileId, attributes`: the stored JSON's `a<attribute id>` keys, nulls left out.
    init(row: Row) {
        let text: String = row[2]
        self.init(rowId: row[0], profileId: row[1], values: ProfileJSON.values(text) ?? Self.foundationValues(text))
    }

    /// What `ProfileJSON` leaves to Foundation (anything but the flat object the importer writes).
    static func foundationValues(_ text: String) -> [Int64: String] {
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        var values: [Int64: String] = [:]
        for (key, value) in json where key.hasPrefix("a") {
            guard let id = Int64(key.dropFirst()) else { continue }
            switch value {
            case let text as String: values[id] = text
            case let number as NSNumber: values[id] = number.stringValue
            default: continue
            }
        }
        return values
    }
}

public struct ImportJob: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
    }

    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        case running, succeeded
        case completedWithErrors = "completed_with_errors"
        case failed
    }
    public var id: Int64?
    public var tenantId: Int64
    public var fileName: String
    public var status: Status
    public var replaceAll: Bool
    public var rowsRead: Int
    public var rowsImported: Int
    public var rowsRejected: Int
    public var rowsRemoved: Int
    public var message: String?
    /// The first problems found, as JSON `[{"line": 12, "problem": "…"}]`.
    public var problems: String
    public var createdByUserId: Int64?
    public var startedAt: Date
    public var finishedAt: Date?
    /// The uploaded file, kept while the job waits for the person to choose the id column.
    public var pendingFile: String?
    /// The header's column names (JSON), when the id column must be chosen.
    public var columns: String?
    /// Imported rows whose email column is empty or not an address: those profiles can never be exported.
    public var rowsWithoutEmail: Int = 0

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var columnList: [String] { columns.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? [] }

    public struct Problem: Codable, Sendable, Equatable {
        public var line: Int
        public var problem: String
        public init(line: Int, problem: String) {
            self.line = line
            self.problem = problem
        }
    }

    public var problemList: [Problem] { (try? JSONDecoder().decode([Problem].self, from: Data(problems.utf8))) ?? [] }
}

extension AppDatabase {
    public func attributes(tenantId: Int64) async throws -> [Attribute] {
        try await reader.read { db in try Self.attributes(db, tenantId: tenantId) }
    }

    static func attributes(_ db: Database, tenantId: Int64) throws -> [Attribute] {
        try SQLRequest<Attribute>(sql: "SELECT * FROM attribute WHERE tenantId = ? ORDER BY id", arguments: [tenantId], cached: true)
            .fetchAll(db)
    }

    /// Finds or creates the attributes of an import's header. An existing attribute keeps its type.
    /// Synchronous: the importer calls it from its own thread.
    public func ensureAttributes(tenantId: Int64, _ wanted: [(name: String, type: AttributeType)]) throws -> [Attribute] {
        try writer.write { db in
            try wanted.map { name, type in
                if let existing = try Attribute.filter(Attribute.Columns.tenantId == tenantId && Attribute.Columns.name == name).fetchOne(
                    db
                ) {
                    return existing
                }
                var attribute = Attribute(tenantId: tenantId, name: name, type: type)
                try attribute.insert(db)
                return attribute
            }
        }
    }

    public func profileCount(tenantId: Int64) async throws -> Int {
        try await reader.read { db in try Self.profileCount(db, tenantId: tenantId) }
    }

    static func profileCount(_ db: Database, tenantId: Int64) throws -> Int {
        // Kept by upsertProfiles and deleteProfiles (migration v13): counting a million took 40–50 ms a page.
        try SQLRequest<Int>(sql: "SELECT profiles FROM tenantProfileCount WHERE tenantId = ?", arguments: [tenantId], cached: true)
            .fetchOne(db) ?? 0
    }

    /// Upserts one chunk of rows (`profileId`, JSON of attribute keys) in one short transaction. Values in the
    /// file replace the profile's; attributes the file does not have are kept (`json_patch`).
    public func upsertProfiles(tenantId: Int64, importId: Int64, rows: [(profileId: String, json: String)], now: Date) throws {
        try writer.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO profile (tenantId, profileId, attributes, importId, updatedAt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (tenantId, profileId) DO UPDATE SET attributes = json_patch(profile.attributes, excluded.attributes),
                        importId = excluded.importId, updatedAt = excluded.updatedAt
                    """
            )
            // Converted once per chunk: formatting a Date for every row was a tenth of the import's time.
            let updatedAt = now.databaseValue
            // Row ids only grow (AUTOINCREMENT), so the rows this chunk added are the workspace's rows above today's
            // highest: counted through the (tenantId, rowId) index for the workspace's kept count.
            let highest = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(rowId), 0) FROM profile") ?? 0
            for row in rows {
                try statement.execute(arguments: [tenantId, row.profileId, row.json, importId, updatedAt])
            }
            try db.execute(
                sql: """
                    UPDATE tenantProfileCount SET profiles = profiles + (SELECT COUNT(*) FROM profile WHERE tenantId = ?1 AND rowId > ?2)
                    WHERE tenantId = ?1
                    """,
                arguments: [tenantId, highest]
            )
        }
    }

    /// "Replace all": removes, in chunks, the profiles the import did not touch. Returns how many.
    public func removeProfilesNotIn(importId: Int64, tenantId: Int64, chunk: Int = 5_000) throws -> Int {
        var removed = 0
        while true {
            let count = try writer.write { db in
                let rowIds = try Int64.fetchAll(
                    db,
                    sql: "SELECT rowId FROM profile WHERE tenantId = ? AND importId IS NOT ? LIMIT ?",
                    arguments: [tenantId, importId, chunk]
                )
                return try Self.deleteProfiles(db, tenantId: tenantId, rowIds: rowIds)
            }
            removed += count
            if count < chunk { return removed }
        }
    }

    /// Deletes every profile of the tenant, in chunks; segments keep their rules and are refreshed later.
    public func deleteAllProfiles(tenantId: Int64, actor: Actor) async throws -> Int {
        var removed = 0
        while true {
            let count = try await writer.write { db in
                let rowIds = try Int64.fetchAll(db, sql: "SELECT rowId FROM profile WHERE tenantId = ? LIMIT 5000", arguments: [tenantId])
                return try Self.deleteProfiles(db, tenantId: tenantId, rowIds: rowIds)
            }
            removed += count
            if count < 5_000 { break }
        }
        try await recordActivity(
            tenantId: tenantId,
            actor: actor,
            action: "profiles.deleted_all",
            detail: "Deleted all \(removed) profiles"
        )
        return removed
    }

    /// A page of profiles in id order after `afterRowId`, optionally only those whose id or any value contains
    /// `search` (case-insensitive). The search text is a bound parameter.
    public func profiles(tenantId: Int64, afterRowId: Int64, limit: Int, search: String?) async throws -> [ProfileRow] {
        try await reader.read { db in try Self.profiles(db, tenantId: tenantId, afterRowId: afterRowId, limit: limit, search: search) }
    }

    /// Data > Profiles in one read: the attributes, a page of rows (as `profiles`), the count and the recent imports.
    public func profilesPage(
        tenantId: Int64,
        afterRowId: Int64,
        limit: Int,
        search: String?
    ) async throws -> (attributes: [Attribute], rows: [ProfileRow], count: Int, imports: [ImportJob]) {
        try await reader.read { db in
            (
                try Self.attributes(db, tenantId: tenantId),
                try Self.profiles(db, tenantId: tenantId, afterRowId: afterRowId, limit: limit, search: search),
                try Self.profileCount(db, tenantId: tenantId),
                try Self.recentImports(db, tenantId: tenantId, limit: 10)
            )
        }
    }

    static func profiles(_ db: Database, tenantId: Int64, afterRowId: Int64, limit: Int, search: String?) throws -> [ProfileRow] {
        var sql = "SELECT rowId, profileId, attributes FROM profile WHERE tenantId = ? AND rowId > ?"
        var arguments: StatementArguments = [tenantId, afterRowId]
        if let search, !search.isEmpty {
            // The id and the values only: the stored JSON's keys ("a12"), quotes, colons and nulls are not data.
            sql += """
                 AND (instr(lower(profileId), lower(?)) > 0
                      OR EXISTS (SELECT 1 FROM json_each(profile.attributes) WHERE instr(lower(json_each.value), lower(?)) > 0))
                """
            arguments += [search, search]
        }
        sql += " ORDER BY rowId LIMIT ?"
        arguments += [limit]
        return try SQLRequest<Row>(sql: sql, arguments: arguments, cached: true).fetchAll(db).map(ProfileRow.init(row:))
    }

    /// One profile of the tenant by its row id, or nil (another tenant's answers nil too).
    public func profile(tenantId: Int64, rowId: Int64) async throws -> ProfileRow? {
        try await reader.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT rowId, profileId, attributes FROM profile WHERE tenantId = ? AND rowId = ?",
                arguments: [tenantId, rowId]
            ).map(ProfileRow.init(row:))
        }
    }

    /// Deletes one profile with its segment memberships, recorded in Activity in the same transaction. Returns
    /// its profile id, or nil when the tenant has no such profile.
    public func deleteProfile(tenantId: Int64, rowId: Int64, actor: Actor) async throws -> String? {
        try await writer.write { db in
            guard
                let profileId = try String.fetchOne(
                    db,
                    sql: "SELECT profileId FROM profile WHERE tenantId = ? AND rowId = ?",
                    arguments: [tenantId, rowId]
                )
            else { return nil }
            _ = try Self.deleteProfiles(db, tenantId: tenantId, rowIds: [rowId])
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "profiles.deleted_one",
                detail: "Deleted the profile \(profileId)"
            )
            return profileId
        }
    }

    // MARK: Import jobs

    public func startImport(tenantId: Int64, fileName: String, replaceAll: Bool, userId: Int64?, now: Date) async throws -> ImportJob {
        try await writer.write { db in
            var job = ImportJob(
                id: nil,
                tenantId: tenantId,
                fileName: fileName,
                status: .running,
                replaceAll: replaceAll,
                rowsRead: 0,
                rowsImported: 0,
                rowsRejected: 0,
                rowsRemoved: 0,
                message: nil,
                problems: "[]",
                createdByUserId: userId,
                startedAt: now,
                finishedAt: nil,
                pendingFile: nil,
                columns: nil
            )
            try job.insert(db)
            return job
        }
    }

    public func updateImport(_ job: ImportJob) throws {
        try writer.write { db in try job.update(db) }
    }

    /// `updateImport` from a task: it may wait for the writer, which must not hold up an event loop.
    public func updateImport(_ job: ImportJob) async throws {
        try await writer.write { db in try job.update(db) }
    }

    public func importJob(tenantId: Int64, id: Int64) async throws -> ImportJob? {
        try await reader.read { db in
            try ImportJob.filter(ImportJob.Columns.tenantId == tenantId && ImportJob.Columns.id == id).fetchOne(db)
        }
    }

    public func recentImports(tenantId: Int64, limit: Int = 10) async throws -> [ImportJob] {
        try await reader.read { db in try Self.recentImports(db, tenantId: tenantId, limit: limit) }
    }

    static func recentImports(_ db: Database, tenantId: Int64, limit: Int) throws -> [ImportJob] {
        try SQLRequest<ImportJob>(
            sql: "SELECT * FROM importJob WHERE tenantId = ? ORDER BY id DESC LIMIT ?",
            arguments: [tenantId, limit],
            cached: true
        ).fetchAll(db)
    }

    /// Uploads kept for an id-column choice that never came: returns their paths and forgets them.
    public func takeAbandonedUploads(olderThan date: Date) async throws -> [String] {
        try await writer.write { db in
            let paths = try String.fetchAll(
                db,
                sql: "SELECT pendingFile FROM importJob WHERE pendingFile IS NOT NULL AND startedAt < ?",
                arguments: [date]
            )
            try db.execute(
                sql: "UPDATE importJob SET pendingFile = NULL WHERE pendingFile IS NOT NULL AND startedAt < ?",
                arguments: [date]
            )
            return paths
        }
    }

    /// Hands a kept upload to a retry exactly once.
    public func takePendingFile(tenantId: Int64, jobId: Int64) async throws -> String? {
        try await writer.write { db in
            let path = try String.fetchOne(
                db,
                sql: "SELECT pendingFile FROM importJob WHERE tenantId = ? AND id = ?",
                arguments: [tenantId, jobId]
            )
            try db.execute(sql: "UPDATE importJob SET pendingFile = NULL WHERE tenantId = ? AND id = ?", arguments: [tenantId, jobId])
            return path
        }
    }

    /// At start-up: an import that was running when the process stopped did not finish.
    public func failInterruptedImports(now: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE importJob SET status = 'failed', finishedAt = ?,
                        message = 'Outbound stopped during this import. The rows imported before that are kept; import the file again to finish.'
                    WHERE status = 'running'
                    """,
                arguments: [now]
            )
        }
    }
}

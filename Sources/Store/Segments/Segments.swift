import Foundation
import GRDB

public struct Segment: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let tenantId = Column(CodingKeys.tenantId)
    }

    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var description: String
    public var rules: String
    public var generation: Int64
    public var memberCount: Int
    public var refreshedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var decodedRules: SegmentRules {
        (try? JSONDecoder().decode(SegmentRules.self, from: Data(rules.utf8))) ?? SegmentRules(combinator: .all, groups: [])
    }

    static func encode(_ rules: SegmentRules) -> String {
        String(decoding: (try? JSONEncoder().encode(rules)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

public struct SegmentSummary: Sendable, Equatable {
    public var segment: Segment
    public var exports: [ExportReference]
}

extension Segment {
    /// The segment with `id` in this tenant only: another tenant's id finds nothing.
    static func fetchOne(_ db: Database, tenantId: Int64, id: Int64) throws -> Segment? {
        try Segment.filter(Columns.tenantId == tenantId && Columns.id == id).fetchOne(db)
    }
}

extension AppDatabase {
    public func segmentSummaries(tenantId: Int64) async throws -> [SegmentSummary] {
        try await reader.read { db in
            try Segment.filter(Segment.Columns.tenantId == tenantId).order(Segment.Columns.name.collating(.nocase)).fetchAll(db).map {
                SegmentSummary(segment: $0, exports: try ExportLinks.usingSegment(db, tenantId: tenantId, segmentId: $0.id!))
            }
        }
    }

    public func segment(tenantId: Int64, id: Int64) async throws -> Segment? {
        try await reader.read { db in try Segment.fetchOne(db, tenantId: tenantId, id: id) }
    }

    public func segmentNameTaken(tenantId: Int64, name: String, except id: Int64?) async throws -> Bool {
        try await reader.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM segment WHERE tenantId = ? AND name = ? COLLATE NOCASE AND id IS NOT ?",
                arguments: [tenantId, name, id]
            ) ?? 0 > 0
        }
    }

    public func saveSegment(
        tenantId: Int64,
        id: Int64?,
        name: String,
        description: String,
        rules: SegmentRules,
        actor: Actor,
        now: Date
    ) async throws -> Segment {
        try await writer.write { db in
            var segment: Segment
            if let id {
                guard let existing = try Segment.fetchOne(db, tenantId: tenantId, id: id) else {
                    throw StoreError.notFound
                }
                segment = existing
                segment.name = name
                segment.description = description
                segment.rules = Segment.encode(rules)
                segment.updatedAt = now
                try segment.update(db)
            } else {
                segment = Segment(
                    id: nil,
                    tenantId: tenantId,
                    name: name,
                    description: description,
                    rules: Segment.encode(rules),
                    generation: 0,
                    memberCount: 0,
                    refreshedAt: nil,
                    createdAt: now,
                    updatedAt: now
                )
                try segment.insert(db)
            }
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: id == nil ? "segment.created" : "segment.edited",
                detail: "\(id == nil ? "Created" : "Edited") segment \(name) "
                    + "(\(rules.conditionCount) condition\(rules.conditionCount == 1 ? "" : "s"))"
            )
            return segment
        }
    }

    /// How many profiles the rules select now (the editor's preview). A read; nothing is written.
    public func countMatching(tenantId: Int64, rules: SegmentRules) async throws -> Int {
        let attributes = try await attributes(tenantId: tenantId)
        let (condition, arguments) = try rules.compile(attributes: attributes)
        return try await reader.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM profile WHERE tenantId = ? AND \(condition)",
                arguments: [tenantId] + arguments
            ) ?? 0
        }
    }

    /// Materialises the members as a new generation, in chunks of profile rows (short write transactions), then
    /// swaps the segment to it in one small transaction and clears the old generation in chunks. Readers see
    /// either the old members or the new ones, never a mix. Returns the member count.
    @discardableResult
    public func refreshSegment(tenantId: Int64, id: Int64, now: Date, chunkRows: Int64 = 50_000) throws -> Int {
        let (segment, attributes, bounds) = try writer.read { db in
            guard let segment = try Segment.fetchOne(db, tenantId: tenantId, id: id) else {
                throw StoreError.notFound
            }
            let attributes = try Attribute.filter(Attribute.Columns.tenantId == tenantId).fetchAll(db)
            let bounds = try Row.fetchOne(db, sql: "SELECT MIN(rowId), MAX(rowId) FROM profile WHERE tenantId = ?", arguments: [tenantId])
            return (segment, attributes, (bounds?[0] as Int64?, bounds?[1] as Int64?))
        }
        let (condition, arguments) = try segment.decodedRules.compile(attributes: attributes)
        let generation = segment.generation + 1
        var total = 0
        if let low = bounds.0, let high = bounds.1 {
            // The scan (JSON per row) is the costly part: it runs on two read connections at once, one range of
            // rows each; the ids found are then written range by range, each a short transaction.
            let ranges = stride(from: low - 1, to: high, by: Int(chunkRows)).map { ($0, min($0 + chunkRows, high)) }
            let found = MatchedRanges(count: ranges.count)
            let reader = self.reader
            DispatchQueue.concurrentPerform(iterations: min(2, ranges.count)) { worker in
                for index in stride(from: worker, to: ranges.count, by: 2) {
                    let (start, end) = ranges[index]
                    found.store(
                        index,
                        Result {
                            try reader.read { db in
                                try Int64.fetchAll(
                                    db,
                                    sql: "SELECT rowId FROM profile WHERE tenantId = ? AND rowId > ? AND rowId <= ? AND \(condition)",
                                    arguments: [tenantId, start, end] + arguments
                                )
                            }
                        }
                    )
                }
            }
            for index in ranges.indices {
                let ids = try found.take(index)
                guard !ids.isEmpty else { continue }
                let list = JSONList.of(ids)
                try writer.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO segmentMember (segmentId, generation, profileRowId) SELECT ?, ?, value FROM json_each(?)
                            """,
                        arguments: [id, generation, list]
                    )
                }
                total += ids.count
            }
        }
        let swapped = try writer.write { db in
            try db.execute(
                sql: """
                    UPDATE segment SET generation = ?, memberCount = ?, refreshedAt = ? WHERE id = ? AND generation = ?
                    """,
                arguments: [generation, total, now, id, segment.generation]
            )
            return db.changesCount == 1
        }
        // A concurrent refresh won: drop this generation. Otherwise drop the old one.
        try clearGeneration(segmentId: id, olderThan: swapped ? generation : nil, only: swapped ? nil : generation)
        return total
    }

    /// Deletes one segment's members of old generations (or of one generation) in ranges of profile rows: each
    /// range is a primary-key range delete in a short transaction.
    private func clearGeneration(segmentId: Int64, olderThan: Int64?, only: Int64?) throws {
        let generations: [Int64] = try writer.read { db in
            if let only { return [only] }
            return try Int64.fetchAll(
                db,
                sql: "SELECT DISTINCT generation FROM segmentMember WHERE segmentId = ? AND generation < ?",
                arguments: [segmentId, olderThan ?? 0]
            )
        }
        for generation in generations {
            let bounds = try writer.read { db in
                try Row.fetchOne(
                    db,
                    sql: "SELECT MIN(profileRowId), MAX(profileRowId) FROM segmentMember WHERE segmentId = ? AND generation = ?",
                    arguments: [segmentId, generation]
                )
            }
            guard let low = bounds?[0] as Int64?, let high = bounds?[1] as Int64? else { continue }
            var start = low - 1
            while start < high {
                let end = min(start + 100_000, high)
                try writer.write { db in
                    try db.execute(
                        sql: """
                            DELETE FROM segmentMember WHERE segmentId = ? AND generation = ? AND profileRowId > ? AND profileRowId <= ?
                            """,
                        arguments: [segmentId, generation, start, end]
                    )
                }
                start = end
            }
        }
    }

    /// Deletes a segment unless an export uses it; then the error names those exports.
    public func deleteSegment(tenantId: Int64, id: Int64, actor: Actor) async throws {
        try await writer.write { db in
            guard let segment = try Segment.fetchOne(db, tenantId: tenantId, id: id) else {
                throw StoreError.notFound
            }
            let exports = try ExportLinks.usingSegment(db, tenantId: tenantId, segmentId: id)
            guard exports.isEmpty else { throw SegmentInUse(exports: exports) }
            // Members go with the segment (ON DELETE CASCADE).
            _ = try segment.delete(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "segment.deleted",
                detail: "Deleted segment \(segment.name)"
            )
        }
    }
}

public struct SegmentInUse: Error, Equatable, Sendable {
    public var exports: [ExportReference]
}

/// The row ids each range matched, filled by the scanning threads.
final class MatchedRanges: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[Int64], any Error>?]  // guarded by `lock`

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ result: Result<[Int64], any Error>) { lock.withLock { results[index] = result } }

    func take(_ index: Int) throws -> [Int64] {
        let result = lock.withLock { () -> Result<[Int64], any Error>? in
            defer { results[index] = nil }
            return results[index]
        }
        return try result?.get() ?? []
    }
}

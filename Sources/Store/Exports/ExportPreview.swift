import Foundation
import GRDB
import OutboundCore

/// A dry run of an export: what its next run would send, decided by the engine's own rules (the email rule, the
/// payload fingerprint against the ledger, the reject hold, mirror's removals). Nothing is written.
public struct ExportPreview: Sendable, Equatable {
    /// One contact as ActiveCampaign would receive it, and what the run would do with it.
    public struct Contact: Sendable, Equatable {
        public var profileId: String
        public var email: String
        public var firstName: String?
        public var lastName: String?
        public var phone: String?
        public var action: Action
    }

    public enum Action: String, Sendable, Equatable {
        case send, unchanged, held
    }

    public struct InvalidReason: Sendable, Equatable {
        public var reason: String
        public var count: Int
    }

    public static let sampleSize = 20

    /// The first valid contacts in profile order (at most `sampleSize`).
    public var sample: [Contact] = []
    /// Distinct profiles in the union of the export's segments.
    public var members = 0
    /// Profiles whose email another profile already has (the lowest profile wins, as in a run).
    public var duplicates = 0
    public var valid = 0
    public var invalid: [InvalidReason] = []
    public var toSend = 0
    /// Of `toSend`, contacts this export has never delivered: what it may add to the account.
    public var new = 0
    public var unchanged = 0
    public var held = 0
    public var toUnsubscribe = 0

    public var invalidTotal: Int { invalid.reduce(0) { $0 + $1.count } }
}

/// Contacts still to go in runs of this workspace that share an ActiveCampaign account (host): they share its
/// limits with a new run.
public struct QueuedAhead: Sendable, Equatable {
    public var runs = 0
    public var contacts = 0
}

extension AppDatabase {
    static let previewChunk = 5_000

    /// The dry run of an export of this workspace, or nil when there is no such export.
    public func previewExport(tenantId: Int64, exportId: Int64) async throws -> ExportPreview? {
        let setup = try await reader.read { db -> (Export, [String])? in
            guard let export = try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.id == exportId).fetchOne(db) else {
                return nil
            }
            func path(_ id: Int64?) throws -> String {
                guard let id else { return "$.none" }
                return try Attribute.filter(Attribute.Columns.tenantId == tenantId && Attribute.Columns.id == id).fetchOne(db)?.path
                    ?? "$.none"
            }
            let paths = [
                try path(export.emailAttributeId), try path(export.firstNameAttributeId), try path(export.lastNameAttributeId),
                try path(export.phoneAttributeId),
            ]
            return (export, paths)
        }
        guard let (export, paths) = setup else { return nil }
        var preview = ExportPreview()
        var invalid: [String: Int] = [:]
        var validEmails = Set<String>()
        var after = Int64.min
        while true {
            let cursor = after
            let chunk = try await reader.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT p.rowId, p.profileId, json_extract(p.attributes, ?), json_extract(p.attributes, ?),
                               json_extract(p.attributes, ?), json_extract(p.attributes, ?)
                        FROM profile p
                        WHERE p.tenantId = ? AND p.rowId > ? AND EXISTS (
                            SELECT 1 FROM exportSegment es
                            JOIN segment s ON s.id = es.segmentId AND s.tenantId = ?
                            JOIN segmentMember sm ON sm.segmentId = s.id AND sm.generation = s.generation AND sm.profileRowId = p.rowId
                            WHERE es.exportId = ?)
                        ORDER BY p.rowId LIMIT ?
                        """,
                    arguments: [paths[0], paths[1], paths[2], paths[3], tenantId, cursor, tenantId, exportId, Self.previewChunk]
                )
                return rows.map { row in
                    (
                        seq: row[0] as Int64, profileId: row[1] as String, email: RunWork.text(row[2]), firstName: RunWork.text(row[3]),
                        lastName: RunWork.text(row[4]), phone: RunWork.text(row[5])
                    )
                }
            }
            guard let last = chunk.last else { break }
            after = last.seq
            preview.members += chunk.count
            var decided: [ExportPreview.Contact] = []
            var fingerprints: [String] = []
            for row in chunk {
                switch ContactEmail.normalise(row.email) {
                case .failure(let problem):
                    invalid[problem.reason, default: 0] += 1
                case .success(let email):
                    guard validEmails.insert(email).inserted else {
                        preview.duplicates += 1
                        continue
                    }
                    decided.append(
                        .init(
                            profileId: row.profileId,
                            email: email,
                            firstName: row.firstName,
                            lastName: row.lastName,
                            phone: row.phone,
                            action: .send
                        )
                    )
                    fingerprints.append(
                        ContactPayload.fingerprint(email: email, firstName: row.firstName, lastName: row.lastName, phone: row.phone)
                    )
                }
            }
            let ledger = try await ledgerEntries(exportId: exportId, emails: decided.map(\.email))
            for index in decided.indices {
                let entry = ledger[decided[index].email]
                if let entry, entry.fingerprint == fingerprints[index] {
                    decided[index].action = .unchanged
                    preview.unchanged += 1
                } else if let entry, entry.streak >= RunWork.rejectHoldAfter, entry.rejected == fingerprints[index] {
                    decided[index].action = .held
                    preview.held += 1
                } else {
                    preview.toSend += 1
                    if entry?.delivered != true { preview.new += 1 }
                }
            }
            preview.sample += decided.prefix(ExportPreview.sampleSize - preview.sample.count)
        }
        preview.valid = preview.toSend + preview.unchanged + preview.held
        preview.invalid = invalid.map { .init(reason: $0.key, count: $0.value) }.sorted {
            $0.count > $1.count || $0.count == $1.count && $0.reason < $1.reason
        }
        if export.mirror && export.baselineState == .read {
            // As the run plans removals: delivered and subscribed by this export, not on the list before it, gone
            // from its segments.
            let subscribed = try await reader.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT l.email FROM exportLedger l WHERE l.exportId = ? AND l.subscribedByExport = 1
                          AND NOT EXISTS (SELECT 1 FROM exportBaseline b WHERE b.exportId = l.exportId AND b.email = l.email)
                        """,
                    arguments: [exportId]
                )
            }
            preview.toUnsubscribe = subscribed.count(where: { !validEmails.contains($0) })
        }
        return preview
    }

    private func ledgerEntries(
        exportId: Int64,
        emails: [String]
    ) async throws
        -> [String: (fingerprint: String?, streak: Int, rejected: String?, delivered: Bool)]
    {
        guard !emails.isEmpty else { return [:] }
        let json = JSONList.of(emails)
        return try await reader.read { db in
            var known: [String: (String?, Int, String?, Bool)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT email, fingerprint, rejectStreak, rejectedFingerprint, deliveredAt IS NOT NULL FROM exportLedger
                    WHERE exportId = ? AND email IN (SELECT value FROM json_each(?))
                    """,
                arguments: [exportId, json]
            ) {
                known[row[0]] = (row[1], row[2], row[3], row[4])
            }
            return known
        }
    }

    /// Contacts still to go in the other queued or running runs of this workspace to the same ActiveCampaign
    /// account. A run not prepared yet counts its export's current members (an upper bound).
    public func queuedAhead(tenantId: Int64, apiHost: String, exceptExport: Int64) async throws -> QueuedAhead {
        try await reader.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.exportId, r.phase, r.toSend + r.toUnsubscribe - r.accepted - r.rejected - r.unsubscribed
                    FROM exportRun r
                    JOIN export e ON e.id = r.exportId AND e.tenantId = r.tenantId
                    JOIN connection c ON c.id = e.connectionId AND c.tenantId = e.tenantId
                    WHERE r.tenantId = ? AND r.state IN ('queued', 'running') AND c.apiHost = ? AND r.exportId != ?
                    """,
                arguments: [tenantId, apiHost, exceptExport]
            )
            var ahead = QueuedAhead()
            for row in rows {
                ahead.runs += 1
                if (row[1] as RunPhase) == .send {
                    ahead.contacts += max(0, row[2] as Int)
                } else {
                    ahead.contacts += try Self.memberCount(db, tenantId: tenantId, exportId: row[0])
                }
            }
            return ahead
        }
    }

    /// Distinct profiles in the union of the export's segments (current generations), the number the export limit
    /// is checked against: one query for the preview and the engine.
    static func memberCount(_ db: Database, tenantId: Int64, exportId: Int64) throws -> Int {
        // One segment's members are distinct already (its primary key): counted without the temporary b-tree that
        // DISTINCT builds, which spilled a million keys to a temporary file.
        let segments = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportSegment WHERE exportId = ?", arguments: [exportId]) ?? 0
        return try Int.fetchOne(
            db,
            sql: """
                SELECT \(segments == 1 ? "COUNT(*)" : "COUNT(DISTINCT sm.profileRowId)") FROM exportSegment es
                JOIN segment s ON s.id = es.segmentId AND s.tenantId = ?
                JOIN segmentMember sm ON sm.segmentId = s.id AND sm.generation = s.generation
                JOIN profile p ON p.rowId = sm.profileRowId AND p.tenantId = ?
                WHERE es.exportId = ?
                """,
            arguments: [tenantId, tenantId, exportId]
        ) ?? 0
    }
}

/// The mapped payload of a contact as the engine fingerprints it (email, first name, last name, phone, joined by
/// the unit separator): the preview must decide "unchanged" exactly as a run does.
public enum ContactPayload {
    public static func fingerprint(email: String, firstName: String?, lastName: String?, phone: String?) -> String {
        PayloadFingerprint.hex(fingerprintValue(email: email, firstName: firstName, lastName: lastName, phone: phone))
    }

    /// The same fingerprint as a number (the freeze compares numbers).
    public static func fingerprintValue(email: String, firstName: String?, lastName: String?, phone: String?) -> UInt64 {
        var hasher = PayloadFingerprint.FNV1a(separator: separator)
        hasher.add(field: email)
        hasher.add(field: firstName)
        hasher.add(field: lastName)
        hasher.add(field: phone)
        return hasher.value
    }

    /// The same fingerprint over a stored contact's bytes (the ledger merge takes one per delivered contact).
    static func fingerprintValue(of fields: StoredContacts.Fields) -> UInt64 {
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        var hasher = PayloadFingerprint.FNV1a(separator: separator)
        hasher.add(field: fields.email)
        hasher.add(field: fields.firstName ?? none)
        hasher.add(field: fields.lastName ?? none)
        hasher.add(field: fields.phone ?? none)
        return hasher.value
    }

    /// The unit separator, between the fields.
    private static let separator: UInt8 = 0x1F
}

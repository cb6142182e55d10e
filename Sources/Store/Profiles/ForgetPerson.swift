import Foundation
import GRDB
import OutboundCore

/// What forgetting a person removed, for the page, the command line and Activity (never the email itself).
public struct ForgetOutcome: Sendable, Equatable {
    public var profiles = 0
    /// Other people's profiles that named the email in another attribute (a referrer, say): the value is cleared,
    /// the profile stays.
    public var valuesCleared = 0
    public var deliveryRecords = 0
    public var runRows = 0
    public var importProblems = 0

    public var removedAnything: Bool { profiles + valuesCleared + deliveryRecords + runRows + importProblems > 0 }

    public var summary: String {
        "removed \(profiles) profile(s), \(valuesCleared) value(s) in other profiles, \(deliveryRecords) delivery record(s), "
            + "\(runRows) export row(s) and \(importProblems) import problem(s)"
    }
}

extension AppDatabase {
    /// The SQL function that reads a value as the engine reads an email: trimmed of all Unicode whitespace and
    /// case-folded (`ContactEmail.normalise` without the well-formedness check), so Forget finds what a run sends.
    static let emailIdentity = "email_identity"

    /// "Forget a person": removes every trace of an email from one workspace — the profiles whose email attribute
    /// holds it (with their segment memberships), the value where other profiles name it in another attribute,
    /// what each export recorded delivering to it, the mirror baseline, every run's row for it (invalid and
    /// rejected lists too) and import problems quoting it — and records that it happened in Activity without the
    /// email. Its contact in ActiveCampaign is outside Outbound.
    ///
    /// The profiles are searched on a reader, chunk by chunk, so the writer is held only for the short deletion
    /// (which checks each candidate again). Deleted pages are overwritten (`secure_delete`) and the WAL is
    /// checkpointed afterwards, so the email does not linger in free pages or the log.
    public func forgetPerson(tenantId: Int64, email rawEmail: String, actor: Actor) async throws -> ForgetOutcome {
        let email = rawEmail.trimmingWhitespace().lowercased()
        let candidates = try await profilesNaming(email, tenantId: tenantId)
        let outcome = try await writer.writeWithoutTransaction { db in
            try Self.withSecureDelete(db) {
                var outcome = ForgetOutcome()
                try db.inTransaction {
                    outcome = try Self.forget(db, tenantId: tenantId, email: email, candidates: candidates)
                    try ActivityEvent.record(
                        db,
                        at: clock.now,
                        tenantId: tenantId,
                        actor: actor,
                        action: "profiles.forgotten",
                        detail: "Forgot a person at their request: \(outcome.summary); the email is not recorded"
                    )
                    return .commit
                }
                return outcome
            }
        }
        _ = try? await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return outcome
    }

    /// Runs `body` with deleted content overwritten, then puts the connection's setting back as it was (Debian's
    /// SQLite has it on by default; turning it off afterwards would weaken every later deletion).
    static func withSecureDelete<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        let previous = try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? 0
        try db.execute(sql: "PRAGMA secure_delete = ON")
        defer { try? db.execute(sql: "PRAGMA secure_delete = \(previous == 0 ? 0 : 1)") }
        return try body()
    }

    /// The workspace's profiles with the email in any text attribute, read in row-id chunks on a reader.
    private func profilesNaming(_ email: String, tenantId: Int64) async throws -> [Int64] {
        var found: [Int64] = []
        var after: Int64 = 0
        while true {
            let from = after
            let (chunk, last) = try await reader.read { db -> ([Int64], Int64?) in
                let last = try Int64.fetchOne(
                    db,
                    sql: "SELECT MAX(rowId) FROM (SELECT rowId FROM profile WHERE tenantId = ? AND rowId > ? ORDER BY rowId LIMIT 20000)",
                    arguments: [tenantId, from]
                )
                guard let last else { return ([], nil) }
                let chunk = try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT rowId FROM profile
                        WHERE tenantId = ? AND rowId > ? AND rowId <= ? AND EXISTS (
                            SELECT 1 FROM json_each(profile.attributes)
                            WHERE json_each.type = 'text' AND \(Self.emailIdentity)(json_each.value) = ?)
                        """,
                    arguments: [tenantId, from, last, email]
                )
                return (chunk, last)
            }
            guard let last else { return found }
            found += chunk
            after = last
        }
    }

    private static func forget(_ db: Database, tenantId: Int64, email: String, candidates: [Int64]) throws -> ForgetOutcome {
        var outcome = ForgetOutcome()
        // The person's own profiles hold the email in an attribute exports send as the email (or one called
        // "email"); a profile naming it elsewhere (a referrer) belongs to someone else and keeps everything else.
        let emailKeys = Set(
            try String.fetchAll(
                db,
                sql: """
                    SELECT 'a' || emailAttributeId FROM export WHERE tenantId = ?1 AND emailAttributeId IS NOT NULL
                    UNION SELECT 'a' || id FROM attribute WHERE tenantId = ?1 AND lower(name) = 'email'
                    """,
                arguments: [tenantId]
            )
        )
        var own: [Int64] = []
        var others: [(rowId: Int64, keys: [String])] = []
        let ids = String(decoding: try JSONEncoder().encode(candidates), as: UTF8.self)
        // Checked again in this transaction: a candidate changed or deleted since the search is left as it is now.
        let matches = try Row.fetchAll(
            db,
            sql: """
                SELECT profile.rowId, json_each.key FROM profile, json_each(profile.attributes)
                WHERE profile.tenantId = ? AND profile.rowId IN (SELECT value FROM json_each(?))
                  AND json_each.type = 'text' AND \(emailIdentity)(json_each.value) = ?
                ORDER BY profile.rowId
                """,
            arguments: [tenantId, ids, email]
        )
        var keysByRow: [(Int64, [String])] = []
        for row in matches {
            let rowId: Int64 = row[0]
            let key: String = row[1]
            if keysByRow.last?.0 == rowId { keysByRow[keysByRow.count - 1].1.append(key) } else { keysByRow.append((rowId, [key])) }
        }
        for (rowId, keys) in keysByRow {
            // With no attribute known to hold emails, every profile holding it is taken as the person's: forgetting
            // too much beats leaving their name and phone behind.
            if emailKeys.isEmpty || keys.contains(where: emailKeys.contains) {
                own.append(rowId)
            } else {
                others.append((rowId, keys))
            }
        }
        for other in others {
            let paths = other.keys.map { "$.\($0)" }
            let placeholders = paths.map { _ in "?" }.joined(separator: ", ")
            try db.execute(
                sql: "UPDATE profile SET attributes = json_remove(attributes, \(placeholders)) WHERE tenantId = ? AND rowId = ?",
                arguments: StatementArguments(paths) + [tenantId, other.rowId]
            )
            outcome.valuesCleared += other.keys.count
        }
        let ownProfileIds = try String.fetchAll(
            db,
            sql: "SELECT profileId FROM profile WHERE tenantId = ? AND rowId IN (SELECT value FROM json_each(?))",
            arguments: [tenantId, String(decoding: try JSONEncoder().encode(own), as: UTF8.self)]
        )
        outcome.profiles = try deleteProfiles(db, tenantId: tenantId, rowIds: own)

        let exports = "SELECT id FROM export WHERE tenantId = ?"
        try db.execute(sql: "DELETE FROM exportLedger WHERE email = ? AND exportId IN (\(exports))", arguments: [email, tenantId])
        outcome.deliveryRecords += db.changesCount
        try db.execute(sql: "DELETE FROM exportBaseline WHERE email = ? AND exportId IN (\(exports))", arguments: [email, tenantId])
        outcome.deliveryRecords += db.changesCount
        try db.execute(
            sql: """
                DELETE FROM runContact
                WHERE runId IN (SELECT id FROM exportRun WHERE tenantId = ?)
                  AND (\(emailIdentity)(email) = ? OR profileId IN (SELECT value FROM json_each(?)))
                """,
            arguments: [tenantId, email, String(decoding: try JSONEncoder().encode(ownProfileIds), as: UTF8.self)]
        )
        outcome.runRows = db.changesCount

        // Import problems quote the line they are about; a problem naming this email (as a whole word) goes.
        for job in try Row.fetchAll(db, sql: "SELECT id, problems FROM importJob WHERE tenantId = ?", arguments: [tenantId]) {
            let id: Int64 = job["id"]
            let problems = (try? JSONDecoder().decode([ImportJob.Problem].self, from: Data((job["problems"] as String).utf8))) ?? []
            let kept = problems.filter { !Self.names($0.problem, email) }
            guard kept.count < problems.count else { continue }
            outcome.importProblems += problems.count - kept.count
            let json = String(decoding: try JSONEncoder().encode(kept), as: UTF8.self)
            try db.execute(sql: "UPDATE importJob SET problems = ? WHERE id = ?", arguments: [json, id])
        }
        return outcome
    }

    /// Whether `text` holds `email` as a whole token (so `a@b.co` is not found in `xa@b.com`).
    static func names(_ text: String, _ email: String) -> Bool {
        text.lowercased()
            .split(whereSeparator: { $0.isWhitespace || "\"'`,;:()<>[]{}".contains($0) })
            .contains { $0 == email }
    }
}

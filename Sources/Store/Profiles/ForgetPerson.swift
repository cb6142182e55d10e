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
    /// False when the database's write-ahead log could not be emptied (an export was reading an older snapshot
    /// the whole time): copies of the deleted pages stay in it until a later checkpoint.
    public var logCleared = true

    public var removedAnything: Bool { profiles + valuesCleared + deliveryRecords + runRows + importProblems > 0 }

    public var summary: String {
        "removed \(profiles) profile(s), \(valuesCleared) value(s) in other profiles, \(deliveryRecords) delivery record(s), "
            + "\(runRows) export row(s) and \(importProblems) import problem(s)"
    }

    /// Said to the person who asked when the log still holds copies (never recorded in Activity).
    public static let logNotCleared =
        "An export was reading the database the whole time, so copies of the deleted data stay in its write-ahead log until the next checkpoint; forget the person again later to clear them at once."
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
    /// checkpointed and emptied afterwards (`logCleared` says if it could not be), so the email does not linger in
    /// free pages or the log.
    public func forgetPerson(tenantId: Int64, email rawEmail: String, actor: Actor) async throws -> ForgetOutcome {
        let email = rawEmail.trimmingWhitespace().lowercased()
        let candidates = try await profilesNaming(email, tenantId: tenantId)
        let outcome = try await securelyDeleting { db in
            let outcome = try Self.forget(db, tenantId: tenantId, email: email, candidates: candidates)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "profiles.forgotten",
                detail: "Forgot a person at their request: \(outcome.summary); the email is not recorded"
            )
            return outcome
        }
        var done = outcome
        done.logCleared = await truncateLog()
        return done
    }

    /// Copies the write-ahead log into the database file and empties it, so what a secure deletion overwrote is
    /// not left behind in old log frames. A reader on an older snapshot (an export's freeze reads from one while
    /// it prepares, seconds to a minute) makes a checkpoint give up: each try is made without waiting (it would
    /// hold the writer, and with it the engine), then again a second later, for up to `attempts` seconds.
    /// Returns whether the log was emptied.
    func truncateLog(attempts: Int = 60) async -> Bool {
        for attempt in 0..<attempts {
            let busy = try? await writer.writeWithoutTransaction { db -> Int? in
                let timeout = try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? 5000
                try db.execute(sql: "PRAGMA busy_timeout = 0")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(timeout)") }
                return try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")  // 1 when it could not finish
            }
            if busy == 0 { return true }
            if attempt + 1 < attempts { try? await clock.sleep(for: 1) }
        }
        return false
    }

    /// One write transaction whose deleted content is overwritten (`secure_delete`, outside the transaction as
    /// SQLite requires), then the connection's setting put back as it was: Debian's SQLite has it on by default,
    /// and turning it off afterwards would weaken every later deletion.
    func securelyDeleting<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.writeWithoutTransaction { db in
            let previous = try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? 0
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = \(previous == 0 ? 0 : 1)") }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            return result!
        }
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
        // Checked again in this transaction: a candidate changed or deleted since the search is left as it is now.
        let matches = try Row.fetchAll(
            db,
            sql: """
                SELECT profile.rowId, profile.profileId, json_each.key FROM profile, json_each(profile.attributes)
                WHERE profile.tenantId = ? AND profile.rowId IN (SELECT value FROM json_each(?))
                  AND json_each.type = 'text' AND \(emailIdentity)(json_each.value) = ?
                ORDER BY profile.rowId
                """,
            arguments: [tenantId, JSONList.of(candidates), email]
        )
        // Each matching profile with the attribute keys that hold the email.
        var profiles: [(rowId: Int64, profileId: String, keys: [String])] = []
        for row in matches {
            let rowId: Int64 = row[0]
            if profiles.last?.rowId == rowId {
                profiles[profiles.count - 1].keys.append(row[2])
            } else {
                profiles.append((rowId, row[1], [row[2]]))
            }
        }
        // With no attribute known to hold emails, every profile holding it is taken as the person's: forgetting too
        // much beats leaving their name and phone behind.
        let isOwn = { (keys: [String]) in emailKeys.isEmpty || keys.contains(where: emailKeys.contains) }
        let own = profiles.filter { isOwn($0.keys) }
        for other in profiles where !isOwn(other.keys) {
            let paths = other.keys.map { "$.\($0)" }
            let placeholders = paths.map { _ in "?" }.joined(separator: ", ")
            try db.execute(
                sql: "UPDATE profile SET attributes = json_remove(attributes, \(placeholders)) WHERE tenantId = ? AND rowId = ?",
                arguments: StatementArguments(paths) + [tenantId, other.rowId]
            )
            outcome.valuesCleared += other.keys.count
        }
        let ownProfileIds = own.map(\.profileId)
        outcome.profiles = try deleteProfiles(db, tenantId: tenantId, rowIds: own.map(\.rowId))

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
            arguments: [tenantId, email, JSONList.of(ownProfileIds)]
        )
        outcome.runRows = db.changesCount
        outcome.runRows += try forgetInBatches(
            db,
            tenantId: tenantId,
            email: email,
            profileIds: Set(ownProfileIds),
            rowIds: Set(own.map(\.rowId))
        )

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

    /// Takes the person out of the stored contacts of unfinished runs' batches (a finished run keeps none).
    /// Returns how many contacts went. A contact is theirs by its email or by its profile: its sequence number is
    /// its profile's row id (batches stored by older versions also hold the profile id).
    private static func forgetInBatches(
        _ db: Database,
        tenantId: Int64,
        email: String,
        profileIds: Set<String>,
        rowIds: Set<Int64>
    ) throws -> Int {
        // Only batches whose bytes hold the email, a profile id (version 1) or a profile's row id as a version 2
        // contact begins with it are decoded: a needle may match a batch that does not hold the person, never miss
        // one that does.
        let needles =
            [Data(email.utf8)] + profileIds.sorted().map { Data($0.utf8) } + rowIds.sorted().map { Data(BatchPayload.seqBytes($0)) }
        let holds = needles.map { _ in "instr(c.payload, ?) > 0" }.joined(separator: " OR ")
        let batches = try Row.fetchAll(
            db,
            sql: """
                SELECT c.runId, c.seq, c.payload FROM runBatchContacts c JOIN exportRun r ON r.id = c.runId
                WHERE r.tenantId = ? AND (\(holds))
                """,
            arguments: StatementArguments([tenantId]) + StatementArguments(needles)
        )
        var forgotten = 0
        for batch in batches {
            let contacts = try BatchPayload.decode(batch[2])
            let kept = contacts.filter { $0.email != email && !rowIds.contains($0.seq) && !profileIds.contains($0.profileId ?? "") }
            guard kept.count < contacts.count else { continue }
            forgotten += contacts.count - kept.count
            try RunBatch.storeContacts(db, runId: batch[0], seq: batch[1], contacts: kept)
        }
        return forgotten
    }

    /// Whether `text` holds `email` as a whole token (so `a@b.co` is not found in `xa@b.com`).
    static func names(_ text: String, _ email: String) -> Bool {
        text.lowercased()
            .split(whereSeparator: { $0.isWhitespace || "\"'`,;:()<>[]{}".contains($0) })
            .contains { $0 == email }
    }
}

import Foundation
import GRDB
import OutboundCore

/// What forgetting a person removed, for the page, the command line and Activity (never the email itself).
public struct ForgetOutcome: Sendable, Equatable {
    public var profiles = 0
    public var deliveryRecords = 0
    public var runRows = 0
    public var importProblems = 0

    public var removedAnything: Bool { profiles + deliveryRecords + runRows + importProblems > 0 }

    public var summary: String {
        "removed \(profiles) profile(s), \(deliveryRecords) delivery record(s), \(runRows) export row(s) and "
            + "\(importProblems) import problem(s)"
    }
}

extension AppDatabase {
    /// "Forget a person": removes every trace of an email from one workspace — the profiles holding it in any
    /// attribute (with their segment memberships), what each export recorded delivering to it, the mirror baseline,
    /// every run's row for it (invalid and rejected lists too) and import problems quoting it — and records that
    /// it happened in Activity without the email. Its contact in ActiveCampaign is outside Outbound.
    ///
    /// Deleted pages are overwritten (`secure_delete`) and the WAL is checkpointed afterwards, so the email does
    /// not linger in the file's free pages or the log.
    public func forgetPerson(tenantId: Int64, email rawEmail: String, actor: Actor) async throws -> ForgetOutcome {
        let email = rawEmail.trimmingWhitespace().lowercased()
        let outcome = try await writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            var outcome = ForgetOutcome()
            try db.inTransaction {
                outcome = try Self.forget(db, tenantId: tenantId, email: email)
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
        _ = try? await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return outcome
    }

    private static func forget(_ db: Database, tenantId: Int64, email: String) throws -> ForgetOutcome {
        var outcome = ForgetOutcome()
        // Any attribute whose value is this email, as the engine reads emails (trimmed, case folded).
        let matches = try Row.fetchAll(
            db,
            sql: """
                SELECT rowId, profileId FROM profile
                WHERE tenantId = ? AND EXISTS (
                    SELECT 1 FROM json_each(profile.attributes)
                    WHERE json_each.type = 'text' AND \(unicodeLower)(trim(json_each.value, char(9, 10, 13, 32))) = ?)
                """,
            arguments: [tenantId, email]
        )
        let rowIds: [Int64] = matches.map { $0["rowId"] }
        let profileIds: [String] = matches.map { $0["profileId"] }
        outcome.profiles = try deleteProfiles(db, tenantId: tenantId, rowIds: rowIds)

        let exports = "SELECT id FROM export WHERE tenantId = ?"
        try db.execute(sql: "DELETE FROM exportLedger WHERE email = ? AND exportId IN (\(exports))", arguments: [email, tenantId])
        outcome.deliveryRecords += db.changesCount
        try db.execute(sql: "DELETE FROM exportBaseline WHERE email = ? AND exportId IN (\(exports))", arguments: [email, tenantId])
        outcome.deliveryRecords += db.changesCount
        try db.execute(
            sql: """
                DELETE FROM runContact
                WHERE runId IN (SELECT id FROM exportRun WHERE tenantId = ?)
                  AND (\(unicodeLower)(trim(email, char(9, 10, 13, 32))) = ? OR profileId IN (SELECT value FROM json_each(?)))
                """,
            arguments: [tenantId, email, String(decoding: try JSONEncoder().encode(profileIds), as: UTF8.self)]
        )
        outcome.runRows = db.changesCount

        // Import problems quote the line they are about; those naming this email go.
        let jobs = try Row.fetchAll(
            db,
            sql: "SELECT id, problems FROM importJob WHERE tenantId = ? AND instr(\(unicodeLower)(problems), ?) > 0",
            arguments: [tenantId, email]
        )
        for job in jobs {
            let id: Int64 = job["id"]
            let problems = (try? JSONDecoder().decode([ImportJob.Problem].self, from: Data((job["problems"] as String).utf8))) ?? []
            let kept = problems.filter { !$0.problem.lowercased().contains(email) }
            outcome.importProblems += problems.count - kept.count
            let json = String(decoding: try JSONEncoder().encode(kept), as: UTF8.self)
            try db.execute(sql: "UPDATE importJob SET problems = ? WHERE id = ?", arguments: [json, id])
        }
        return outcome
    }
}

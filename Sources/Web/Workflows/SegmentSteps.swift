import Hummingbird
import OutboundCore
import Store

/// The segment rules that are not the rule compiler's: a name people can tell apart, and a refresh that runs on
/// the import thread. Driven by the controller and by tests alike.
struct SegmentSteps: Sendable {
    let database: AppDatabase
    let pool: BlockingPool

    /// A name is valid and no other segment of the workspace has it.
    func nameProblem(_ name: String, tenantId: Int64, except id: Int64?) async throws -> String? {
        if let problem = Validate.name(name) { return problem }
        if try await database.segmentNameTaken(tenantId: tenantId, name: name, except: id) {
            return "Another segment is already called \(name)."
        }
        return nil
    }

    /// Refreshes on the import thread: a refresh over a million profiles takes seconds of SQLite work.
    func refresh(_ segment: Segment, tenantId: Int64, actor: Actor) async throws {
        let database = database
        let now = database.clock.now
        do {
            _ = try await pool.run { try database.refreshSegment(tenantId: tenantId, id: segment.id!, now: now) }
        } catch is BlockingPool.Busy {
            throw HTTPError(.serviceUnavailable, message: "Outbound is busy importing; refresh the segment again in a minute.")
        }
        try await database.recordActivity(
            tenantId: tenantId,
            actor: actor,
            action: "segment.refreshed",
            detail: "Refreshed segment \(segment.name)"
        )
    }
}

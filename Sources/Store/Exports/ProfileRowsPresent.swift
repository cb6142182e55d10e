import GRDB

/// Which of a freeze chunk's profiles still exist, read as the workspace's profile rows in the chunk's range from
/// the small `(tenantId, rowId)` index: the chunk's rows were read from the freeze's snapshot, and a profile
/// deleted since (Forget a person) must not be sent. Profile row ids are AUTOINCREMENT, never reused, so no row
/// can have entered the range since. Asked in ascending order (the chunk's order), each answer is one step of a
/// merge; a look-up of each row by id through `json_each` cost a fifth of the freeze's own writes.
struct ProfileRowsPresent {
    private let rows: [Int64]
    private var next = 0
    private var lastAsked = Int64.min

    init(_ db: Database, tenantId: Int64, rows range: ClosedRange<Int64>) throws {
        rows = try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT rowId FROM profile WHERE tenantId = ? AND rowId >= ? AND rowId <= ? ORDER BY rowId"),
            arguments: [tenantId, range.lowerBound, range.upperBound]
        )
    }

    /// Whether `row` is still there; rows must be asked in ascending order.
    mutating func contains(_ row: Int64) -> Bool {
        assert(row >= lastAsked, "profile rows asked out of order")
        lastAsked = row
        while next < rows.count && rows[next] < row { next += 1 }
        return next < rows.count && rows[next] == row
    }
}

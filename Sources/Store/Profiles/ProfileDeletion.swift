import GRDB

extension AppDatabase {
    /// Deletes profiles of one tenant together with their segment memberships, in the caller's transaction, and
    /// keeps each segment's member count honest at once. Returns how many profiles were deleted.
    ///
    /// Memberships are looked up by the member table's primary key (segment, generation, profile): the current
    /// generation and the next one (which a refresh running now may be filling).
    static func deleteProfiles(_ db: Database, tenantId: Int64, rowIds: [Int64]) throws -> Int {
        guard !rowIds.isEmpty else { return 0 }
        let list = JSONList.of(rowIds)
        let segments = try Row.fetchAll(db, sql: "SELECT id, generation FROM segment WHERE tenantId = ?", arguments: [tenantId])
        let deleteMembers = try db.cachedStatement(
            sql: """
                DELETE FROM segmentMember WHERE segmentId = ? AND generation = ? AND profileRowId IN (SELECT value FROM json_each(?))
                """
        )
        for segment in segments {
            let id: Int64 = segment["id"]
            let generation: Int64 = segment["generation"]
            try deleteMembers.execute(arguments: [id, generation, list])
            let left = db.changesCount
            try deleteMembers.execute(arguments: [id, generation + 1, list])
            if left > 0 {
                try db.execute(sql: "UPDATE segment SET memberCount = max(0, memberCount - ?) WHERE id = ?", arguments: [left, id])
            }
        }
        try db.execute(
            sql: "DELETE FROM profile WHERE tenantId = ? AND rowId IN (SELECT value FROM json_each(?))",
            arguments: [tenantId, list]
        )
        let deleted = db.changesCount
        try db.execute(
            sql: "UPDATE tenantProfileCount SET profiles = max(0, profiles - ?) WHERE tenantId = ?",
            arguments: [deleted, tenantId]
        )
        return deleted
    }
}

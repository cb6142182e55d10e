import GRDB

extension AppDatabase {
    /// Records on the job the upload it reads, until it ends.
    public func recordUploadFile(jobId: Int64, path: String?) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE importJob SET uploadFile = ? WHERE id = ?", arguments: [path, jobId])
        }
    }

    /// Upload files a job still needs: being read by a running job, or kept for a person to choose the id column.
    public func uploadFilesInUse() async throws -> Set<String> {
        try await reader.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT uploadFile FROM importJob WHERE status = 'running' AND uploadFile IS NOT NULL
                        UNION SELECT pendingFile FROM importJob WHERE pendingFile IS NOT NULL
                        """
                )
            )
        }
    }
}

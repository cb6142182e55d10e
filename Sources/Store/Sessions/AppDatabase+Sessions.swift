import Foundation
import GRDB

extension AppDatabase {
    public func createSession(_ session: UserSession) async throws -> UserSession {
        try await writer.write { db in
            var session = session
            try session.insert(db)
            return session
        }
    }

    public func session(tokenHash: String) async throws -> UserSession? {
        try await reader.read { db in try UserSession.filter(UserSession.Columns.tokenHash == tokenHash).fetchOne(db) }
    }

    public func sessions(ofUser userId: Int64) async throws -> [UserSession] {
        try await reader.read { db in
            try UserSession.filter(UserSession.Columns.userId == userId).order(UserSession.Columns.lastSeenAt.desc).fetchAll(db)
        }
    }

    public func touchSession(id: Int64, at date: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE session SET lastSeenAt = ? WHERE id = ?", arguments: [date, id])
        }
    }

    public func deleteSession(id: Int64) async throws {
        try await writer.write { db in _ = try UserSession.deleteOne(db, key: id) }
    }

    /// Ends every session of the user but `keeping` (nil ends all). Returns how many ended.
    @discardableResult
    public func deleteSessions(ofUser userId: Int64, keeping: Int64? = nil) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM session WHERE userId = ? AND id IS NOT ?", arguments: [userId, keeping])
            return db.changesCount
        }
    }

    public func deleteExpiredSessions(idleBefore: Date, now: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM session WHERE lastSeenAt < ? OR expiresAt < ?", arguments: [idleBefore, now])
        }
    }
}

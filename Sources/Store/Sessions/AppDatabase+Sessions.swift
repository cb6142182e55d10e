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

    /// What every signed-in request needs, read in one go: the session, its user, and the user's tenants with
    /// roles (the tenant check and the page's workspace switcher use them). Nil when no session has the hash.
    public func sessionSnapshot(tokenHash: String) async throws -> SessionSnapshot? {
        try await reader.read { db in
            // Every request asks: cached statements, so SQLite does not compile (and authorize) them each time.
            let sessionRequest = SQLRequest<UserSession>(
                sql: "SELECT * FROM session WHERE tokenHash = ?",
                arguments: [tokenHash],
                cached: true
            )
            guard let session = try sessionRequest.fetchOne(db) else { return nil }
            let user = try SQLRequest<User>(sql: "SELECT * FROM user WHERE id = ?", arguments: [session.userId], cached: true).fetchOne(db)
            let tenants = user == nil ? [] : try Self.tenants(db, ofUser: session.userId)
            return SessionSnapshot(session: session, user: user, tenants: tenants)
        }
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

/// One read of a session with its user and the user's tenants (`AppDatabase.sessionSnapshot(tokenHash:)`).
public struct SessionSnapshot: Sendable {
    public var session: UserSession
    /// Nil when the account was removed after the session began.
    public var user: User?
    public var tenants: [(tenant: Tenant, role: Role)]
}

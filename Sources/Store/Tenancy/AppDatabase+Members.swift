import Foundation
import GRDB

public struct Member: Sendable, Equatable {
    public var userId: Int64
    public var email: String
    public var role: Role
    public var since: Date
}

/// What adding a member did: a new account (with its one-time password hash already stored) or an existing one.
public enum AddedMember: Sendable, Equatable {
    case newAccount(User)
    case existingAccount(User)
}

extension AppDatabase {
    public func members(tenantId: Int64) async throws -> [Member] {
        try await reader.read { db in try Self.members(db, tenantId: tenantId) }
    }

    static func members(_ db: Database, tenantId: Int64) throws -> [Member] {
        try SQLRequest<Row>(
            sql: """
                SELECT user.id, user.email, membership.role, membership.createdAt FROM membership
                JOIN user ON user.id = membership.userId
                WHERE membership.tenantId = ? ORDER BY user.email COLLATE NOCASE
                """,
            arguments: [tenantId],
            cached: true
        ).fetchAll(db).map {
            Member(userId: $0[0], email: $0[1], role: $0[2], since: $0[3])
        }
    }

    /// Adds `email` to the tenant with `role` at once: the operator's path (`outbound user create`, the first
    /// start). A new account gets `newPasswordHash` as a one-time password; an existing account keeps its password
    /// and is only given the membership. Admin > Members invites instead (`inviteMember`).
    public func addMember(
        tenantId: Int64,
        email: String,
        role: Role,
        newPasswordHash hash: String,
        mustChangePassword: Bool = true,
        actor: Actor
    ) async throws -> AddedMember {
        try await writer.write { db in
            let added: AddedMember
            if let existing = try User.fetchOne(db, sql: "SELECT * FROM user WHERE email = ? COLLATE NOCASE", arguments: [email]) {
                if try Membership.fetchOne(db, key: ["tenantId": tenantId, "userId": existing.id!]) != nil {
                    throw StoreError.alreadyMember
                }
                added = .existingAccount(existing)
            } else {
                var user = User(email: email, passwordHash: hash, mustChangePassword: mustChangePassword, createdAt: clock.now)
                try user.insert(db)
                added = .newAccount(user)
            }
            let user =
                switch added {
                case .newAccount(let u), .existingAccount(let u): u
                }
            try Membership(tenantId: tenantId, userId: user.id!, role: role, createdAt: clock.now).insert(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "member.added",
                detail: "Added \(user.email) as \(role.label)"
            )
            return added
        }
    }

    public func changeRole(tenantId: Int64, userId: Int64, to role: Role, actor: Actor) async throws {
        try await writer.write { db in
            guard var membership = try Membership.fetchOne(db, key: ["tenantId": tenantId, "userId": userId]) else {
                throw StoreError.notFound
            }
            guard membership.role != role else { return }
            if membership.role == .admin, try Self.adminCount(db, tenantId: tenantId) <= 1 { throw StoreError.lastAdmin }
            let previous = membership.role
            membership.role = role
            try membership.update(db)
            let email = try User.email(db, id: userId)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "member.role_changed",
                detail: "Changed \(email) from \(previous.label) to \(role.label)"
            )
        }
    }

    /// Ends the user's access to this tenant only; their account and other memberships stay.
    public func removeMember(tenantId: Int64, userId: Int64, actor: Actor) async throws {
        try await writer.write { db in
            guard let membership = try Membership.fetchOne(db, key: ["tenantId": tenantId, "userId": userId]) else {
                throw StoreError.notFound
            }
            if membership.role == .admin, try Self.adminCount(db, tenantId: tenantId) <= 1 { throw StoreError.lastAdmin }
            try membership.delete(db)
            let email = try User.email(db, id: userId)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "member.removed",
                detail: "Removed \(email)"
            )
        }
    }

    /// An admin gives a member a new one-time password: the hash is stored, every session of theirs ends and the
    /// reset is recorded, in one transaction. Only for an account that belongs to this workspace alone (and not the
    /// admin's own, changed on their account page). Returns the member's email.
    public func resetMemberPassword(tenantId: Int64, userId: Int64, newPasswordHash: String, actor: Actor) async throws -> String {
        try await writer.write { db in
            guard try Membership.fetchOne(db, key: ["tenantId": tenantId, "userId": userId]) != nil, userId != actor.userId else {
                throw StoreError.notFound
            }
            let elsewhere =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM membership WHERE userId = ? AND tenantId != ?",
                    arguments: [userId, tenantId]
                ) ?? 0
            if elsewhere > 0 { throw StoreError.memberElsewhere }
            try db.execute(
                sql: "UPDATE user SET passwordHash = ?, mustChangePassword = 1 WHERE id = ?",
                arguments: [newPasswordHash, userId]
            )
            try db.execute(sql: "DELETE FROM session WHERE userId = ?", arguments: [userId])
            let email = try User.email(db, id: userId)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "member.password_reset",
                detail: "Reset the password of \(email) and ended their sessions"
            )
            return email
        }
    }

    static func adminCount(_ db: Database, tenantId: Int64) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM membership WHERE tenantId = ? AND role = 'admin'",
            arguments: [tenantId]
        ) ?? 0
    }
}

import Foundation
import GRDB

/// An account asked to join a workspace with a role. It joins only when its owner accepts.
public struct Invitation: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var tenantId: Int64
    public var userId: Int64
    /// As the administrator typed it.
    public var email: String
    public var role: Role
    public var invitedByEmail: String
    public var createdAt: Date

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let userId = Column(CodingKeys.userId)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// An invitation as its invitee sees it: which workspace, with which role, from whom.
public struct ReceivedInvitation: Sendable, Equatable {
    public var invitation: Invitation
    public var tenantName: String
}

extension AppDatabase {
    /// Invites `email` into the workspace with `role`, whether or not an account has it: a new account is created
    /// with `newPasswordHash` as its one-time password; an existing one keeps its password. Either way the result
    /// is the same pending invitation, so nothing here can tell the administrator which it was.
    public func inviteMember(tenantId: Int64, email: String, role: Role, newPasswordHash hash: String, actor: Actor) async throws {
        try await writer.write { db in
            var user = try User.fetchOne(db, sql: "SELECT * FROM user WHERE email = ? COLLATE NOCASE", arguments: [email])
            if let user, try Membership.fetchOne(db, key: ["tenantId": tenantId, "userId": user.id!]) != nil {
                throw StoreError.alreadyMember
            }
            if user == nil {
                var created = User(email: email, passwordHash: hash, mustChangePassword: true, createdAt: clock.now)
                try created.insert(db)
                user = created
            }
            let userId = user!.id!
            guard try Invitation.filter(Invitation.Columns.tenantId == tenantId && Invitation.Columns.userId == userId).fetchCount(db) == 0
            else { throw StoreError.alreadyInvited }
            var invitation = Invitation(
                tenantId: tenantId,
                userId: userId,
                email: email,
                role: role,
                invitedByEmail: actor.email,
                createdAt: clock.now
            )
            try invitation.insert(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "member.invited",
                detail: "Invited \(email) as \(role.label)"
            )
        }
    }

    /// The workspace's pending invitations, oldest first (Admin > Members).
    public func invitations(tenantId: Int64) async throws -> [Invitation] {
        try await reader.read { db in
            try Invitation.filter(Invitation.Columns.tenantId == tenantId).order(Invitation.Columns.createdAt, Invitation.Columns.id)
                .fetchAll(db)
        }
    }

    /// The invitations waiting for this account, with their workspaces' names.
    public func invitations(userId: Int64) async throws -> [ReceivedInvitation] {
        try await reader.read { db in
            try Invitation.filter(Invitation.Columns.userId == userId).order(Invitation.Columns.id).fetchAll(db).compactMap { invitation in
                try Tenant.fetchOne(db, key: invitation.tenantId).map { ReceivedInvitation(invitation: invitation, tenantName: $0.name) }
            }
        }
    }

    /// The invitee accepts: the membership is created with the invited role. Another account's invitation is
    /// `notFound`. Returns the workspace joined.
    public func acceptInvitation(id: Int64, userId: Int64, actor: Actor) async throws -> Tenant {
        try await writer.write { db in
            let invitation = try Self.received(db, id: id, userId: userId)
            try invitation.delete(db)
            if try Membership.fetchOne(db, key: ["tenantId": invitation.tenantId, "userId": userId]) == nil {
                try Membership(tenantId: invitation.tenantId, userId: userId, role: invitation.role, createdAt: clock.now).insert(db)
            }
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: invitation.tenantId,
                actor: actor,
                action: "member.joined",
                detail: "\(invitation.email) accepted the invitation and joined as \(invitation.role.label)"
            )
            guard let tenant = try Tenant.fetchOne(db, key: invitation.tenantId) else { throw StoreError.notFound }
            return tenant
        }
    }

    /// The invitee declines: the invitation goes; the administrators see it in Activity.
    public func declineInvitation(id: Int64, userId: Int64, actor: Actor) async throws {
        try await writer.write { db in
            let invitation = try Self.received(db, id: id, userId: userId)
            try invitation.delete(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: invitation.tenantId,
                actor: actor,
                action: "member.declined",
                detail: "\(invitation.email) declined the invitation"
            )
        }
    }

    /// An administrator takes an invitation back before it is answered.
    public func withdrawInvitation(tenantId: Int64, id: Int64, actor: Actor) async throws {
        try await writer.write { db in
            guard
                let invitation = try Invitation.filter(Invitation.Columns.tenantId == tenantId && Invitation.Columns.id == id).fetchOne(db)
            else { throw StoreError.notFound }
            try invitation.delete(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "member.invitation_withdrawn",
                detail: "Withdrew the invitation of \(invitation.email)"
            )
        }
    }

    /// The invitation `id` if it was sent to `userId`; any other is `notFound`, as if it did not exist.
    private static func received(_ db: Database, id: Int64, userId: Int64) throws -> Invitation {
        guard let invitation = try Invitation.filter(Invitation.Columns.id == id && Invitation.Columns.userId == userId).fetchOne(db) else {
            throw StoreError.notFound
        }
        return invitation
    }
}

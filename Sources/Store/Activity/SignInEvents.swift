import GRDB

extension AppDatabase {
    /// Records a failed sign-in (and a lock-out it caused) in the activity of every workspace the account belongs
    /// to, so its admins see it. The actor is the attempt, not the account: whoever typed it is unknown. Never
    /// given the password.
    public func recordSignInFailure(userId: Int64, email: String, clientAddress: String, lockedMinutes: Int?) async throws {
        try await writer.write { db in
            let tenantIds = try Int64.fetchAll(db, sql: "SELECT tenantId FROM membership WHERE userId = ?", arguments: [userId])
            let actor = Actor(userId: nil, email: "sign-in attempt", clientAddress: clientAddress)
            for tenantId in tenantIds {
                try ActivityEvent.record(
                    db,
                    at: clock.now,
                    tenantId: tenantId,
                    actor: actor,
                    action: "signin.failed",
                    detail: "Failed sign-in for \(email) from \(clientAddress)"
                )
                if let lockedMinutes {
                    try ActivityEvent.record(
                        db,
                        at: clock.now,
                        tenantId: tenantId,
                        actor: actor,
                        action: "signin.locked",
                        detail: "Sign-in for \(email) from \(clientAddress) locked for \(lockedMinutes) minutes after repeated failures"
                    )
                }
            }
        }
    }

    /// Records something that happened to an account (a sign-in, a password change) in every workspace it belongs
    /// to, so each workspace's admins see it. Never given the password.
    public func recordAccountEvent(userId: Int64, actor: Actor, action: String, detail: String) async throws {
        try await writer.write { db in
            let tenantIds = try Int64.fetchAll(db, sql: "SELECT tenantId FROM membership WHERE userId = ?", arguments: [userId])
            for tenantId in tenantIds {
                try ActivityEvent.record(db, at: clock.now, tenantId: tenantId, actor: actor, action: action, detail: detail)
            }
        }
    }
}

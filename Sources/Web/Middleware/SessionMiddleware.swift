import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// Server-side sessions. The cookie holds a 256-bit random token; the database holds only its SHA-256, so a
/// copied database signs no one in. A session ends after `idle` without a request or `absolute` after sign-in,
/// whichever comes first, checked here on every request. Last-seen is written at most once a minute, so a plain
/// GET almost never writes.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let cookieName = "outbound_session"
    static let touchInterval: TimeInterval = 60

    let database: AppDatabase
    let clock: AppClock
    let idle: TimeInterval
    /// `AppConfiguration.sessionCookieName`: prefixed with `__Host-` over https.
    var name = Self.cookieName

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let token = request.cookies[name]?.value, !token.isEmpty, token.count <= 128 {
            context.signedIn = try await resolve(token: token)
        }
        return try await next(request, context)
    }

    private func resolve(token: String) async throws -> SignedIn? {
        // One read for the session, its user and their tenants: the tenant check and the page chrome use them too.
        guard let snapshot = try await database.sessionSnapshot(tokenHash: Self.hash(token)) else { return nil }
        let session = snapshot.session
        let now = clock.now
        guard now < session.expiresAt, now.timeIntervalSince(session.lastSeenAt) < idle, let user = snapshot.user else {
            try await database.deleteSession(id: session.id!)
            return nil
        }
        if now.timeIntervalSince(session.lastSeenAt) >= Self.touchInterval {
            try await database.touchSession(id: session.id!, at: now)
        }
        return SignedIn(user: user, session: session, tenants: snapshot.tenants)
    }

    static func hash(_ token: String) -> String { Digest.sha256Hex(token) }
}

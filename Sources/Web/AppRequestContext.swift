import Foundation
import Hummingbird
import Store

/// A signed-in person: their account and the session they use now.
public struct SignedIn: Sendable {
    public var user: User
    public var session: UserSession
    /// The person's tenants with their role, read with the session at the start of this request.
    public var tenants: [(tenant: Tenant, role: Role)]
    public var userId: Int64 { user.id! }
}

/// The tenant a request is for and the signed-in person's role in it.
public struct TenantAccess: Sendable {
    public var tenant: Tenant
    public var role: Role
    public var tenantId: Int64 { tenant.id! }
}

public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket peer's IP address (nil in router tests).
    public let peerAddress: String?
    /// Set by `ClientAddressMiddleware`.
    public var clientAddress: String = "unknown"
    /// Set by `SessionMiddleware` when the cookie names a live session.
    public var signedIn: SignedIn?
    /// Set by `TenantMiddleware` for `/t/{tenant}/…` routes.
    public var access: TenantAccess?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Routes in this group may rely on a signed-in person (the middleware before it redirects everyone else).
public struct SignedInContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let signedIn: SignedIn
    public let clientAddress: String

    public init(context: AppRequestContext) throws {
        guard let signedIn = context.signedIn else { throw HTTPError(.unauthorized) }
        self.coreContext = context.coreContext
        self.signedIn = signedIn
        self.clientAddress = context.clientAddress
    }

    var actor: Actor { Actor(userId: signedIn.userId, email: signedIn.user.email, clientAddress: clientAddress) }
}

/// Routes under `/t/{tenant}`: a signed-in member of that tenant, with their role.
public struct TenantContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let signedIn: SignedIn
    public let access: TenantAccess
    public let clientAddress: String

    public init(context: AppRequestContext) throws {
        guard let signedIn = context.signedIn else { throw HTTPError(.unauthorized) }
        guard let access = context.access else { throw HTTPError(.notFound) }
        self.coreContext = context.coreContext
        self.signedIn = signedIn
        self.access = access
        self.clientAddress = context.clientAddress
    }

    var actor: Actor { Actor(userId: signedIn.userId, email: signedIn.user.email, clientAddress: clientAddress) }
    var tenantId: Int64 { access.tenantId }
    var policy: Policy { Policy(role: access.role) }
}

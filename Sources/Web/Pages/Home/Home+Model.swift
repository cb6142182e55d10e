import OutboundCore
import Store

/// The page model of Templates/home.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension HomeController {
    struct HomePage {
        struct Entry {
            var name: String
            var href: String
            var role: String
        }
        struct Invited {
            var id: Int64
            var tenantName: String
            var role: String
            var invitedBy: String
            var invitedAt: String
        }
        var chrome: Chrome
        var tenants: [Entry]
        var hasTenants: Bool
        var invitations: [Invited]
        var hasInvitations: Bool
        var answerAction = SiteRoute.invitations.path
        var notice: String?
    }
}

extension HomeController.HomePage {
    /// Built from store reads; the controller and the tests call it.
    static func build(_ tenants: [(tenant: Tenant, role: Role)], invitations: [ReceivedInvitation] = [], chrome: Chrome) -> Self {
        Self(
            chrome: chrome,
            tenants: tenants.map { .init(name: $0.tenant.name, href: TenantRoute.root.path($0.tenant.slug), role: $0.role.label) },
            hasTenants: !tenants.isEmpty,
            invitations: invitations.map {
                .init(
                    id: $0.invitation.id!,
                    tenantName: $0.tenantName,
                    role: $0.invitation.role.label,
                    invitedBy: $0.invitation.invitedByEmail,
                    invitedAt: Format.dateTime($0.invitation.createdAt)
                )
            },
            hasInvitations: !invitations.isEmpty
        )
    }
}

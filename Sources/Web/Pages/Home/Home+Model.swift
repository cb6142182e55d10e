import OutboundCore
import Store

/// The page model of Templates/home.mustache: plain stored values, read by Mustache through Mirror.
extension HomeController {
    struct HomePage {
        struct Entry {
            var name: String
            var href: String
            var role: String
        }
        var chrome: Chrome
        var tenants: [Entry]
        var hasTenants: Bool
    }
}

extension HomeController.HomePage {
    /// Built from store reads; the controller and the tests call it.
    static func build(_ tenants: [(tenant: Tenant, role: Role)], chrome: Chrome) -> Self {
        Self(
            chrome: chrome,
            tenants: tenants.map { .init(name: $0.tenant.name, href: TenantRoute.root.path($0.tenant.slug), role: $0.role.label) },
            hasTenants: !tenants.isEmpty
        )
    }
}

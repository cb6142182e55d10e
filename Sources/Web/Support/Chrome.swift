import Store

/// What the layout needs on every page: the title, the signed-in person, the tenant switcher and the navigation
/// that the person's role may use.
struct Chrome {
    struct Link { var label: String; var href: String; var current: Bool }

    var title: String
    var userEmail: String?
    var csrf: String?
    var tenantName: String?
    var tenantSlug: String?
    var roleLabel: String?
    var tenants: [Link] = []
    var adminNav: [Link] = []
    var dataNav: [Link] = []
    // Mustache reads stored properties only (through Mirror), so these flags are stored, not computed.
    var showSwitcher = false
    var isAdmin = false

    static func signedOut(title: String) -> Chrome {
        Chrome(title: title)
    }

    static func account(title: String, signedIn: SignedIn, tenants: [(tenant: Tenant, role: Role)]) -> Chrome {
        Chrome(title: title, userEmail: signedIn.user.email, csrf: signedIn.session.csrfToken,
               tenants: tenants.map { Link(label: $0.tenant.name, href: SitePath.tenant($0.tenant.slug), current: false) },
               showSwitcher: tenants.count > 1)
    }

    static func tenant(title: String, current: String, context: TenantContext,
                       tenants: [(tenant: Tenant, role: Role)]) -> Chrome {
        let slug = context.access.tenant.slug
        let role = context.access.role
        func link(_ label: String, _ href: String) -> Link { Link(label: label, href: href, current: label == current) }
        let admin = role == .admin ? [
            link("Connections", SitePath.connections(slug)),
            link("Members", SitePath.members(slug)),
            link("System", SitePath.system(slug)),
            link("Activity", SitePath.activity(slug)),
        ] : []
        return Chrome(
            title: title, userEmail: context.signedIn.user.email, csrf: context.signedIn.session.csrfToken,
            tenantName: context.access.tenant.name, tenantSlug: slug, roleLabel: role.label,
            tenants: tenants.map { Link(label: $0.tenant.name, href: SitePath.tenant($0.tenant.slug),
                                        current: $0.tenant.slug == slug) },
            adminNav: admin,
            dataNav: [
                link("Profiles", SitePath.profiles(slug)),
                link("Segments", SitePath.segments(slug)),
                link("Exports", SitePath.exports(slug)),
            ],
            showSwitcher: tenants.count > 1, isAdmin: role == .admin)
    }
}

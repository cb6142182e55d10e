import Store

/// What the layout needs on every page: the title, the signed-in person, the tenant switcher and the navigation
/// that the person's role may use.
struct Chrome {
    struct Link {
        var label: String
        var href: String
        var current: Bool
    }

    var title: String
    var userEmail: String?
    var csrf: String?
    var tenantName: String?
    var tenantSlug: String?
    var roleLabel: String?
    var tenants: HTMLRows<Link> = []
    var adminNav: HTMLRows<Link> = []
    var dataNav: HTMLRows<Link> = []
    // Mustache reads stored properties only (scripts/generate-page-fields), so these flags are stored, not computed.
    var showSwitcher = false
    var isAdmin = false
    // Links every page may show (the layout, the error page, the account forms).
    var homeHref = SiteRoute.home.path
    var accountHref = SiteRoute.account.path
    var loginAction = SiteRoute.login.path
    var logoutAction = SiteRoute.logout.path
    var passwordAction = SiteRoute.accountPassword.path
    var endOtherSessionsAction = SiteRoute.accountEndOtherSessions.path

    static func signedOut(title: String) -> Chrome {
        Chrome(title: title)
    }

    static func account(title: String, signedIn: SignedIn, tenants: [(tenant: Tenant, role: Role)]) -> Chrome {
        Chrome(
            title: title,
            userEmail: signedIn.user.email,
            csrf: signedIn.session.csrfToken,
            tenants: HTMLRows(tenants.map { Link(label: $0.tenant.name, href: TenantRoute.root.path($0.tenant.slug), current: false) }),
            showSwitcher: tenants.count > 1
        )
    }

    static func tenant(
        title: String,
        current: String,
        context: TenantContext,
        tenants: [(tenant: Tenant, role: Role)]
    ) -> Chrome {
        let slug = context.access.tenant.slug
        let role = context.access.role
        let isAdmin = context.policy.can(.administer)
        func link(_ label: String, _ href: String) -> Link { Link(label: label, href: href, current: label == current) }
        let admin =
            isAdmin
            ? [
                link("Connections", TenantRoute.connections.path(slug)),
                link("Members", TenantRoute.members.path(slug)),
                link("System", TenantRoute.system.path(slug)),
                link("Activity", TenantRoute.activity.path(slug)),
            ] : []
        return Chrome(
            title: title,
            userEmail: context.signedIn.user.email,
            csrf: context.signedIn.session.csrfToken,
            tenantName: context.access.tenant.name,
            tenantSlug: slug,
            roleLabel: role.label,
            tenants: HTMLRows(
                tenants.map {
                    Link(
                        label: $0.tenant.name,
                        href: TenantRoute.root.path($0.tenant.slug),
                        current: $0.tenant.slug == slug
                    )
                }
            ),
            adminNav: HTMLRows(admin),
            dataNav: [
                link("Profiles", TenantRoute.profiles.path(slug)),
                link("Segments", TenantRoute.segments.path(slug)),
                link("Exports", TenantRoute.exports.path(slug)),
            ],
            showSwitcher: tenants.count > 1,
            isAdmin: isAdmin
        )
    }
}

import OutboundCore
import Store

/// The page model of Templates/home.mustache: plain stored values, read by Mustache through Mirror.
extension HomeController {
    struct HomePage {
        struct Entry { var name: String; var href: String; var role: String }
        var chrome: Chrome
        var tenants: [Entry]
        var hasTenants: Bool
    }
}

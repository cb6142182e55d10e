import OutboundCore
import Store

/// The page model of Templates/connections/list.mustache: plain stored values, read by Mustache through Mirror.
extension ConnectionsController {
    struct ListPage {
        struct Row {
            var name: String; var href: String; var type: String; var usableBy: String; var exportUser: String
            var connected: Bool; var attention: String?; var created: String; var lastVerified: String
        }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var newHref: String
        var notice: String?
    }
}

import OutboundCore
import Store

/// The page model of Templates/segments/list.mustache: plain stored values, read by Mustache through Mirror.
extension SegmentsController {
    struct ListPage {
        struct Row { var name: String; var href: String; var members: String; var refreshed: String; var exports: String }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var canEdit: Bool
        var newHref: String
        var notice: String?
    }
}

import OutboundCore
import Store

/// The page model of Templates/activity.mustache: plain stored values, read by Mustache through Mirror.
extension ActivityController {
    struct ActivityPage {
        struct Row { var when: String; var who: String; var action: String; var detail: String; var address: String }
        var chrome: Chrome
        var events: [Row]
        var hasEvents: Bool
        var page: Int
        var newerHref: String?
        var olderHref: String?
    }
}

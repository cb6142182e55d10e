import OutboundCore
import Store

/// The page model of Templates/profiles/delete.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ProfilesController {
    struct DeletePage {
        var chrome: Chrome
        var count: String
        var action: String
        var cancelHref: String
    }
}

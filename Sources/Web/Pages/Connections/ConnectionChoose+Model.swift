import OutboundCore
import Store

/// The page model of Templates/connections/choose.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ConnectionsController {
    struct ChoosePage {
        var chrome: Chrome
        var activeCampaignHref: String
    }
}

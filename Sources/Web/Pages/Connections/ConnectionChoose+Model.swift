import OutboundCore
import Store

/// The page model of Templates/connections/choose.mustache: plain stored values, read by Mustache through Mirror.
extension ConnectionsController {
    struct ChoosePage {
        var chrome: Chrome
        var activeCampaignHref: String
    }
}

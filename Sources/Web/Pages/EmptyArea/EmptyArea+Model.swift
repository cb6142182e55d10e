import OutboundCore
import Store

/// The page model of Templates/empty-area.mustache: plain stored values, read by Mustache through Mirror.
extension EmptyAreaController {
    struct EmptyAreaPage {
        var chrome: Chrome
        var title: String
        var purpose: String
    }
}

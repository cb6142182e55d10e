import OutboundCore
import Store

/// The page model of Templates/empty-area.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension EmptyAreaController {
    struct EmptyAreaPage {
        var chrome: Chrome
        var title: String
        var purpose: String
    }
}

import OutboundCore
import Store

/// The page model of Templates/connections/remove.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ConnectionsController {
    struct RemovePage {
        struct ExportRow { var name: String }
        var chrome: Chrome
        var name: String
        var action: String
        var cancelHref: String
        var exports: [ExportRow]
        var hasExports: Bool
    }
}

/// The page model of Templates/segments/delete.mustache: what deleting the segment does, or which exports keep it.
extension SegmentsController {
    struct DeletePage {
        struct ExportLink {
            var name: String
            var href: String
        }
        var chrome: Chrome
        var name: String
        var members: String
        var exports: [ExportLink]
        var inUse: Bool
        var action: String
        var cancelHref: String
    }
}

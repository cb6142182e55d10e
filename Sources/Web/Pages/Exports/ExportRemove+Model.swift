/// The page model of Templates/exports/remove.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ExportsController {
    struct RemovePage {
        var chrome: Chrome
        var name: String
        var action: String
        var cancelHref: String
        var runningNote: String?
    }
}

import OutboundCore
import Store

/// The page model of Templates/profiles/index.mustache: plain stored values, read by Mustache through Mirror.
extension ProfilesController {
    struct ProfilesPage {
        struct Cell { var value: String }
        struct Row { var profileId: String; var cells: [Cell] }
        struct Heading { var name: String; var type: String }
        struct ImportRow { var href: String; var fileName: String; var status: String; var started: String; var counts: String }
        var chrome: Chrome
        var count: String
        var canEdit: Bool
        var importAction: String
        var maxUploadText: String
        var headings: [Heading]
        var rows: [Row]
        var hasRows: Bool
        var search: String
        var nextHref: String?
        var firstHref: String?
        var imports: [ImportRow]
        var hasImports: Bool
        var deleteHref: String
        var notice: String?
    }
}

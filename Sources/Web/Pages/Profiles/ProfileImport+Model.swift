import OutboundCore
import Store

/// The page model of Templates/profiles/import.mustache: plain stored values, read by Mustache through Mirror.
extension ProfilesController {
    struct ImportPage {
        struct ProblemRow { var line: Int; var problem: String }
        var chrome: Chrome
        var running: Bool
        var fileName: String
        var status: String
        var failed: Bool
        var rowsRead: String
        var rowsImported: String
        var rowsRejected: String
        var rowsRemoved: String?
        var message: String?
        var problems: [ProblemRow]
        var hasProblems: Bool
        var moreProblems: String?
        var backHref: String
        var chooseColumns: [String]
        var waitsForIdColumn: Bool
        var retryAction: String
        var csrf: String
    }
}

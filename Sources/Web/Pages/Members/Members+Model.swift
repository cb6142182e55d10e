import OutboundCore
import Store

/// The page model of Templates/members.mustache: plain stored values, read by Mustache through Mirror.
extension MembersController {
    struct MembersPage {
        struct Row {
            var userId: Int64; var email: String; var roleLabel: String; var since: String; var isYou: Bool
            var roleAction: String; var removeAction: String
            var roles: [RoleOption]
        }
        struct RoleOption { var value: String; var label: String; var selected: Bool }
        var chrome: Chrome
        var addAction: String
        var members: [Row]
        var roles: [RoleOption]
        var notice: String?
        var error: String?
        var emailError: String?
        var email: String
        var oneTimePassword: String?
        var newAccountEmail: String?
    }
}

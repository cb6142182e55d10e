import OutboundCore
import Store

/// The page model of Templates/account.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension AccountController {
    struct AccountPage {
        struct SessionRow {
            var started: String
            var lastSeen: String
            var address: String
            var userAgent: String
            var current: Bool
        }
        var chrome: Chrome
        var email: String
        var mustChangePassword: Bool
        var notice: String?
        var currentError: String?
        var newError: String?
        var confirmError: String?
        var sessions: [SessionRow]
        var hasOtherSessions: Bool
        var minPasswordLength = Validate.minPasswordLength
    }
}

import OutboundCore
import Store

/// The page model of Templates/login.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension AuthController {
    struct LoginPage {
        var chrome = Chrome.signedOut(title: "Sign in")
        var loginToken: String
        var email: String
        var error: String?
    }
}

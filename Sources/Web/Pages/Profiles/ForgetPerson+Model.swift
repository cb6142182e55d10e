import Store

/// The page model of Templates/profiles/forget.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ForgetPersonController {
    struct ForgetPage {
        var chrome: Chrome
        var action: String
        var cancelHref: String
        var email: String
        var emailError: String?
        /// After a forget: what was removed (never the email, which the page does not repeat either).
        var outcome: String?
    }
}

import OutboundCore
import Store

/// The page model of Templates/connections/form.mustache: plain stored values, read by Mustache through Mirror.
extension ConnectionsController {
    struct FormPage {
        var chrome: Chrome
        var isNew: Bool
        var action: String
        var removeHref: String?
        var draftId: String
        var name: String
        var usableByAdmins: Bool
        var usableByContributors: Bool
        var apiHost: String
        var hostNote: String?
        var keyStatus: String?
        var connectedAs: String?
        var exportUser: String?
        var exportUserLost: Bool
        var consentGiven: Bool
        var consentRecord: String?
        var notice: String?
        var nameError: String?
        var keyError: String?
        var hostError: String?
        var consentError: String?
        var exportUserError: String?
        var formError: String?
        var consentText: String = ConsentText.full
    }
}

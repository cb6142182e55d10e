import OutboundCore
import Store

/// The page model of Templates/connections/form.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
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

extension ConnectionsController.FormPage {
    /// The add form: what was typed, and the draft's state after Connect and "Add yourself as export user".
    static func buildNew(
        entered: ConnectionsController.Entered,
        draft: ConnectionDraft?,
        exportUserEmail: String?,
        hostNote: String?,
        problems: ConnectionProblems,
        notice: String?,
        slug: String,
        chrome: Chrome
    ) -> Self {
        Self(
            chrome: chrome,
            isNew: true,
            action: TenantRoute.newConnection.path(slug),
            removeHref: nil,
            draftId: draft?.id.map(String.init) ?? "",
            name: entered.name,
            usableByAdmins: entered.usableBy == .admins,
            usableByContributors: entered.usableBy == .contributors,
            apiHost: entered.apiHost,
            hostNote: hostNote,
            keyStatus: draft?.isConnected == true ? "Key ending \(draft?.apiKeyLastFour ?? "") checked for \(draft?.apiHost ?? "")." : nil,
            connectedAs: draft?.isConnected == true ? draft?.accountName : nil,
            exportUser: exportUserEmail,
            exportUserLost: false,
            consentGiven: entered.consent,
            consentRecord: nil,
            notice: notice,
            nameError: problems.name,
            keyError: problems.key,
            hostError: problems.host,
            consentError: problems.consent,
            exportUserError: problems.exportUser,
            formError: problems.form
        )
    }

    /// The edit form of a saved connection: its stored key (last four only), export user, consent record, and a
    /// new key checked by Connect but not saved yet.
    static func buildEdit(
        summary: ConnectionSummary,
        entered: ConnectionsController.Entered,
        draft: ConnectionDraft?,
        hostNote: String?,
        problems: ConnectionProblems,
        notice: String?,
        slug: String,
        chrome: Chrome
    ) -> Self {
        let connection = summary.connection
        let stored = connection.apiKeyLastFour.map {
            "Stored key ends in \($0)" + (connection.verifiedAt.map { ", last verified \(Format.dateTime($0))." } ?? ".")
        }
        let keyStatus =
            draft?.isConnected == true
            ? "New key ending \(draft?.apiKeyLastFour ?? "") checked for \(draft?.apiHost ?? ""); Save to use it."
            : stored ?? "No key is stored: enter it and press Connect."
        return Self(
            chrome: chrome,
            isNew: false,
            action: TenantRoute.connection.path(slug, connection.id!),
            removeHref: TenantRoute.removeConnection.path(slug, connection.id!),
            draftId: draft?.id.map(String.init) ?? "",
            name: entered.name,
            usableByAdmins: entered.usableBy == .admins,
            usableByContributors: entered.usableBy == .contributors,
            apiHost: entered.apiHost,
            hostNote: hostNote,
            keyStatus: keyStatus,
            connectedAs: draft?.isConnected == true ? draft?.accountName : connection.accountName,
            exportUser: summary.exportUserEmail,
            exportUserLost: connection.exportUserId == nil || !summary.exportUserIsAdmin,
            consentGiven: true,
            consentRecord: connection.consentAt.map {
                "Agreed by \(summary.consentUserEmail ?? "a former member") on \(Format.dateTime($0))."
            },
            notice: notice ?? summary.attention.map { "Needs attention: \($0)" },
            nameError: problems.name,
            keyError: problems.key,
            hostError: problems.host,
            consentError: problems.consent,
            exportUserError: problems.exportUser,
            formError: problems.form
        )
    }
}

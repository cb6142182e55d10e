import ActiveCampaign
import Store

/// The page model of Templates/exports/preview.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ExportEditorController {
    struct PreviewPage {
        struct ContactRow {
            var email: String
            var firstName: String
            var lastName: String
            var phone: String
            var action: String
        }
        struct ReasonRow {
            var reason: String
            var count: String
        }
        var chrome: Chrome
        var name: String
        var backHref: String
        var canRun: Bool
        var runAction: String
        var members: String
        var duplicates: String
        var valid: String
        var invalid: String
        var reasons: [ReasonRow]
        var hasReasons: Bool
        var toSend: String
        var new: String
        var unchanged: String
        var held: String
        var toUnsubscribe: String
        var contacts: [ContactRow]
        var hasContacts: Bool
        var sampleNote: String
        var duration: String?
        var queueNote: String?
        var accountLimit: String?
        var accountNote: String?
    }
}

extension ExportEditorController.PreviewPage {
    static func build(
        _ preview: ExportPreview,
        loaded: ExportSteps.Loaded,
        ahead: QueuedAhead?,
        account: Result<ACAccountSettings, AccountFailure>?,
        estimate: SendEstimate,
        slug: String,
        chrome: Chrome
    ) -> Self {
        let own = preview.toSend + preview.toUnsubscribe
        var duration: String?
        var queueNote: String?
        if let ahead {
            duration =
                own == 0
                ? "Nothing to send: the run would only check the list."
                : "Sending \(own.formatted()) contacts takes about \(Format.duration(estimate.seconds(contacts: own))) at ActiveCampaign's limits."
            if ahead.runs > 0 {
                queueNote = """
                    \(ahead.runs) other run\(ahead.runs == 1 ? "" : "s") to the same ActiveCampaign account still \(ahead.runs == 1 ? "has" : "have") \
                    up to \(ahead.contacts.formatted()) contacts to send. Sharing the account's limits, this export's contacts are all \
                    sent in about \(Format.duration(estimate.seconds(contacts: own + ahead.contacts))).
                    """
            }
        }
        var accountLimit: String?
        var accountNote: String?
        switch account {
        case .success(let settings)?:
            if let limit = settings.subscriberLimit, let total = settings.subscriberTotal {
                let after = total + preview.new
                accountLimit = """
                    The account holds \(total.formatted()) of its \(limit.formatted()) contacts; this export would add up to \
                    \(preview.new.formatted()) (\(after.formatted()) in all\(after > limit ? ", over the limit by \((after - limit).formatted())" : "")).
                    """
            } else {
                accountNote = "ActiveCampaign did not say the account's contact limit."
            }
        case .failure(let failure)?:
            if case .noPermission = failure.error {
                accountNote =
                    "The account's contact limit is shown only when the connection's key belongs to an ActiveCampaign administrator."
            } else {
                accountNote = "The account's contact limit could not be read: \(failure.message)"
            }
        case nil:
            accountNote = "The export has no connection, so nothing about the account can be shown."
        }
        let label: [ExportPreview.Action: String] = [
            .send: "Would send", .unchanged: "Unchanged", .held: "Held (rejected 3 runs in a row)",
        ]
        return Self(
            chrome: chrome,
            name: loaded.export.name,
            backHref: TenantRoute.export.path(slug, loaded.id),
            canRun: loaded.permissions.canRun,
            runAction: TenantRoute.runExport.path(slug, loaded.id),
            members: preview.members.formatted(),
            duplicates: preview.duplicates.formatted(),
            valid: preview.valid.formatted(),
            invalid: preview.invalidTotal.formatted(),
            reasons: preview.invalid.map { ReasonRow(reason: $0.reason, count: $0.count.formatted()) },
            hasReasons: !preview.invalid.isEmpty,
            toSend: preview.toSend.formatted(),
            new: preview.new.formatted(),
            unchanged: preview.unchanged.formatted(),
            held: preview.held.formatted(),
            toUnsubscribe: preview.toUnsubscribe.formatted(),
            contacts: preview.sample.map {
                ContactRow(
                    email: $0.email,
                    firstName: $0.firstName ?? "",
                    lastName: $0.lastName ?? "",
                    phone: $0.phone ?? "",
                    action: label[$0.action] ?? ""
                )
            },
            hasContacts: !preview.sample.isEmpty,
            sampleNote: "The first \(preview.sample.count) valid contacts in profile order, as ActiveCampaign would receive them.",
            duration: duration,
            queueNote: queueNote,
            accountLimit: accountLimit,
            accountNote: accountNote
        )
    }
}

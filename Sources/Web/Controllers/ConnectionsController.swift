import ActiveCampaign
import Foundation
import Hummingbird
import Secrets
import Store

/// Admin > Connections: ActiveCampaign connections, from Connect to removal. Admins only (the admin group's
/// middleware answers 403 to everyone else); every store call is scoped to the tenant, so another tenant's
/// connection id is a 404.
struct ConnectionsController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get("connections", use: list)
        group.get("connections/new", use: newPage)
        group.post("connections/new", use: newStep)
        group.get("connections/:id", use: editPage)
        group.post("connections/:id", use: editStep)
        group.get("connections/:id/remove", use: removePage)
        group.post("connections/:id/remove", use: remove)
    }

    // MARK: List

    struct ListPage {
        struct Row {
            var name: String; var href: String; var type: String; var usableBy: String; var exportUser: String
            var connected: Bool; var attention: String?; var created: String; var lastVerified: String
        }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var newHref: String
        var notice: String?
    }

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        let summaries = try await services.database.connectionSummaries(tenantId: context.tenantId)
        let notice: String? = switch request.formQuery.get("done") {
        case "created": "The connection was saved."
        case "removed": "The connection and its stored API key were removed."
        default: nil
        }
        return try services.views.page("connections/list", ListPage(
            chrome: try await services.chrome("Connections", section: "Connections", context),
            rows: summaries.map { summary in
                let connection = summary.connection
                return .init(name: connection.name, href: SitePath.connection(slug, connection.id!), type: "ActiveCampaign",
                             usableBy: connection.usableBy.label,
                             exportUser: summary.exportUserEmail.map { summary.exportUserIsAdmin ? $0 : "\($0) (no longer an admin)" } ?? "None",
                             connected: summary.attention == nil, attention: summary.attention,
                             created: Format.dateTime(connection.createdAt),
                             lastVerified: connection.verifiedAt.map(Format.dateTime) ?? "Never")
            },
            hasRows: !summaries.isEmpty, newHref: SitePath.newConnection(slug), notice: notice))
    }

    // MARK: The form (add and edit share it)

    struct Form: Decodable {
        var step: String?
        var draft: String?
        var name: String?
        var usableBy: String?
        var apiKey: String?
        var apiHost: String?
        var consent: String?
    }

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

    /// What the person typed, kept across steps (never the key).
    struct Entered {
        var name = ""
        var usableBy = ConnectionUsers.admins
        var apiHost = ""
        var consent = false

        init() {}

        init(_ form: Form) {
            name = (form.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            usableBy = form.usableBy.flatMap(ConnectionUsers.init(rawValue:)) ?? .admins
            apiHost = (form.apiHost ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            consent = form.consent == "agreed"
        }
    }

    struct Problems {
        var name: String?, key: String?, host: String?, consent: String?, exportUser: String?, form: String?
        var isEmpty: Bool { [name, key, host, consent, exportUser, form].allSatisfy { $0 == nil } }
    }

    @Sendable func newPage(request: Request, context: TenantContext) async throws -> Response {
        guard request.formQuery.get("type") == "activecampaign" else {
            return try services.views.page("connections/choose", ChoosePage(
                chrome: try await services.chrome("Add connection", section: "Connections", context),
                activeCampaignHref: SitePath.newConnection(context.access.tenant.slug) + "?type=activecampaign"))
        }
        return try await renderNew(context, entered: Entered(), draft: nil, problems: Problems(), notice: nil)
    }

    struct ChoosePage { var chrome: Chrome; var activeCampaignHref: String }

    @Sendable func newStep(request: Request, context: TenantContext) async throws -> Response {
        let form = try await Web.Form.decode(Form.self, from: request, limit: services.configuration.maxFormBytes)
        let entered = Entered(form)
        let now = services.clock.now
        var draft = try await loadDraft(form, context: context, connectionId: nil)
        var problems = Problems()
        var notice: String?
        switch form.step {
        case "connect":
            switch await connect(entered: entered, typedKey: form.apiKey, draft: draft) {
            case .success(let verified):
                draft = try await services.database.saveDraft(
                    existing: draft, sessionId: context.signedIn.session.id!, tenantId: context.tenantId, connectionId: nil,
                    verified: verified, exportUserId: nil, vault: services.vault, now: now)
                notice = "Connected to ActiveCampaign as \(verified.accountName)."
            case .failure(let failure):
                problems = failure.problems
            }
        case "export-user":
            draft = try await services.database.saveDraft(
                existing: draft, sessionId: context.signedIn.session.id!, tenantId: context.tenantId, connectionId: nil,
                verified: nil, exportUserId: context.signedIn.userId, vault: services.vault, now: now)
            notice = "You are the export user: exports on this connection run on your behalf."
        case "save":
            problems = try await validateNameAndConsent(entered, context: context, except: nil)
            if draft?.isConnected != true {
                problems.key = problems.key ?? "Press Connect to check the API key before saving."
            } else if let host = draft?.apiHost, (try? services.gateway.policy.normalise(entered.apiHost).destination.description) != host {
                problems.host = "The hostname changed since Connect. Press Connect again."
            }
            if draft?.exportUserId == nil {
                problems.exportUser = "Add yourself as export user before saving."
            }
            if problems.isEmpty, let draft {
                _ = try await services.database.createConnection(
                    tenantId: context.tenantId, name: entered.name, usableBy: entered.usableBy, draft: draft,
                    consentUserId: context.signedIn.userId, vault: services.vault, actor: context.actor, now: now)
                return .seeOther(SitePath.connections(context.access.tenant.slug) + "?done=created")
            }
        default:
            throw HTTPError(.badRequest, message: "Choose Connect, Add yourself as export user, or Save.")
        }
        return try await renderNew(context, entered: entered, draft: draft, problems: problems, notice: notice,
                                   status: problems.isEmpty ? .ok : .unprocessableContent)
    }

    private func renderNew(_ context: TenantContext, entered: Entered, draft: ConnectionDraft?, problems: Problems,
                           notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let exportUserEmail = try await draft?.exportUserId.asyncMap { try await services.database.user(id: $0)?.email }
        return try services.views.page("connections/form", FormPage(
            chrome: try await services.chrome("Add an ActiveCampaign connection", section: "Connections", context),
            isNew: true, action: SitePath.newConnection(context.access.tenant.slug), removeHref: nil,
            draftId: draft?.id.map(String.init) ?? "", name: entered.name,
            usableByAdmins: entered.usableBy == .admins, usableByContributors: entered.usableBy == .contributors,
            apiHost: entered.apiHost, hostNote: hostNote(entered.apiHost),
            keyStatus: draft?.isConnected == true ? "Key ending \(draft?.apiKeyLastFour ?? "") checked for \(draft?.apiHost ?? "")." : nil,
            connectedAs: draft?.isConnected == true ? draft?.accountName : nil,
            exportUser: exportUserEmail ?? nil, exportUserLost: false,
            consentGiven: entered.consent, consentRecord: nil, notice: notice,
            nameError: problems.name, keyError: problems.key, hostError: problems.host, consentError: problems.consent,
            exportUserError: problems.exportUser, formError: problems.form), status: status)
    }

    // MARK: Edit

    @Sendable func editPage(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        var entered = Entered()
        entered.name = summary.connection.name
        entered.usableBy = summary.connection.usableBy
        entered.apiHost = summary.connection.apiHost
        let notice: String? = switch request.formQuery.get("done") {
        case "saved": "Your changes were saved."
        case "export-user": "You are now the export user of this connection."
        case "verified": "ActiveCampaign accepted the stored key."
        default: nil
        }
        return try await renderEdit(context, summary: summary, entered: entered, draft: nil, problems: Problems(), notice: notice)
    }

    @Sendable func editStep(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        let connection = summary.connection
        let id = connection.id!
        let slug = context.access.tenant.slug
        let form = try await Web.Form.decode(Form.self, from: request, limit: services.configuration.maxFormBytes)
        let entered = Entered(form)
        let now = services.clock.now
        var draft = try await loadDraft(form, context: context, connectionId: id)
        var problems = Problems()
        var notice: String?
        let typedKey = (form.apiKey ?? "").trimmingCharacters(in: .whitespaces)
        let hostChanged = (try? services.gateway.policy.normalise(entered.apiHost).destination.description) != connection.apiHost

        switch form.step {
        case "connect" where !typedKey.isEmpty || hostChanged:
            guard !typedKey.isEmpty else {
                problems.key = "A new hostname needs the API key again: enter it and press Connect."
                break
            }
            switch await connect(entered: entered, typedKey: typedKey, draft: nil) {
            case .success(let verified):
                draft = try await services.database.saveDraft(
                    existing: draft, sessionId: context.signedIn.session.id!, tenantId: context.tenantId, connectionId: id,
                    verified: verified, exportUserId: nil, vault: services.vault, now: now)
                notice = "Connected as \(verified.accountName). Save to use this key."
            case .failure(let failure):
                problems = failure.problems
            }
        case "connect", "verify":
            let result = await verifyStored(connection)
            try await services.database.recordVerification(
                tenantId: context.tenantId, id: id, accountName: try? result.get(), error: result.failureMessage,
                actor: context.actor, now: now)
            if result.failureMessage == nil { return .seeOther(SitePath.connection(slug, id) + "?done=verified") }
            problems.form = "Verification failed: \(result.failureMessage ?? "")"
        case "export-user":
            try await services.database.setExportUser(tenantId: context.tenantId, id: id, userId: context.signedIn.userId,
                                                      actor: context.actor, now: now)
            return .seeOther(SitePath.connection(slug, id) + "?done=export-user")
        case "save":
            problems = try await validateNameAndConsent(entered, context: context, except: id, consentNeeded: false)
            if let draft, draft.isConnected {
                if (try? services.gateway.policy.normalise(entered.apiHost).destination.description) != draft.apiHost {
                    problems.host = "The hostname changed since Connect. Press Connect again."
                }
            } else if !typedKey.isEmpty {
                problems.key = "Press Connect to check the new key before saving."
            } else if hostChanged {
                problems.key = "A new hostname needs the API key again: enter it and press Connect."
            }
            if problems.isEmpty {
                try await services.database.updateConnection(
                    tenantId: context.tenantId, id: id, changes: .init(name: entered.name, usableBy: entered.usableBy),
                    actor: context.actor, now: now)
                if let draft, draft.isConnected {
                    try await services.database.replaceCredentials(tenantId: context.tenantId, id: id, draft: draft,
                                                                   vault: services.vault, actor: context.actor, now: now)
                }
                return .seeOther(SitePath.connection(slug, id) + "?done=saved")
            }
        default:
            throw HTTPError(.badRequest, message: "Choose Connect, Verify again, Add yourself as export user, or Save.")
        }
        let refreshed = try await loadSummary(context)
        return try await renderEdit(context, summary: refreshed, entered: entered, draft: draft, problems: problems, notice: notice,
                                    status: problems.isEmpty ? .ok : .unprocessableContent)
    }

    private func renderEdit(_ context: TenantContext, summary: ConnectionSummary, entered: Entered, draft: ConnectionDraft?,
                            problems: Problems, notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let connection = summary.connection
        let slug = context.access.tenant.slug
        let stored = connection.apiKeyLastFour.map { "Stored key ends in \($0)" + (connection.verifiedAt.map { ", last verified \(Format.dateTime($0))." } ?? ".") }
        let keyStatus = draft?.isConnected == true
            ? "New key ending \(draft?.apiKeyLastFour ?? "") checked for \(draft?.apiHost ?? ""); Save to use it."
            : stored ?? "No key is stored: enter it and press Connect."
        return try services.views.page("connections/form", FormPage(
            chrome: try await services.chrome("Connection \(connection.name)", section: "Connections", context),
            isNew: false, action: SitePath.connection(slug, connection.id!), removeHref: SitePath.removeConnection(slug, connection.id!),
            draftId: draft?.id.map(String.init) ?? "", name: entered.name,
            usableByAdmins: entered.usableBy == .admins, usableByContributors: entered.usableBy == .contributors,
            apiHost: entered.apiHost, hostNote: hostNote(entered.apiHost), keyStatus: keyStatus,
            connectedAs: draft?.isConnected == true ? draft?.accountName : connection.accountName,
            exportUser: summary.exportUserEmail, exportUserLost: summary.connection.exportUserId == nil || !summary.exportUserIsAdmin,
            consentGiven: true,
            consentRecord: summary.connection.consentAt.map { "Agreed by \(summary.consentUserEmail ?? "a former member") on \(Format.dateTime($0))." },
            notice: notice ?? summary.attention.map { "Needs attention: \($0)" },
            nameError: problems.name, keyError: problems.key, hostError: problems.host, consentError: problems.consent,
            exportUserError: problems.exportUser, formError: problems.form), status: status)
    }

    // MARK: Remove

    struct RemovePage {
        struct ExportRow { var name: String }
        var chrome: Chrome
        var name: String
        var action: String
        var cancelHref: String
        var exports: [ExportRow]
        var hasExports: Bool
    }

    struct RemoveForm: Decodable { var exports: String? }

    @Sendable func removePage(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        let id = summary.connection.id!
        let exports = try await services.database.exportsUsing(tenantId: context.tenantId, connectionId: id)
        let slug = context.access.tenant.slug
        return try services.views.page("connections/remove", RemovePage(
            chrome: try await services.chrome("Remove \(summary.connection.name)", section: "Connections", context),
            name: summary.connection.name, action: SitePath.removeConnection(slug, id), cancelHref: SitePath.connection(slug, id),
            exports: exports.map { .init(name: $0.name) }, hasExports: !exports.isEmpty))
    }

    @Sendable func remove(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        let form = try await Web.Form.decode(RemoveForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard let choice = DetachedExports(rawValue: form.exports ?? "detach") else {
            throw HTTPError(.badRequest, message: "Choose whether to detach or remove the exports.")
        }
        try await services.database.removeConnection(tenantId: context.tenantId, id: summary.connection.id!, exports: choice,
                                                     actor: context.actor)
        return .seeOther(SitePath.connections(context.access.tenant.slug) + "?done=removed")
    }

    // MARK: Steps

    private func loadSummary(_ context: TenantContext) async throws -> ConnectionSummary {
        guard let id = context.parameters.get("id", as: Int64.self),
              let summary = try await services.database.connectionSummary(tenantId: context.tenantId, id: id) else {
            throw HTTPError(.notFound)
        }
        return summary
    }

    private func loadDraft(_ form: Form, context: TenantContext, connectionId: Int64?) async throws -> ConnectionDraft? {
        guard let id = form.draft.flatMap(Int64.init) else { return nil }
        return try await services.database.draft(id: id, sessionId: context.signedIn.session.id!, tenantId: context.tenantId,
                                                 connectionId: connectionId, now: services.clock.now)
    }

    private func validateNameAndConsent(_ entered: Entered, context: TenantContext, except id: Int64?,
                                        consentNeeded: Bool = true) async throws -> Problems {
        var problems = Problems()
        if entered.name.isEmpty {
            problems.name = "Enter a display name."
        } else if entered.name.count > 100 {
            problems.name = "A display name has at most 100 characters."
        } else if entered.name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.name = "A display name cannot contain control characters."
        } else if try await services.database.connectionNameTaken(tenantId: context.tenantId, name: entered.name, except: id) {
            problems.name = "Another connection in this workspace is already called \(entered.name)."
        }
        if consentNeeded, !entered.consent { problems.consent = "Agree to the data privacy and compliance terms to save." }
        return problems
    }

    /// Connect: checks the host rules, then the key against ActiveCampaign (`users/me`, then one list read, so a
    /// key without permission is caught now rather than at the first export).
    private func connect(entered: Entered, typedKey: String?, draft: ConnectionDraft?) async -> Result<VerifiedKey, ProblemsError> {
        var problems = Problems()
        let destination: HostPolicy.Destination
        do { destination = try services.gateway.policy.normalise(entered.apiHost).destination } catch {
            problems.host = error.description
            return .failure(ProblemsError(problems))
        }
        var key = (typedKey ?? "").trimmingCharacters(in: .whitespaces)
        if key.isEmpty, let draft, draft.apiHost == destination.description, let sealed = draft.apiKeySealed,
           let context = draft.apiKeyContext, let opened = try? services.vault.open(sealed, context: context) {
            key = opened.value
        }
        if key.isEmpty {
            problems.key = "Enter the API key from Settings > Developer in ActiveCampaign."
            return .failure(ProblemsError(problems))
        }
        guard key.count <= 200, !key.contains(where: { $0.isWhitespace || $0.isNewline }),
              key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 33 }) else {
            problems.key = "This is not an API key: it has spaces or characters an ActiveCampaign key never has."
            return .failure(ProblemsError(problems))
        }
        do {
            let user = try await services.gateway.withClient(destination, apiKey: Redacted(key)) { client throws(ActiveCampaignError) in
                let user = try await client.me()
                try await client.checkListAccess()
                return user
            }
            let name = user.email.isEmpty ? user.username : "\(user.username) (\(user.email))"
            return .success(VerifiedKey(apiHost: destination.description, apiKey: Redacted(key), accountName: name))
        } catch {
            switch error {
            case .host(let refusal): problems.host = refusal.description
            case .api(.invalidCredentials), .api(.noPermission): problems.key = error.description
            case .api: problems.host = error.description
            }
            return .failure(ProblemsError(problems))
        }
    }

    private func verifyStored(_ connection: Connection) async -> Result<String, VerificationFailure> {
        guard let sealed = connection.apiKeySealed, let context = connection.apiKeyContext else {
            return .failure(VerificationFailure(message: "No API key is stored; enter it and press Connect."))
        }
        guard let key = try? services.vault.open(sealed, context: context) else {
            return .failure(VerificationFailure(message: "The stored API key cannot be read with this key ring; enter it again."))
        }
        do {
            let destination = try services.gateway.policy.normalise(connection.apiHost).destination
            let user = try await services.gateway.withClient(destination, apiKey: key) { client throws(ActiveCampaignError) in
                try await client.me()
            }
            return .success(user.email.isEmpty ? user.username : "\(user.username) (\(user.email))")
        } catch let refusal as HostPolicy.Refusal {
            return .failure(VerificationFailure(message: refusal.description))
        } catch let failure as ActiveCampaignGateway.Failure {
            return .failure(VerificationFailure(message: failure.description))
        } catch {
            return .failure(VerificationFailure(message: "the check could not run"))
        }
    }

    private func hostNote(_ input: String) -> String? {
        guard let (destination, changed) = try? services.gateway.policy.normalise(input), changed else { return nil }
        return "Outbound uses the hostname \(destination.description) (the address part of what was pasted)."
    }
}

struct ProblemsError: Error { let problems: ConnectionsController.Problems; init(_ problems: ConnectionsController.Problems) { self.problems = problems } }
struct VerificationFailure: Error { let message: String }

extension Result where Failure == VerificationFailure {
    var failureMessage: String? { if case .failure(let failure) = self { failure.message } else { nil } }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}

/// The data privacy and compliance text a person agrees to before a connection is saved.
enum ConsentText {
    static let full = """
        By saving this connection you confirm that: you are allowed to send the personal data of the people in the \
        segments you export (email address and, when you choose them, first name, last name and phone) to \
        ActiveCampaign; your organisation has a lawful basis, such as consent, for ActiveCampaign to process that \
        data and to send those people email; ActiveCampaign processes the data on your organisation's behalf under \
        your own agreement with ActiveCampaign, in the regions where your ActiveCampaign account stores data; and \
        you will honour requests to access or erase a person's data in ActiveCampaign as well as in Outbound. \
        Contacts sent to ActiveCampaign stay there until they are removed in ActiveCampaign, even if this connection \
        or an export is removed. Outbound records who agreed and when.
        """
}

import ActiveCampaign
import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// Admin > Connections: ActiveCampaign connections, from Connect to removal. Admins only (the admin group's
/// middleware answers 403 to everyone else); every store call is scoped to the tenant, so another tenant's
/// connection id is a 404.
struct ConnectionsController {
    let services: AppServices
    var steps: ConnectionSteps { ConnectionSteps(database: services.database, vault: services.vault, gateway: services.gateway) }

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.connections, use: list)
        group.get(.newConnection, use: newPage)
        group.post(.newConnection, use: newStep)
        group.get(.connection, use: editPage)
        group.post(.connection, use: editStep)
        group.get(.removeConnection, use: removePage)
        group.post(.removeConnection, use: remove)
    }

    // MARK: List

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        let summaries = try await services.database.connectionSummaries(tenantId: context.tenantId)
        let notice: String? =
            switch request.formQuery.get("done") {
            case "created": "The connection was saved."
            case "removed": "The connection and its stored API key were removed."
            default: nil
            }
        return try services.views.page(
            "connections/list",
            ListPage.build(
                summaries,
                slug: slug,
                chrome: try await services.chrome("Connections", section: "Connections", context),
                notice: notice
            )
        )
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

    typealias Problems = ConnectionProblems

    @Sendable func newPage(request: Request, context: TenantContext) async throws -> Response {
        guard request.formQuery.get("type") == "activecampaign" else {
            return try services.views.page(
                "connections/choose",
                ChoosePage(
                    chrome: try await services.chrome("Add connection", section: "Connections", context),
                    activeCampaignHref: TenantRoute.newConnection.path(context.access.tenant.slug, query: ["type": "activecampaign"])
                )
            )
        }
        return try await renderNew(context, entered: Entered(), draft: nil, problems: Problems(), notice: nil)
    }

    @Sendable func newStep(request: Request, context: TenantContext) async throws -> Response {
        let form = try await Web.Form.decode(Form.self, from: request, limit: services.configuration.maxFormBytes)
        let entered = Entered(form)
        let now = services.clock.now
        var draft = try await loadDraft(form, context: context, connectionId: nil)
        var problems = Problems()
        var notice: String?
        switch form.step {
        case "connect":
            switch await steps.connect(apiHost: entered.apiHost, typedKey: form.apiKey, draft: draft) {
            case .success(let verified):
                draft = try await services.database.saveDraft(
                    existing: draft,
                    sessionId: context.signedIn.session.id!,
                    tenantId: context.tenantId,
                    connectionId: nil,
                    verified: verified,
                    exportUserId: nil,
                    vault: services.vault,
                    now: now
                )
                notice = "Connected to ActiveCampaign as \(verified.accountName)."
            case .failure(let failure):
                problems = failure.problems
            }
        case "export-user":
            draft = try await services.database.saveDraft(
                existing: draft,
                sessionId: context.signedIn.session.id!,
                tenantId: context.tenantId,
                connectionId: nil,
                verified: nil,
                exportUserId: context.signedIn.userId,
                vault: services.vault,
                now: now
            )
            notice = "You are the export user: exports on this connection run on your behalf."
        case "save":
            problems = try await steps.nameAndConsentProblems(
                name: entered.name,
                consent: entered.consent,
                tenantId: context.tenantId,
                except: nil
            )
            if draft?.isConnected != true {
                problems.key = problems.key ?? "Press Connect to check the API key before saving."
            } else if let host = draft?.apiHost, steps.normalisedHost(entered.apiHost) != host {
                problems.host = "The hostname changed since Connect. Press Connect again."
            }
            if draft?.exportUserId == nil {
                problems.exportUser = "Add yourself as export user before saving."
            }
            if problems.isEmpty, let draft {
                _ = try await services.database.createConnection(
                    tenantId: context.tenantId,
                    name: entered.name,
                    usableBy: entered.usableBy,
                    draft: draft,
                    consentUserId: context.signedIn.userId,
                    vault: services.vault,
                    actor: context.actor,
                    now: now
                )
                return .seeOther(TenantRoute.connections.path(context.access.tenant.slug, query: ["done": "created"]))
            }
        default:
            throw HTTPError(.badRequest, message: "Choose Connect, Add yourself as export user, or Save.")
        }
        return try await renderNew(
            context,
            entered: entered,
            draft: draft,
            problems: problems,
            notice: notice,
            status: problems.isEmpty ? .ok : .unprocessableContent
        )
    }

    private func renderNew(
        _ context: TenantContext,
        entered: Entered,
        draft: ConnectionDraft?,
        problems: Problems,
        notice: String?,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let exportUserEmail = try await draft?.exportUserId.asyncMap { try await services.database.user(id: $0)?.email }
        return try services.views.page(
            "connections/form",
            FormPage.buildNew(
                entered: entered,
                draft: draft,
                exportUserEmail: exportUserEmail ?? nil,
                hostNote: steps.hostNote(entered.apiHost),
                problems: problems,
                notice: notice,
                slug: context.access.tenant.slug,
                chrome: try await services.chrome("Add an ActiveCampaign connection", section: "Connections", context)
            ),
            status: status
        )
    }

    // MARK: Edit

    @Sendable func editPage(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        var entered = Entered()
        entered.name = summary.connection.name
        entered.usableBy = summary.connection.usableBy
        entered.apiHost = summary.connection.apiHost
        let notice: String? =
            switch request.formQuery.get("done") {
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
        let hostChanged = steps.normalisedHost(entered.apiHost) != connection.apiHost

        switch form.step {
        case "connect" where !typedKey.isEmpty || hostChanged:
            guard !typedKey.isEmpty else {
                problems.key = "A new hostname needs the API key again: enter it and press Connect."
                break
            }
            switch await steps.connect(apiHost: entered.apiHost, typedKey: typedKey, draft: nil) {
            case .success(let verified):
                draft = try await services.database.saveDraft(
                    existing: draft,
                    sessionId: context.signedIn.session.id!,
                    tenantId: context.tenantId,
                    connectionId: id,
                    verified: verified,
                    exportUserId: nil,
                    vault: services.vault,
                    now: now
                )
                notice = "Connected as \(verified.accountName). Save to use this key."
            case .failure(let failure):
                problems = failure.problems
            }
        case "connect", "verify":
            let result = await steps.verifyStored(connection)
            try await services.database.recordVerification(
                tenantId: context.tenantId,
                id: id,
                accountName: try? result.get(),
                error: result.failureMessage,
                actor: context.actor,
                now: now
            )
            if result.failureMessage == nil { return .seeOther(TenantRoute.connection.path(slug, id, query: ["done": "verified"])) }
            problems.form = "Verification failed: \(result.failureMessage ?? "")"
        case "export-user":
            try await services.database.setExportUser(
                tenantId: context.tenantId,
                id: id,
                userId: context.signedIn.userId,
                actor: context.actor,
                now: now
            )
            return .seeOther(TenantRoute.connection.path(slug, id, query: ["done": "export-user"]))
        case "save":
            problems = try await steps.nameAndConsentProblems(
                name: entered.name,
                consent: entered.consent,
                tenantId: context.tenantId,
                except: id,
                consentNeeded: false
            )
            if let draft, draft.isConnected {
                if steps.normalisedHost(entered.apiHost) != draft.apiHost {
                    problems.host = "The hostname changed since Connect. Press Connect again."
                }
            } else if !typedKey.isEmpty {
                problems.key = "Press Connect to check the new key before saving."
            } else if hostChanged {
                problems.key = "A new hostname needs the API key again: enter it and press Connect."
            }
            if problems.isEmpty {
                try await services.database.updateConnection(
                    tenantId: context.tenantId,
                    id: id,
                    changes: .init(name: entered.name, usableBy: entered.usableBy),
                    actor: context.actor,
                    now: now
                )
                if let draft, draft.isConnected {
                    try await services.database.replaceCredentials(
                        tenantId: context.tenantId,
                        id: id,
                        draft: draft,
                        vault: services.vault,
                        actor: context.actor,
                        now: now
                    )
                }
                return .seeOther(TenantRoute.connection.path(slug, id, query: ["done": "saved"]))
            }
        default:
            throw HTTPError(.badRequest, message: "Choose Connect, Verify again, Add yourself as export user, or Save.")
        }
        let refreshed = try await loadSummary(context)
        return try await renderEdit(
            context,
            summary: refreshed,
            entered: entered,
            draft: draft,
            problems: problems,
            notice: notice,
            status: problems.isEmpty ? .ok : .unprocessableContent
        )
    }

    private func renderEdit(
        _ context: TenantContext,
        summary: ConnectionSummary,
        entered: Entered,
        draft: ConnectionDraft?,
        problems: Problems,
        notice: String?,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        try services.views.page(
            "connections/form",
            FormPage.buildEdit(
                summary: summary,
                entered: entered,
                draft: draft,
                hostNote: steps.hostNote(entered.apiHost),
                problems: problems,
                notice: notice,
                slug: context.access.tenant.slug,
                chrome: try await services.chrome("Connection \(summary.connection.name)", section: "Connections", context)
            ),
            status: status
        )
    }

    // MARK: Remove

    struct RemoveForm: Decodable { var exports: String? }

    @Sendable func removePage(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        let id = summary.connection.id!
        let exports = try await services.database.exportsUsing(tenantId: context.tenantId, connectionId: id)
        let slug = context.access.tenant.slug
        return try services.views.page(
            "connections/remove",
            RemovePage(
                chrome: try await services.chrome("Remove \(summary.connection.name)", section: "Connections", context),
                name: summary.connection.name,
                action: TenantRoute.removeConnection.path(slug, id),
                cancelHref: TenantRoute.connection.path(slug, id),
                exports: exports.map { .init(name: $0.name) },
                hasExports: !exports.isEmpty
            )
        )
    }

    @Sendable func remove(request: Request, context: TenantContext) async throws -> Response {
        let summary = try await loadSummary(context)
        let form = try await Web.Form.decode(RemoveForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard let choice = DetachedExports(rawValue: form.exports ?? "detach") else {
            throw HTTPError(.badRequest, message: "Choose whether to detach or remove the exports.")
        }
        try await services.database.removeConnection(
            tenantId: context.tenantId,
            id: summary.connection.id!,
            exports: choice,
            actor: context.actor
        )
        return .seeOther(TenantRoute.connections.path(context.access.tenant.slug, query: ["done": "removed"]))
    }

    // MARK: Steps

    private func loadSummary(_ context: TenantContext) async throws -> ConnectionSummary {
        guard let id = context.parameters.get("id", as: Int64.self),
            let summary = try await services.database.connectionSummary(tenantId: context.tenantId, id: id)
        else {
            throw HTTPError(.notFound)
        }
        return summary
    }

    private func loadDraft(_ form: Form, context: TenantContext, connectionId: Int64?) async throws -> ConnectionDraft? {
        guard let id = form.draft.flatMap(Int64.init) else { return nil }
        return try await services.database.draft(
            id: id,
            sessionId: context.signedIn.session.id!,
            tenantId: context.tenantId,
            connectionId: connectionId,
            now: services.clock.now
        )
    }
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

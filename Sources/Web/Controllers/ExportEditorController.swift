import ActiveCampaign
import Foundation
import Hummingbird
import OutboundCore
import Store

/// Data > Exports, one export: Add / Edit (View when read-only) and Preview. Every step of the form is a plain
/// POST (Show lists, Add attribute, Save), so it works without JavaScript. Saving never runs the export, and
/// nothing is saved unless every field is right (the store writes an export and its segments in one transaction).
struct ExportEditorController {
    let services: AppServices
    var steps: ExportSteps { ExportSteps(database: services.database, vault: services.vault, gateway: services.gateway) }

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.newExport, use: newPage)
        group.post(.newExport, use: newStep)
        group.get(.export, use: editPage)
        group.post(.export, use: editStep)
        group.get(.previewExport, use: preview)
    }

    // MARK: The form's values

    /// The optional fields of Data matching, added with "Add attribute".
    enum OptionalField: String, CaseIterable, Sendable {
        case firstName, lastName, phone
        var label: String {
            switch self {
            case .firstName: "First name"
            case .lastName: "Last name"
            case .phone: "Phone"
            }
        }
        var problemField: ExportSettingsProblem.Field {
            switch self {
            case .firstName: .firstName
            case .lastName: .lastName
            case .phone: .phone
            }
        }
    }

    /// What the person chose, kept across the form's steps.
    struct Entered: Sendable {
        var name = ""
        var connectionId: Int64?
        var pickedListId = ""
        var typedListId = ""
        var segmentIds: [Int64] = []
        var emailAttributeId: Int64?
        var shown: [OptionalField] = []
        var optional: [OptionalField: Int64] = [:]
        var runAutomations = false
        var mirror = false
        var guardPercent = "20"
        var schedule = ExportSchedule.system

        /// The typed id wins over the picker.
        var listId: String { typedListId.isEmpty ? pickedListId : typedListId }

        init() {}

        init(_ summary: ExportSummary) {
            let export = summary.export
            name = export.name
            connectionId = export.connectionId
            pickedListId = export.listId ?? ""
            segmentIds = summary.segments.map(\.id)
            emailAttributeId = export.emailAttributeId
            let values: [(OptionalField, Int64?)] = [
                (.firstName, export.firstNameAttributeId), (.lastName, export.lastNameAttributeId), (.phone, export.phoneAttributeId),
            ]
            for case (let field, let id?) in values {
                shown.append(field)
                optional[field] = id
            }
            runAutomations = export.runAutomations
            mirror = export.mirror
            guardPercent = String(export.mirrorGuardPercent)
            schedule = export.schedule
        }

        init(_ form: FormQuery) {
            name = (form.get("name") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            connectionId = form.get("connection", as: Int64.self)
            pickedListId = (form.get("listId") ?? "").trimmingCharacters(in: .whitespaces)
            typedListId = String((form.get("listIdTyped") ?? "").trimmingCharacters(in: .whitespaces).prefix(20))
            segmentIds = Array(Set(form.all("segment").compactMap { Int64($0) })).sorted()
            emailAttributeId = form.get("email", as: Int64.self)
            let shownNames = Set(form.all("shown"))
            shown = OptionalField.allCases.filter { shownNames.contains($0.rawValue) }
            for field in shown { optional[field] = form.get(field.rawValue, as: Int64.self) }
            runAutomations = form.get("runAutomations") == "1"
            mirror = form.get("mirror") == "1"
            guardPercent = String((form.get("guardPercent") ?? "20").trimmingCharacters(in: .whitespaces).prefix(5))
            schedule = form.get("schedule").flatMap(ExportSchedule.init(rawValue:)) ?? .system
        }
    }

    /// What is wrong with the form, per field.
    struct Problems: Sendable {
        var fields: [ExportSettingsProblem.Field: String] = [:]
        var isEmpty: Bool { fields.isEmpty }
        subscript(_ field: ExportSettingsProblem.Field) -> String? {
            get { fields[field] }
            set { if fields[field] == nil || newValue == nil { fields[field] = newValue } }
        }
    }

    // MARK: Add

    @Sendable func newPage(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.editExport(connection: nil), "Viewers cannot create exports.")
        var entered = Entered()
        let usable = try await steps.usableConnections(context)
        entered.connectionId = request.formQuery.get("connection", as: Int64.self) ?? (usable.count == 1 ? usable[0].id : nil)
        entered.emailAttributeId = try await services.database.attributes(tenantId: context.tenantId).first {
            $0.name.lowercased() == "email"
        }?.id
        return try await render(context, loaded: nil, entered: entered, problems: Problems())
    }

    @Sendable func newStep(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.editExport(connection: nil), "Viewers cannot create exports.")
        return try await step(request, context: context, loaded: nil)
    }

    // MARK: Edit or view

    @Sendable func editPage(request: Request, context: TenantContext) async throws -> Response {
        let loaded = try await steps.load(context)
        let notice: String? =
            switch request.formQuery.get("done") {
            case "created": "The export was saved."
            case "saved": "Your changes were saved."
            case "saved-reset": "Your changes were saved. The list or connection changed, so its next run sends every contact."
            case "duplicated": "This is a copy. Its first run sends every contact; rename it and check its settings."
            default: nil
            }
        let whenItRuns = notice.map { _ in RunSummary.whenItRuns(loaded.export, hasConnection: loaded.connection != nil) }
        return try await render(
            context,
            loaded: loaded,
            entered: Entered(loaded.summary),
            problems: Problems(),
            notice: notice,
            whenItRuns: whenItRuns
        )
    }

    @Sendable func editStep(request: Request, context: TenantContext) async throws -> Response {
        let loaded = try await steps.load(context, for: .editExport(connection: nil), "Viewers cannot change exports.", allowed: \.canEdit)
        return try await step(request, context: context, loaded: loaded)
    }

    // MARK: Steps

    private func step(_ request: Request, context: TenantContext, loaded: ExportSteps.Loaded?) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: services.configuration.maxFormBytes)
        let form = FormQuery(String(buffer: body))
        var entered = Entered(form)
        switch form.get("step") {
        case "lists":
            return try await render(context, loaded: loaded, entered: entered, problems: Problems())
        case "add-attribute":
            if let field = form.get("addField").flatMap(OptionalField.init(rawValue:)), !entered.shown.contains(field) {
                entered.shown = OptionalField.allCases.filter { entered.shown.contains($0) || $0 == field }
            }
            return try await render(context, loaded: loaded, entered: entered, problems: Problems())
        case "save":
            return try await save(context, loaded: loaded, entered: entered)
        default:
            throw HTTPError(.badRequest, message: "Choose Show lists, Add attribute or Save.")
        }
    }

    private func save(_ context: TenantContext, loaded: ExportSteps.Loaded?, entered: Entered) async throws -> Response {
        var problems = Problems()
        problems[.name] = Validate.name(entered.name)
        let usable = try await steps.usableConnections(context)
        let connection = entered.connectionId.flatMap { id in usable.first { $0.id == id } }
        if entered.connectionId == nil {
            problems[.connection] = "Choose the connection to export with."
        } else if connection == nil {
            problems[.connection] = "Choose a connection you may use."
        }
        let listId = entered.listId
        if listId.isEmpty {
            problems[.list] = "Choose a list, or type its id."
        } else if Int64(listId).map({ $0 > 0 }) != true {
            problems[.list] = "An ActiveCampaign list id is a whole number, like 3."
        } else if let connection, case .failure(let failure) = await steps.list(connection, id: listId) {
            if case .listNotFound = failure.error {
                problems[.list] = "ActiveCampaign has no list with id \(listId) in this account."
            } else {
                problems[.list] = "The list could not be checked with ActiveCampaign: \(failure.message)"
            }
        }
        if entered.segmentIds.isEmpty { problems[.segments] = "Choose at least one segment." }
        if entered.emailAttributeId == nil { problems[.email] = "Choose the attribute that holds the email address." }
        let guardPercent = Int(entered.guardPercent)
        if guardPercent.map({ (1...100).contains($0) }) != true {
            problems[.mirror] = "The removal guard is a share of the list from 1 to 100 percent."
        }
        guard problems.isEmpty, let emailAttributeId = entered.emailAttributeId, let guardPercent else {
            return try await render(context, loaded: loaded, entered: entered, problems: problems, status: .unprocessableContent)
        }
        let settings = ExportSettings(
            name: entered.name,
            connectionId: connection?.id,
            listId: listId,
            segmentIds: entered.segmentIds,
            emailAttributeId: emailAttributeId,
            firstNameAttributeId: entered.optional[.firstName],
            lastNameAttributeId: entered.optional[.lastName],
            phoneAttributeId: entered.optional[.phone],
            schedule: entered.schedule,
            runAutomations: entered.runAutomations,
            mirror: entered.mirror,
            mirrorGuardPercent: guardPercent
        )
        let slug = context.access.tenant.slug
        do {
            if let loaded {
                let saved = try await services.database.updateExport(
                    tenantId: context.tenantId,
                    id: loaded.id,
                    settings: settings,
                    actor: context.actor,
                    now: services.clock.now
                )
                let reset = saved.listId != loaded.export.listId || saved.connectionId != loaded.export.connectionId
                return .seeOther(TenantRoute.export.path(slug, loaded.id, query: ["done": reset ? "saved-reset" : "saved"]))
            }
            let created = try await services.database.createExport(
                tenantId: context.tenantId,
                settings: settings,
                actor: context.actor,
                now: services.clock.now
            )
            return .seeOther(TenantRoute.export.path(slug, created.id!, query: ["done": "created"]))
        } catch let problem as ExportSettingsProblem {
            problems[problem.field] = problem.message
            return try await render(context, loaded: loaded, entered: entered, problems: problems, status: .unprocessableContent)
        }
    }

    private func render(
        _ context: TenantContext,
        loaded: ExportSteps.Loaded?,
        entered: Entered,
        problems: Problems,
        notice: String? = nil,
        whenItRuns: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let editable = loaded?.permissions.canEdit ?? true
        let usable = editable ? try await steps.usableConnections(context) : []
        // The picker reads the chosen connection's lists with its key; a read-only view calls nothing.
        var lists: Result<[ACList], AccountFailure>?
        if editable, let id = entered.connectionId, let connection = usable.first(where: { $0.id == id }) {
            lists = await steps.lists(connection)
        }
        let title = loaded.map { "Export \($0.export.name)" } ?? "Add destination"
        return try services.views.page(
            "exports/form",
            FormPage.build(
                FormPage.Inputs(
                    loaded: loaded,
                    entered: entered,
                    problems: problems,
                    connections: usable,
                    lists: lists,
                    segments: try await services.database.segmentSummaries(tenantId: context.tenantId),
                    attributes: try await services.database.attributes(tenantId: context.tenantId),
                    policy: context.policy,
                    notice: notice,
                    whenItRuns: whenItRuns
                ),
                slug: context.access.tenant.slug,
                chrome: try await services.chrome(title, section: "Exports", context)
            ),
            status: status
        )
    }

    // MARK: Preview

    /// A dry run: what the next run would send, and how long that takes at ActiveCampaign's limits. Sends no
    /// contact and writes nothing; the only call to ActiveCampaign reads the account's contact limit.
    @Sendable func preview(request: Request, context: TenantContext) async throws -> Response {
        let loaded = try await steps.load(context, for: .editExport(connection: nil), "Viewers cannot preview exports.", allowed: \.canEdit)
        guard let preview = try await services.database.previewExport(tenantId: context.tenantId, exportId: loaded.id) else {
            throw HTTPError(.notFound)
        }
        var ahead: QueuedAhead?
        var account: Result<ACAccountSettings, AccountFailure>?
        if let connection = loaded.connection {
            ahead = try await services.database.queuedAhead(
                tenantId: context.tenantId,
                apiHost: connection.apiHost,
                exceptExport: loaded.id
            )
            account = await steps.account(connection)
        }
        return try services.views.page(
            "exports/preview",
            PreviewPage.build(
                preview,
                loaded: loaded,
                ahead: ahead,
                account: account,
                estimate: SendEstimate(requestsPerSecond: services.configuration.destinationRequestsPerSecond),
                slug: context.access.tenant.slug,
                chrome: try await services.chrome("Preview of \(loaded.export.name)", section: "Exports", context)
            )
        )
    }
}

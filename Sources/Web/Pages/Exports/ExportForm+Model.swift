import ActiveCampaign
import OutboundCore
import Store

/// The page model of Templates/exports/form.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ExportEditorController {
    struct FormPage {
        struct Option {
            var value: String
            var label: String
            var selected: Bool
        }
        struct ConnectionGroup {
            var label: String
            var options: [Option]
        }
        struct SegmentOption {
            var id: String
            var inputId: String
            var name: String
            var members: String
            var checked: Bool
        }
        struct MatchRow {
            var field: String
            var label: String
            var options: [Option]
            var error: String?
        }
        var chrome: Chrome
        var isNew: Bool
        var readOnly: Bool
        var readOnlyReason: String?
        var action: String
        var notice: String?
        var whenItRuns: String?
        var name: String
        var nameError: String?
        // Connection for export
        var connectionGroups: [ConnectionGroup]
        var hasConnections: Bool
        var connectionName: String
        var noConnectionText: String?
        var addConnectionHref: String?
        var connectionError: String?
        // ActiveCampaign list
        var lists: [Option]
        var hasLists: Bool
        var listsProblem: String?
        var typedListId: String
        var listId: String
        var listName: String?
        var listError: String?
        // Segments
        var segments: [SegmentOption]
        var hasSegments: Bool
        var segmentsHref: String
        var segmentsError: String?
        // Data matching
        var emailOptions: [Option]
        var emailError: String?
        var extraRows: [MatchRow]
        var addable: [Option]
        var canAddAttribute: Bool
        // Options
        var runAutomations: Bool
        var mirror: Bool
        var guardPercent: String
        var mirrorError: String?
        var scheduleSystem: Bool
        var scheduleOff: Bool
        // Links for a saved export
        var previewHref: String?
        var canRun: Bool
        var runAction: String?
        var lastRunHref: String?
        var lastRunStatus: String?
        var removeHref: String?
    }
}

extension ExportEditorController.FormPage {
    /// Everything the page is built from (store reads, the account's lists, what was typed).
    struct Inputs {
        var loaded: ExportSteps.Loaded?
        var entered: ExportEditorController.Entered
        var problems: ExportEditorController.Problems
        /// The connections this person may choose.
        var connections: [Connection]
        /// The chosen connection's lists (nil when none is chosen or the page is read-only).
        var lists: Result<[ACList], AccountFailure>?
        var segments: [SegmentSummary]
        var attributes: [Attribute]
        var policy: Policy
        var notice: String?
        var whenItRuns: String?
    }

    static func build(_ inputs: Inputs, slug: String, chrome: Chrome) -> Self {
        let entered = inputs.entered
        let loaded = inputs.loaded
        let permissions = loaded?.permissions
        let readOnly = permissions.map { !$0.canEdit } ?? false
        let isAdmin = inputs.policy.can(.administer)
        let listId = entered.listId
        let accountLists = (try? inputs.lists?.get()) ?? []
        let inPicker = accountLists.contains { $0.id == listId }
        let readOnlyReason: String? =
            !readOnly
            ? nil
            : inputs.policy.can(.changeData)
                ? "This export's connection is not shared with contributors, so you can only view it. It keeps running."
                : "You can view this export; viewers cannot change exports."
        func attributeOptions(selected: Int64?, none: String) -> [Option] {
            [Option(value: "", label: none, selected: selected == nil)]
                + inputs.attributes.map { Option(value: String($0.id!), label: $0.name, selected: $0.id == selected) }
        }
        let noConnectionText: String? =
            !inputs.connections.isEmpty || readOnly
            ? nil
            : isAdmin
                ? "This workspace has no ActiveCampaign connection yet."
                : "No ActiveCampaign connection is shared with contributors, so you cannot choose one. Ask an administrator to share one."
        return Self(
            chrome: chrome,
            isNew: loaded == nil,
            readOnly: readOnly,
            readOnlyReason: readOnlyReason,
            action: loaded.map { TenantRoute.export.path(slug, $0.id) } ?? TenantRoute.newExport.path(slug),
            notice: inputs.notice,
            whenItRuns: inputs.whenItRuns,
            name: entered.name,
            nameError: inputs.problems[.name],
            connectionGroups: inputs.connections.isEmpty
                ? []
                : [
                    ConnectionGroup(
                        label: "ActiveCampaign",
                        options: inputs.connections.map {
                            Option(value: String($0.id!), label: $0.name, selected: $0.id == entered.connectionId)
                        }
                    )
                ],
            hasConnections: !inputs.connections.isEmpty,
            connectionName: loaded?.connection?.name ?? "No connection",
            noConnectionText: noConnectionText,
            addConnectionHref: isAdmin && inputs.connections.isEmpty
                ? TenantRoute.newConnection.path(slug, query: ["type": "activecampaign"]) : nil,
            connectionError: inputs.problems[.connection],
            lists: accountLists.map { Option(value: $0.id, label: "\($0.name) (id \($0.id))", selected: $0.id == listId) },
            hasLists: !accountLists.isEmpty,
            listsProblem: inputs.lists.flatMap { result in
                guard case .failure(let failure) = result else { return nil }
                return "The account's lists could not be read (\(failure.message)). Type the list id instead."
            },
            typedListId: inPicker ? "" : listId,
            listId: listId,
            listName: accountLists.first { $0.id == listId }?.name,
            listError: inputs.problems[.list],
            segments: inputs.segments.map {
                SegmentOption(
                    id: String($0.segment.id!),
                    inputId: "segment-\($0.segment.id!)",
                    name: $0.segment.name,
                    members: $0.segment.memberCount.formatted(),
                    checked: entered.segmentIds.contains($0.segment.id!)
                )
            },
            hasSegments: !inputs.segments.isEmpty,
            segmentsHref: TenantRoute.segments.path(slug),
            segmentsError: inputs.problems[.segments],
            emailOptions: attributeOptions(selected: entered.emailAttributeId, none: "Choose an attribute"),
            emailError: inputs.problems[.email],
            extraRows: entered.shown.map { field in
                MatchRow(
                    field: field.rawValue,
                    label: field.label,
                    options: attributeOptions(selected: entered.optional[field], none: "(not sent)"),
                    error: inputs.problems[field.problemField]
                )
            },
            addable: ExportEditorController.OptionalField.allCases.filter { !entered.shown.contains($0) }.map {
                Option(value: $0.rawValue, label: $0.label, selected: false)
            },
            canAddAttribute: entered.shown.count < ExportEditorController.OptionalField.allCases.count && !readOnly,
            runAutomations: entered.runAutomations,
            mirror: entered.mirror,
            guardPercent: entered.guardPercent,
            mirrorError: inputs.problems[.mirror],
            scheduleSystem: entered.schedule == .system,
            scheduleOff: entered.schedule == .off,
            previewHref: loaded.flatMap { permissions?.canEdit == true ? TenantRoute.previewExport.path(slug, $0.id) : nil },
            canRun: permissions?.canRun ?? false,
            runAction: loaded.map { TenantRoute.runExport.path(slug, $0.id) },
            lastRunHref: loaded.flatMap { loaded in loaded.summary.lastRun.map { TenantRoute.exportRun.path(slug, loaded.id, $0.id!) } },
            lastRunStatus: loaded?.summary.lastRun.map { "Run #\($0.id!): \($0.state.label)" },
            removeHref: loaded.flatMap { permissions?.canRemove == true ? TenantRoute.removeExport.path(slug, $0.id) : nil }
        )
    }
}

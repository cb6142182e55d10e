import OutboundCore
import Store

/// The page model of Templates/exports/list.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ExportsController {
    struct ListPage {
        struct Row {
            var name: String
            var href: String
            var openLabel: String
            var destination: String
            var connection: String
            var list: String
            var segments: String
            var status: String
            var statusHref: String?
            var counts: String?
            /// When the last run ended (or was queued); nil when there was none: the status says "Never run".
            var lastRun: String?
            var nextRun: String
            var schedule: String
            var permission: String?
            var canRun: Bool
            var runAction: String
            var canDuplicate: Bool
            var duplicateAction: String
            var canRemove: Bool
            var removeHref: String
        }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var showPermission: Bool
        var canAdd: Bool
        var newHref: String
        var canRunAll: Bool
        var runAllAction: String
        var notice: String?
        var needsConnection: Bool
        var needsSegment: Bool
        var segmentsHref: String
        var connectionsHref: String?
    }
}

extension ExportsController.ListPage {
    /// Built from store reads; the controller and the tests call it.
    static func build(
        _ exports: [ExportSummary],
        connections: [Connection],
        hasSegments: Bool,
        slug: String,
        policy: Policy,
        chrome: Chrome,
        notice: String?
    ) -> Self {
        let byId = Dictionary(uniqueKeysWithValues: connections.map { ($0.id!, $0) })
        let rows = exports.map { summary -> Row in
            let export = summary.export
            let id = export.id!
            let connection = export.connectionId.flatMap { byId[$0] }
            let permissions = ExportPermissions(policy: policy, connection: connection)
            return Row(
                name: export.name,
                href: TenantRoute.export.path(slug, id),
                openLabel: permissions.canEdit ? "Edit" : "View",
                destination: "ActiveCampaign",
                connection: connection?.name ?? "No connection",
                list: export.listId.map { "List \($0)" } ?? "None",
                segments: summary.segments.map(\.name).joined(separator: ", "),
                status: summary.lastRun?.state.label ?? "Never run",
                statusHref: summary.lastRun.map { TenantRoute.exportRun.path(slug, id, $0.id!) },
                counts: summary.lastRun.flatMap(RunSummary.counts),
                lastRun: summary.lastRun.map { Format.dateTime($0.finishedAt ?? $0.queuedAt) },
                nextRun: RunSummary.nextRun(export, lastRun: summary.lastRun, hasConnection: connection != nil),
                schedule: export.schedule.label,
                permission: policy.can(.administer) ? nil : (permissions.canEdit ? "Edit" : "View only"),
                canRun: permissions.canRun,
                runAction: TenantRoute.runExport.path(slug, id),
                canDuplicate: permissions.canEdit,
                duplicateAction: TenantRoute.duplicateExport.path(slug, id),
                canRemove: permissions.canRemove,
                removeHref: TenantRoute.removeExport.path(slug, id)
            )
        }
        let usable = connections.contains { policy.can(.useConnection($0.usableBy)) }
        return Self(
            chrome: chrome,
            rows: rows,
            hasRows: !rows.isEmpty,
            showPermission: !policy.can(.administer),
            canAdd: policy.can(.editExport(connection: nil)),
            newHref: TenantRoute.newExport.path(slug),
            canRunAll: rows.contains { $0.canRun } && exports.contains { $0.export.schedule == .system },
            runAllAction: TenantRoute.runAllExports.path(slug),
            notice: notice,
            needsConnection: !usable,
            needsSegment: !hasSegments,
            segmentsHref: TenantRoute.segments.path(slug),
            connectionsHref: policy.can(.administer) ? TenantRoute.connections.path(slug) : nil
        )
    }
}

/// Words for runs that several pages share.
enum RunSummary {
    /// "600 accepted, 2 rejected, 3 invalid" for a run that sent something or found invalid rows.
    static func counts(_ run: ExportRun) -> String? {
        var parts: [String] = []
        if run.accepted > 0 || run.toSend > 0 { parts.append("\(run.accepted.formatted()) accepted") }
        if run.rejected > 0 { parts.append("\(run.rejected.formatted()) rejected") }
        if run.invalid > 0 { parts.append("\(run.invalid.formatted()) invalid") }
        if run.unchanged > 0 { parts.append("\(run.unchanged.formatted()) unchanged") }
        if run.unsubscribed > 0 { parts.append("\(run.unsubscribed.formatted()) unsubscribed") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// When the export runs next, in words (the system refresh's own times are on Admin > System).
    static func nextRun(_ export: Export, lastRun: ExportRun?, hasConnection: Bool) -> String {
        if let lastRun, lastRun.state.isActive { return lastRun.state == .needsConfirmation ? "Waiting for confirmation" : "Now" }
        if !hasConnection { return "Never: it has no connection" }
        switch export.schedule {
        case .system: return "When the system refresh runs"
        case .off: return "Only when run by hand"
        }
    }

    /// The sentence after a save: saving never runs an export.
    static func whenItRuns(_ export: Export, hasConnection: Bool) -> String {
        guard hasConnection else { return "It does not run until it has a connection." }
        switch export.schedule {
        case .system: return "Saving did not run it. It runs when the system refresh runs, and whenever someone presses Run."
        case .off: return "Saving did not run it. It runs only when run by hand (Run)."
        }
    }

    static func trigger(_ run: ExportRun) -> String {
        switch run.trigger {
        case .schedule: "System refresh"
        case .runAll: "Run all by \(run.requestedBy)"
        case .manual: "Run now by \(run.requestedBy)"
        case .commandLine: "Command line (\(run.requestedBy))"
        }
    }
}

import Foundation
import Hummingbird
import Store

/// Data > Exports: the list and the actions on whole exports (Run, Run all, Duplicate, Remove). Everyone reads;
/// changing or running an export also depends on its connection, so each action checks the role first (403
/// before anything is read) and then the export's connection. Another workspace's export id is a 404.
struct ExportsController {
    let services: AppServices
    var steps: ExportSteps { ExportSteps(database: services.database, vault: services.vault, gateway: services.gateway) }

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.exports, use: list)
        group.post(.runAllExports, use: runAll)
        group.post(.runExport, use: run)
        group.post(.duplicateExport, use: duplicate)
        group.get(.removeExport, use: removePage)
        group.post(.removeExport, use: remove)
    }

    // MARK: List

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        let overview = try await services.database.exportsOverview(tenantId: context.tenantId)
        let query = request.formQuery
        let notice: String? =
            switch query.get("done") {
            case "removed": "The export was removed. Contacts already sent stay in ActiveCampaign."
            case "all":
                "Run all: \(query.get("queued", as: Int.self) ?? 0) queued, \(query.get("skipped", as: Int.self) ?? 0) skipped (a run still going or waiting)."
            default: nil
            }
        return try services.views.page(
            "exports/list",
            ListPage.build(
                overview.exports,
                connections: overview.connections,
                hasSegments: overview.hasSegments,
                slug: slug,
                policy: context.policy,
                chrome: try await services.chrome("Exports", section: "Exports", context),
                notice: notice
            )
        )
    }

    // MARK: Run

    struct RunForm: Decodable { var full: String? }

    @Sendable func run(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.runExport(connection: nil), "Viewers cannot run exports.")
        let loaded = try await steps.load(context)
        try requireRun(loaded)
        let form = try await Form.decode(RunForm.self, from: request, limit: services.configuration.maxFormBytes)
        let outcome = try await services.database.enqueueRun(
            tenantId: context.tenantId,
            exportId: loaded.id,
            request: RunRequest(
                trigger: .manual,
                userId: context.signedIn.userId,
                by: context.signedIn.user.email,
                fullResync: form.full == "1"
            ),
            actor: context.actor,
            now: services.clock.now
        )
        return .seeOther(TenantRoute.exportRun.path(context.access.tenant.slug, loaded.id, outcome.run.id!))
    }

    /// Queues every export on System refresh that this person may run.
    @Sendable func runAll(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.runExport(connection: nil), "Viewers cannot run exports.")
        let connections = Dictionary(
            uniqueKeysWithValues: try await services.database.connections(tenantId: context.tenantId).map { ($0.id!, $0) }
        )
        var queued = 0
        var skipped = 0
        for summary in try await services.database.exports(tenantId: context.tenantId) where summary.export.schedule == .system {
            let connection = summary.export.connectionId.flatMap { connections[$0] }
            guard ExportPermissions(policy: context.policy, connection: connection).canRun else { continue }
            let outcome = try await services.database.enqueueRun(
                tenantId: context.tenantId,
                exportId: summary.export.id!,
                request: RunRequest(trigger: .runAll, userId: context.signedIn.userId, by: context.signedIn.user.email),
                actor: context.actor,
                now: services.clock.now
            )
            if case .queued = outcome { queued += 1 } else { skipped += 1 }
        }
        return .seeOther(
            TenantRoute.exports.path(
                context.access.tenant.slug,
                query: ["done": "all", "queued": String(queued), "skipped": String(skipped)]
            )
        )
    }

    private func requireRun(_ loaded: ExportSteps.Loaded) throws {
        guard loaded.connection != nil else {
            throw HTTPError(.conflict, message: "This export has no connection. Choose one on its page before running it.")
        }
        guard loaded.permissions.canRun else { throw HTTPError(.forbidden, message: ExportSteps.viewOnly) }
    }

    // MARK: Duplicate

    @Sendable func duplicate(request: Request, context: TenantContext) async throws -> Response {
        let loaded = try await steps.load(context, for: .editExport(connection: nil), "Viewers cannot create exports.", allowed: \.canEdit)
        let copy = try await services.database.duplicateExport(
            tenantId: context.tenantId,
            id: loaded.id,
            actor: context.actor,
            now: services.clock.now
        )
        return .seeOther(TenantRoute.export.path(context.access.tenant.slug, copy.id!, query: ["done": "duplicated"]))
    }

    // MARK: Remove

    @Sendable func removePage(request: Request, context: TenantContext) async throws -> Response {
        let loaded = try await steps.load(
            context,
            for: .removeExport(connection: nil),
            "Viewers cannot remove exports.",
            allowed: \.canRemove
        )
        let slug = context.access.tenant.slug
        let active = loaded.summary.lastRun.map { $0.state.isActive } ?? false
        return try services.views.page(
            "exports/remove",
            RemovePage(
                chrome: try await services.chrome("Remove \(loaded.export.name)", section: "Exports", context),
                name: loaded.export.name,
                action: TenantRoute.removeExport.path(slug, loaded.id),
                cancelHref: TenantRoute.export.path(slug, loaded.id),
                runningNote: active ? "Its current run stops before its next request to ActiveCampaign." : nil
            )
        )
    }

    @Sendable func remove(request: Request, context: TenantContext) async throws -> Response {
        let loaded = try await steps.load(
            context,
            for: .removeExport(connection: nil),
            "Viewers cannot remove exports.",
            allowed: \.canRemove
        )
        try await services.database.removeExport(tenantId: context.tenantId, id: loaded.id, actor: context.actor)
        return .seeOther(TenantRoute.exports.path(context.access.tenant.slug, query: ["done": "removed"]))
    }
}

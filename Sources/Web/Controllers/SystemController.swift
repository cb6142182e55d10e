import Foundation
import Hummingbird
import OutboundCore
import Store

/// Admin > System: the workspace's system refresh (Off, Daily, or Weekly on chosen weekdays, at up to four times,
/// in its time zone), the next and the last refresh, and Refresh now. The engine's scheduler runs the schedule;
/// Refresh now does the same work at once, on the import thread.
struct SystemController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.system, use: page)
        group.post(.system, use: save)
        group.post(.systemRefresh, use: refreshNow)
    }

    @Sendable func page(request: Request, context: TenantContext) async throws -> Response {
        let notice: String? =
            switch request.formQuery.get("done") {
            case "saved": "The schedule was saved."
            case "refreshed": "The system refresh ran."
            default: nil
            }
        return try await render(context, notice: notice)
    }

    @Sendable func save(request: Request, context: TenantContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: services.configuration.maxFormBytes)
        guard let fields = try? URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body)) else {
            throw HTTPError(.badRequest, message: "The form could not be read. Reload the page and try again.")
        }
        let form = ScheduleForm(fields: fields)
        switch form.parse() {
        case .failure(let problems):
            return try await render(context, form: form, problems: problems, status: .unprocessableContent)
        case .success(let (schedule, zone)):
            _ = try await services.database.saveSystemRefresh(
                tenantId: context.tenantId,
                schedule: schedule,
                timeZone: zone,
                actor: context.actor,
                now: services.clock.now
            )
            return .seeOther(TenantRoute.system.path(context.access.tenant.slug, query: ["done": "saved"]))
        }
    }

    /// Segments first, then the exports on System refresh, as the scheduler does; the schedule is unchanged.
    @Sendable func refreshNow(request: Request, context: TenantContext) async throws -> Response {
        let database = services.database
        let (tenantId, actor, now) = (context.tenantId, context.actor, services.clock.now)
        let runs = RunRequest(trigger: .schedule, userId: actor.userId, by: "\(actor.email) (Refresh now)")
        do {
            _ = try await services.importPool.run {
                try database.performSystemRefresh(tenantId: tenantId, request: runs, actor: actor, now: now)
            }
        } catch is BlockingPool.Busy {
            throw HTTPError(.serviceUnavailable, message: "Outbound is busy importing; press Refresh now again in a minute.")
        }
        return .seeOther(TenantRoute.system.path(context.access.tenant.slug, query: ["done": "refreshed"]))
    }

    private func render(
        _ context: TenantContext,
        notice: String? = nil,
        form: ScheduleForm? = nil,
        problems: ScheduleForm.Problems = .init(),
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var page = SystemPage.build(
            try await services.database.systemRefresh(tenantId: context.tenantId),
            slug: context.access.tenant.slug,
            chrome: try await services.chrome("System", section: "System", context),
            form: form,
            problems: problems
        )
        page.notice = notice
        return try services.views.page("system", page, status: status)
    }
}

import Foundation
import Hummingbird
import NIOCore
import Store

/// A run of an export: its page (progress, counts, timings, its invalid and rejected rows, the export's run
/// history), the same progress as JSON for the page's script (`Accept: application/json`), the rows as CSV,
/// and Cancel / Confirm. Everyone reads; cancel and confirm follow the export's connection like Run.
struct ExportRunsController {
    let services: AppServices
    var steps: ExportSteps { ExportSteps(database: services.database, vault: services.vault, gateway: services.gateway) }
    static let rowsPerPage = 50

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.exportRun, use: page)
        group.post(.cancelExportRun, use: cancel)
        group.post(.confirmExportRun, use: confirm)
        group.get(.exportRunInvalidCSV, use: invalidCSV)
        group.get(.exportRunRejectedCSV, use: rejectedCSV)
    }

    /// The export and one of its runs, both of this workspace (404 otherwise).
    private func load(_ context: TenantContext) async throws -> (ExportSteps.Loaded, ExportRun) {
        let loaded = try await steps.load(context)
        guard let runId = context.parameters.get("run", as: Int64.self),
            let run = try await services.database.run(tenantId: context.tenantId, id: runId), run.exportId == loaded.id
        else { throw HTTPError(.notFound) }
        return (loaded, run)
    }

    // MARK: The page and its JSON

    @Sendable func page(request: Request, context: TenantContext) async throws -> Response {
        if request.headers[.accept]?.contains("application/json") == true {
            let (_, run) = try await load(context)
            var response = Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(RunProgress(run, now: services.clock.now))))
            )
            response.headers[.vary] = "Accept"
            return response
        }
        let query = request.formQuery
        // Everything the page shows in one read (the export, its connection, the run, both kinds of problem rows and
        // the history), where it took six awaited reads, each a hop to a reader thread and back.
        guard let exportId = context.parameters.get("id", as: Int64.self),
            let runId = context.parameters.get("run", as: Int64.self),
            let reads = try await services.database.runPage(
                tenantId: context.tenantId,
                exportId: exportId,
                runId: runId,
                invalidAfter: query.get("invalidAfter", as: Int64.self) ?? Int64.min,
                rejectedAfter: query.get("rejectedAfter", as: Int64.self) ?? Int64.min,
                rowLimit: Self.rowsPerPage + 1,
                historyLimit: 20
            )
        else { throw HTTPError(.notFound) }
        let loaded = ExportSteps.Loaded(
            summary: reads.summary,
            connection: reads.connection,
            permissions: ExportPermissions(policy: context.policy, connection: reads.connection)
        )
        let run = reads.run
        let notice: String? =
            switch query.get("done") {
            case "canceled": "The run was canceled. Nothing more is sent for it."
            case "confirmed": "Confirmed: the run goes on with its removals."
            default: nil
            }
        var response = try services.views.page(
            "exports/run",
            RunPage.build(
                RunPage.Inputs(
                    loaded: loaded,
                    run: run,
                    progress: RunProgress(run, now: services.clock.now),
                    invalid: Self.page(reads.invalid),
                    rejected: Self.page(reads.rejected),
                    history: reads.history,
                    canControl: context.policy.can(.runExport(connection: loaded.connection?.usableBy)),
                    notice: notice
                ),
                slug: context.access.tenant.slug,
                chrome: try await services.chrome("Run #\(run.id!) of \(loaded.export.name)", section: "Exports", context)
            )
        )
        response.headers[.vary] = "Accept"
        return response
    }

    /// The rows shown of one kind (read one more than a page), and the cursor of the next page when there is one.
    private static func page(_ page: [(seq: Int64, row: RunProblemRow)]) -> (rows: [RunProblemRow], next: Int64?) {
        let shown = page.prefix(Self.rowsPerPage)
        return (shown.map(\.row), page.count > Self.rowsPerPage ? shown.last?.seq : nil)
    }

    // MARK: Cancel and confirm

    @Sendable func cancel(request: Request, context: TenantContext) async throws -> Response {
        try await command(context) { runId in
            _ = try await services.database.cancelRun(
                tenantId: context.tenantId,
                runId: runId,
                actor: context.actor,
                now: services.clock.now
            )
            return "canceled"
        }
    }

    @Sendable func confirm(request: Request, context: TenantContext) async throws -> Response {
        try await command(context) { runId in
            _ = try await services.database.confirmRun(tenantId: context.tenantId, runId: runId, actor: context.actor)
            return "confirmed"
        }
    }

    private func command(_ context: TenantContext, _ body: (Int64) async throws -> String) async throws -> Response {
        try context.policy.require(.runExport(connection: nil), "Viewers cannot cancel or confirm runs.")
        let (loaded, run) = try await load(context)
        try context.policy.require(
            .runExport(connection: loaded.connection?.usableBy),
            "This export's connection is not shared with contributors, so you can only view its runs."
        )
        let done: String
        do { done = try await body(run.id!) } catch let problem as RunCommandProblem {
            throw HTTPError(problem == .notFound ? .notFound : .conflict, message: problem.description)
        }
        return .seeOther(TenantRoute.exportRun.path(context.access.tenant.slug, loaded.id, run.id!, query: ["done": done]))
    }

    // MARK: CSV

    @Sendable func invalidCSV(request: Request, context: TenantContext) async throws -> Response {
        try await csv(context, kind: .invalid)
    }

    @Sendable func rejectedCSV(request: Request, context: TenantContext) async throws -> Response {
        try await csv(context, kind: .rejected)
    }

    /// Every row of the kind, streamed page by page (a run may list a million), with spreadsheet-safe cells.
    private func csv(_ context: TenantContext, kind: AppDatabase.ProblemKind) async throws -> Response {
        let (_, run) = try await load(context)
        let database = services.database
        let tenantId = context.tenantId
        let runId = run.id!
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: RunProblemCSV.header))
            var after = Int64.min
            while true {
                let page = try await database.runProblems(tenantId: tenantId, runId: runId, kind: kind, afterSeq: after, limit: 1_000)
                guard let last = page.last else { break }
                after = last.seq
                try await writer.write(ByteBuffer(string: page.map { RunProblemCSV.line($0.row) }.joined()))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"run-\(runId)-\(kind.rawValue).csv\"",
            ],
            body: body
        )
    }
}

/// A run's progress as the page shows it and its script reads it: the same words either way, so a reload
/// without JavaScript shows what the live page showed.
struct RunProgress: Codable, Sendable, Equatable {
    var state: String
    var status: String
    var active: Bool
    var reason: String?
    var accepted: Int
    var toSend: Int
    var batchesConfirmed: Int
    var batches: Int
    var progress: String
    var batchesText: String
    var rate: String?
    var timeLeft: String?

    init(_ run: ExportRun, now: Date) {
        state = run.state.rawValue
        status = run.state.label
        active = run.state.isActive
        reason = run.reason
        accepted = run.accepted
        toSend = run.toSend
        batchesConfirmed = run.batchesConfirmed
        batches = run.batches
        let total = run.toSend + run.toUnsubscribe
        let done = run.accepted + run.rejected + run.unsubscribed
        switch run.state {
        case .queued: progress = "Waiting for its turn."
        case .running where run.phase == .prepare && run.accepted == 0: progress = "Reading the segments' members and planning batches."
        case .running where run.phase == .prepare:
            progress =
                "Reading the segments' members and sending batches as they fill: \(run.accepted.formatted()) contacts accepted so far."
        case _ where run.toSend == 0 && run.accepted > 0:
            // Ended (canceled, failed) while it still read the members: how many it would send was never known.
            progress =
                "\(run.accepted.formatted()) contacts accepted before the run ended"
                + (run.rejected > 0 ? ", \(run.rejected.formatted()) rejected" : "")
        default:
            progress =
                "\(run.accepted.formatted()) of \(run.toSend.formatted()) contacts to send accepted"
                + (run.rejected > 0 ? ", \(run.rejected.formatted()) rejected" : "")
                + (run.toUnsubscribe > 0 ? "; \(run.unsubscribed.formatted()) of \(run.toUnsubscribe.formatted()) unsubscribed" : "")
        }
        // While the freeze still plans batches (or when a run ended during it) their number is not known.
        batchesText =
            run.batches == 0 && run.batchesConfirmed > 0 || run.phase == .prepare && run.state == .running
            ? "\(run.batchesConfirmed.formatted()) batches confirmed" + (run.state == .running ? " so far" : "")
            : "\(run.batchesConfirmed.formatted()) of \(run.batches.formatted()) batches confirmed"
        // The rate over the run so far, and the time left at that rate; once it ended, its average over its whole length.
        let end = run.state == .running ? now : run.finishedAt
        if let started = run.startedAt, let end, end > started, done > 0, run.phase != .prepare {
            let perSecond = Double(done) / end.timeIntervalSince(started)
            let speed = perSecond >= 10 ? "\(Int(perSecond).formatted()) contacts/s" : String(format: "%.1f contacts/s", perSecond)
            rate = run.state == .running ? speed : "Average \(speed)"
            if run.state == .running { timeLeft = "about \(Format.duration(Double(max(0, total - done)) / perSecond)) left" }
        }
    }
}

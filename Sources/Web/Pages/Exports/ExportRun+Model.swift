import Foundation
import Store

/// The page model of Templates/exports/run.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ExportRunsController {
    struct RunPage {
        struct Count {
            var label: String
            var value: String
        }
        struct ProblemRow {
            var profileId: String
            var email: String
            var reason: String
        }
        struct HistoryRow {
            var number: String
            var href: String
            var status: String
            var trigger: String
            var queued: String
            var counts: String
            var current: Bool
        }
        var chrome: Chrome
        var exportName: String
        var exportHref: String
        var number: String
        var statusURL: String
        var progress: RunProgress
        var notice: String?
        var trigger: String
        var fullResync: Bool
        var queued: String
        var started: String
        var finished: String
        var took: String?
        var counts: HTMLRows<Count>
        var canCancel: Bool
        var cancelAction: String
        var canConfirm: Bool
        var confirmAction: String
        var invalid: HTMLRows<ProblemRow>
        var hasInvalid: Bool
        var invalidTotal: String
        var invalidNextHref: String?
        var invalidCSVHref: String
        var rejected: HTMLRows<ProblemRow>
        var hasRejected: Bool
        var rejectedTotal: String
        var rejectedNextHref: String?
        var rejectedCSVHref: String
        var history: HTMLRows<HistoryRow>
    }
}

extension ExportRunsController.RunPage {
    struct Inputs {
        var loaded: ExportSteps.Loaded
        var run: ExportRun
        var progress: RunProgress
        var invalid: (rows: [RunProblemRow], next: Int64?)
        var rejected: (rows: [RunProblemRow], next: Int64?)
        var history: [ExportRun]
        /// May cancel or confirm (the policy with the export's connection).
        var canControl: Bool
        var notice: String?
    }

    static func build(_ inputs: Inputs, slug: String, chrome: Chrome) -> Self {
        let run = inputs.run
        let exportId = inputs.loaded.id
        let runId = run.id!
        let here = TenantRoute.exportRun.path(slug, exportId, runId)
        func rows(_ list: [RunProblemRow]) -> HTMLRows<ProblemRow> {
            HTMLRows(list.map { ProblemRow(profileId: $0.profileId ?? "", email: $0.email, reason: $0.reason) })
        }
        func count(_ label: String, _ value: Int) -> Count { Count(label: label, value: value.formatted()) }
        let took = run.startedAt.flatMap { started in run.finishedAt.map { Format.duration($0.timeIntervalSince(started)) } }
        return Self(
            chrome: chrome,
            exportName: inputs.loaded.export.name,
            exportHref: TenantRoute.export.path(slug, exportId),
            number: String(runId),
            statusURL: here,
            progress: inputs.progress,
            notice: inputs.notice,
            trigger: RunSummary.trigger(run),
            fullResync: run.fullResync,
            queued: Format.dateTime(run.queuedAt),
            started: run.startedAt.map(Format.dateTime) ?? "Not yet",
            finished: run.finishedAt.map(Format.dateTime) ?? "Not yet",
            took: took,
            counts: HTMLRows([
                count("Members of its segments", run.members), count("Same email as another profile", run.duplicates),
                count("Valid", run.valid), count("Invalid (never sent)", run.invalid), count("Unchanged", run.unchanged),
                count("Held (rejected three runs in a row)", run.held), count("To send", run.toSend), count("Sent", run.sent),
                count("Accepted", run.accepted), count("Rejected", run.rejected), count("To unsubscribe", run.toUnsubscribe),
                count("Unsubscribed", run.unsubscribed), count("Requests to ActiveCampaign", run.requests),
            ]),
            canCancel: inputs.canControl && run.state.isActive,
            cancelAction: TenantRoute.cancelExportRun.path(slug, exportId, runId),
            canConfirm: inputs.canControl && run.state == .needsConfirmation,
            confirmAction: TenantRoute.confirmExportRun.path(slug, exportId, runId),
            invalid: rows(inputs.invalid.rows),
            hasInvalid: !inputs.invalid.rows.isEmpty,
            invalidTotal: run.invalid.formatted(),
            invalidNextHref: inputs.invalid.next.map {
                TenantRoute.exportRun.path(slug, exportId, runId, query: ["invalidAfter": String($0)])
            },
            invalidCSVHref: TenantRoute.exportRunInvalidCSV.path(slug, exportId, runId),
            rejected: rows(inputs.rejected.rows),
            hasRejected: !inputs.rejected.rows.isEmpty,
            rejectedTotal: run.rejected.formatted(),
            rejectedNextHref: inputs.rejected.next.map {
                TenantRoute.exportRun.path(slug, exportId, runId, query: ["rejectedAfter": String($0)])
            },
            rejectedCSVHref: TenantRoute.exportRunRejectedCSV.path(slug, exportId, runId),
            history: HTMLRows(
                inputs.history.map {
                    HistoryRow(
                        number: "#\($0.id!)",
                        href: TenantRoute.exportRun.path(slug, exportId, $0.id!),
                        status: $0.state.label,
                        trigger: RunSummary.trigger($0),
                        queued: Format.dateTime($0.queuedAt),
                        counts: RunSummary.counts($0) ?? ($0.reason ?? ""),
                        current: $0.id == runId
                    )
                }
            )
        )
    }
}

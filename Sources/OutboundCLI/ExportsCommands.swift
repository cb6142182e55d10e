import ActiveCampaign
import ArgumentParser
import ExportEngine
import Foundation
import Logging
import OutboundCore
import Store

struct ExportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exports",
        abstract: "Create, list, run and remove exports of segments to ActiveCampaign lists.",
        subcommands: [Create.self, List.self, Run.self, Remove.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an export (saving does not run it).",
            discussion: "Attributes are profile attribute names; --segment, repeatable, names a segment."
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The export's name.") var name: String
        @Option(help: "The connection's display name.") var connection: String
        @Option(help: "The ActiveCampaign list id.") var list: String
        @Option(help: "A segment's name; repeatable.") var segment: [String] = []
        @Option(help: "The attribute holding the email address.") var email: String
        @Option(help: "The attribute holding the first name.") var firstName: String?
        @Option(help: "The attribute holding the last name.") var lastName: String?
        @Option(help: "The attribute holding the phone number.") var phone: String?
        @Flag(help: "Unsubscribe contacts this export added that left its segments.") var mirror = false
        @Option(help: "With --mirror: removals above this share of the list wait for confirmation (percent).") var mirrorGuard = 20
        @Flag(help: "Let ActiveCampaign run its automations for these contacts (off: exclude_automations is sent).") var runAutomations =
            false
        @Flag(help: "Run only when asked (default: with every system refresh).") var manualOnly = false

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            let tenantId = workspace.id!
            guard
                let connection = try await database.connections(tenantId: tenantId).first(where: {
                    $0.name.lowercased() == connection.lowercased()
                })
            else { throw CLIError("No connection called \(connection) in \(tenant).") }
            let segments = try await database.segmentSummaries(tenantId: tenantId)
            let segmentIds = try segment.map { name in
                guard let found = segments.first(where: { $0.segment.name.lowercased() == name.lowercased() }) else {
                    throw CLIError("No segment called \(name) in \(tenant).")
                }
                return found.segment.id!
            }
            let attributes = try await database.attributes(tenantId: tenantId)
            func attribute(_ name: String?) throws -> Int64? {
                guard let name else { return nil }
                guard let found = attributes.first(where: { $0.name == name }) else {
                    throw CLIError("No profile attribute called \(name).")
                }
                return found.id
            }
            let settings = ExportSettings(
                name: name,
                connectionId: connection.id,
                listId: list,
                segmentIds: segmentIds,
                emailAttributeId: try attribute(email)!,
                firstNameAttributeId: try attribute(firstName),
                lastNameAttributeId: try attribute(lastName),
                phoneAttributeId: try attribute(phone),
                schedule: manualOnly ? .off : .system,
                runAutomations: runAutomations,
                mirror: mirror,
                mirrorGuardPercent: mirrorGuard
            )
            do {
                let export = try await database.createExport(tenantId: tenantId, settings: settings, actor: .commandLine, now: Date())
                print("Created export \(export.name) (#\(export.id!)).")
            } catch let problem as ExportSettingsProblem {
                throw CLIError("--\(problem.field.rawValue): \(problem.message)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a workspace's exports with their last run.")
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            let exports = try await database.exports(tenantId: workspace.id!)
            if exports.isEmpty { print("No exports in \(tenant).") }
            for summary in exports {
                let last =
                    summary.lastRun.map { "run #\($0.id!) \($0.state.label), \($0.accepted) accepted, \($0.rejected) rejected" }
                    ?? "Not started"
                print(
                    "#\(summary.export.id!) \(summary.export.name) → \(summary.connectionName ?? "No connection") list \(summary.export.listId ?? "?"); "
                        + "segments: \(summary.segments.map(\.name).joined(separator: ", ")); \(summary.export.schedule.label); \(last)"
                )
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a run of an export; with --wait, wait for its end.",
            discussion: """
                With --wait the exit status is 0 when the run is Successful, 2 when it Completed with errors, 1 otherwise. \
                When no engine is running (no heartbeat in the last 30 s), this command works the run itself.
                """
        )
        @OptionGroup var data: DataOptions
        @OptionGroup var engine: EngineOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The export's name.") var export: String
        @Flag(help: "Send every contact, not only new and changed ones.") var full = false
        @Flag(help: "Wait for the run to end and print its counts.") var wait = false
        @Option(name: .customLong("allow-destination-host"), help: "As for `outbound serve`, when this command works the run itself.")
        var allowDestinationHost: [String] = Environment.list("OUTBOUND_ALLOW_DESTINATION_HOST")

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            guard let summary = try await database.export(tenantId: workspace.id!, name: export) else {
                throw CLIError("No export called \(export) in \(tenant).")
            }
            let outcome = try await database.enqueueRun(
                tenantId: workspace.id!,
                exportId: summary.export.id!,
                request: RunRequest(trigger: .commandLine, userId: nil, by: "command line", fullResync: full),
                actor: .commandLine,
                now: Date()
            )
            guard case .queued(let run) = outcome else {
                print("Skipped: \(outcome.run.reason ?? "")")
                throw ExitCode.failure
            }
            print("Queued run #\(run.id!) of \(summary.export.name).")
            guard wait else { return }
            fflush(nil)
            let status = try await database.engineStatus()
            if status.lastHeartbeat.map({ Date().timeIntervalSince($0) > 30 }) ?? true {
                let (database, vault) = try data.openDatabaseAndVault()
                var logger = Logger(label: "outbound.engine")
                logger.logLevel = .warning
                await engine.makeEngine(database: database, vault: vault, allowedHosts: allowDestinationHost, logger: logger).runUntilIdle(
                    only: run.id!
                )
            }
            var finished = try await database.run(tenantId: workspace.id!, id: run.id!)
            // A run held for confirmation waits for a person: report it rather than wait.
            while let current = finished, current.state.isActive, current.state != .needsConfirmation {
                try await Task.sleep(for: .seconds(1))
                finished = try await database.run(tenantId: workspace.id!, id: run.id!)
            }
            guard let finished else { throw CLIError("The run was removed with its export.") }
            RunsCommand.Show.print(finished)
            switch finished.state {
            case .succeeded: return
            case .completedWithErrors: throw ExitCode(2)
            default: throw ExitCode.failure
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an export: its runs stop before their next request; contacts already sent stay in ActiveCampaign."
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The export's name.") var export: String

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            guard let summary = try await database.export(tenantId: workspace.id!, name: export) else {
                throw CLIError("No export called \(export) in \(tenant).")
            }
            try await database.removeExport(tenantId: workspace.id!, id: summary.export.id!, actor: .commandLine)
            print("Removed export \(summary.export.name). Contacts already sent stay in ActiveCampaign.")
        }
    }
}

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Show, confirm or cancel export runs.",
        subcommands: [Show.self, Confirm.self, Cancel.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's state and counts, and its invalid or rejected rows.")
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Argument(help: "The run's number.") var id: Int64
        @Option(help: "List the rows: invalid or rejected.") var rows: String?
        @Flag(help: "With --rows: CSV (cells starting with = + - @ tab or CR are neutralised).") var csv = false

        func validate() throws {
            if let rows, Store.AppDatabase.ProblemKind(rawValue: rows) == nil { throw ValidationError("--rows is invalid or rejected.") }
        }

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            guard let run = try await database.run(tenantId: workspace.id!, id: id) else { throw CLIError("No run #\(id) in \(tenant).") }
            guard let rows, let kind = AppDatabase.ProblemKind(rawValue: rows) else {
                Self.print(run)
                return
            }
            if csv { Swift.print(RunProblemCSV.header, terminator: "") }
            var after = Int64.min
            while true {
                let page = try await database.runProblems(tenantId: workspace.id!, runId: id, kind: kind, afterSeq: after, limit: 1_000)
                guard let last = page.last else { break }
                after = last.seq
                for (_, row) in page {
                    if csv {
                        Swift.print(RunProblemCSV.line(row), terminator: "")
                    } else {
                        Swift.print("\(row.profileId ?? "-")\t\(row.email)\t\(row.reason)")
                    }
                }
            }
        }

        static func print(_ run: ExportRun) {
            Swift.print("Run #\(run.id!): \(run.state.label)\(run.reason.map { " — \($0)" } ?? "")")
            Swift.print(
                "  members \(run.members), valid \(run.valid), invalid \(run.invalid), duplicates \(run.duplicates), unchanged \(run.unchanged), held \(run.held)"
            )
            Swift.print(
                "  to send \(run.toSend), sent \(run.sent), accepted \(run.accepted), rejected \(run.rejected), to unsubscribe \(run.toUnsubscribe), unsubscribed \(run.unsubscribed)"
            )
            Swift.print(
                "  batches \(run.batchesConfirmed)/\(run.batches), requests \(run.requests), trigger \(run.trigger.label) by \(run.requestedBy)"
            )
            if let started = run.startedAt, let finished = run.finishedAt {
                Swift.print(String(format: "  took %.1f s", finished.timeIntervalSince(started)))
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a run held by the mirror's removal guard go on.")
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Argument(help: "The run's number.") var id: Int64

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            do {
                let run = try await database.confirmRun(tenantId: workspace.id!, runId: id, actor: .commandLine)
                print("Run #\(run.id!) is queued again with its \(run.toUnsubscribe) removals confirmed.")
            } catch let problem as RunCommandProblem { throw CLIError(problem.description) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued, running or waiting run (nothing more is sent for it).")
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Argument(help: "The run's number.") var id: Int64

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            do {
                _ = try await database.cancelRun(tenantId: workspace.id!, runId: id, actor: .commandLine, now: Date())
                print("Canceled run #\(id).")
            } catch let problem as RunCommandProblem { throw CLIError(problem.description) }
        }
    }
}

import ArgumentParser
import Foundation
import OutboundCore
import ProfileImport
import Store

struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Import unified customer profiles, or forget a person.",
        subcommands: [Import.self, Forget.self]
    )

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forget a person: remove every trace of an email from a workspace.",
            discussion: """
                Removes the profiles whose email attribute holds the email (and their segment memberships), the \
                value where other profiles name it in another attribute, what each export recorded delivering to it, \
                every export run's row for it (invalid and rejected lists too) and import problems naming it. Activity \
                records that a person was forgotten, without the email. The contact in ActiveCampaign is outside \
                Outbound: remove it there too. `--email -` reads the address from standard input, so it stays out of \
                the shell's history and the process list.
                """
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The person's email address, or - to read it from standard input.") var email: String

        func validate() throws {
            if email.trimmingWhitespace().isEmpty { throw ValidationError("--email: give the email address to forget.") }
        }

        func run() async throws {
            var address = email
            if email == "-" {
                address = (readLine(strippingNewline: true) ?? "").trimmingWhitespace()
                guard !address.isEmpty else { throw CLIError("No email address on standard input.") }
            }
            let (database, workspace) = try await data.openWorkspace(tenant)
            let outcome = try await database.forgetPerson(
                tenantId: workspace.id!,
                email: address,
                actor: Actor(userId: nil, email: OperatorIdentity.current, clientAddress: "local")
            )
            print(
                outcome.removedAnything
                    ? "Forgot the person in \(workspace.slug): \(outcome.summary). Their contact in ActiveCampaign is not changed: remove it there."
                    : "Nothing in \(workspace.slug) holds that email; recorded in Activity all the same."
            )
            if !outcome.logCleared { print(ForgetOutcome.logNotCleared) }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import profiles from a CSV file (UTF-8, a header row naming the attributes).",
            discussion: """
                Profiles are matched by id: attributes in the file replace theirs, others are kept. The id column is \
                --id-column, else one named profile_id or id. Types are inferred from the first 1,000 rows unless \
                declared (--type lifetime_value=number, or a header cell like lifetime_value:number). Each bad row is \
                reported with its line number and the rest are imported.
                """
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The column that holds the profile id.") var idColumn: String?
        @Option(name: .customLong("type"), help: "A column's type, as NAME=text|number|date|boolean; repeatable.") var types: [String] = []
        @Flag(help: "Remove the profiles that the file does not contain.") var replaceAll = false
        @Argument(help: "The CSV file.") var file: String

        func validate() throws {
            _ = try declaredTypes()
            guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("Cannot read \(file).") }
        }

        func declaredTypes() throws -> [String: AttributeType] {
            var declared: [String: AttributeType] = [:]
            for entry in types {
                let parts = entry.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let type = AttributeType(rawValue: String(parts[1]).lowercased()) else {
                    throw ValidationError("--type \(entry): expected NAME=text, NAME=number, NAME=date or NAME=boolean.")
                }
                declared[String(parts[0])] = type
            }
            return declared
        }

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            let started = ContinuousClock.now
            let result = try await ImportService.runOne(
                database: database,
                ImportService.Request(
                    tenantId: workspace.id!,
                    file: file,
                    fileName: (file as NSString).lastPathComponent,
                    options: ImportOptions(idColumn: idColumn, declaredTypes: try declaredTypes(), replaceAll: replaceAll),
                    userId: nil,
                    actor: .commandLine,
                    ownsFile: false
                )
            )
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print(
                "\(result.status.rawValue): \(result.rowsImported) rows imported, \(result.rowsRejected) rejected"
                    + (result.replaceAll ? ", \(result.rowsRemoved) removed" : "") + String(format: " in %.1f s.", seconds)
            )
            if let message = result.message { print(message) }
            for problem in result.problemList.prefix(20) { print("  line \(problem.line): \(problem.problem)") }
            if result.rowsRejected > 20 { print("  … and \(result.rowsRejected - 20) more (see Data > Profiles).") }
            if result.status == .failed { throw ExitCode.failure }
        }
    }
}

struct SegmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments",
        abstract: "Work with segments.",
        subcommands: [Create.self, Refresh.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a segment with one group of conditions, then refresh it.",
            discussion:
                "Operators: \(RuleOperator.allCases.map(\.rawValue).joined(separator: ", ")). Example: --condition country:equals:DE --condition lifetime_value:between:100:500"
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The segment's name.") var name: String
        @Option(name: .customLong("condition"), help: "ATTRIBUTE:OPERATOR[:VALUE[:VALUE2]]; repeatable.") var conditions: [String] = []
        @Flag(help: "Match any condition instead of all.") var any = false

        func parsed() throws -> [RuleCondition] {
            try conditions.map { text in
                let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 2, let op = RuleOperator(rawValue: parts[1]) else {
                    throw ValidationError("--condition \(text): expected ATTRIBUTE:OPERATOR[:VALUE[:VALUE2]].")
                }
                return RuleCondition(
                    attribute: parts[0],
                    op: op,
                    value: parts.count > 2 ? parts[2] : "",
                    value2: parts.count > 3 ? parts[3] : ""
                )
            }
        }

        func validate() throws {
            _ = try parsed()
            if let problem = Validate.name(name.trimmingCharacters(in: .whitespaces)) { throw ValidationError("--name: \(problem)") }
        }

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            let rules = SegmentRules(combinator: .all, groups: [RuleGroup(combinator: any ? .any : .all, conditions: try parsed())])
            let attributes = try await database.attributes(tenantId: workspace.id!)
            do {
                _ = try rules.compile(attributes: attributes)
            } catch {
                throw CLIError("Condition \(error.condition + 1): \(error.message)")
            }
            guard try await !database.segmentNameTaken(tenantId: workspace.id!, name: name, except: nil) else {
                throw CLIError("A segment called \(name) already exists.")
            }
            let segment = try await database.saveSegment(
                tenantId: workspace.id!,
                id: nil,
                name: name,
                description: "",
                rules: rules,
                actor: .commandLine,
                now: database.clock.now
            )
            let started = ContinuousClock.now
            let count = try database.refreshSegment(tenantId: workspace.id!, id: segment.id!, now: database.clock.now)
            print(
                "Created \(name): \(count) members"
                    + String(format: " (refreshed in %.2f s).", (ContinuousClock.now - started) / .seconds(1))
            )
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refresh every segment of a workspace (a new generation each).")
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            for summary in try await database.segmentSummaries(tenantId: workspace.id!) {
                let started = ContinuousClock.now
                let count = try database.refreshSegment(tenantId: workspace.id!, id: summary.segment.id!, now: database.clock.now)
                print(
                    "\(summary.segment.name): \(count) members"
                        + String(format: " in %.2f s.", (ContinuousClock.now - started) / .seconds(1))
                )
            }
        }
    }
}

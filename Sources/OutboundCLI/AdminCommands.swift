import ArgumentParser
import Foundation
import OutboundCore
import Secrets
import Store
import Web

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage workspaces (tenants).",
        subcommands: [Create.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a workspace.")
        @OptionGroup var data: DataOptions
        @Option(help: "Short name used in addresses: lower-case letters, digits and dashes, up to 40.") var slug: String
        @Option(help: "The name people see.") var name: String

        func validate() throws {
            if let problem = Validate.slug(slug) { throw ValidationError("--slug: \(problem)") }
            if let problem = Validate.name(name.trimmingCharacters(in: .whitespaces)) { throw ValidationError("--name: \(problem)") }
        }

        func run() async throws {
            let database = try data.openDatabase()
            do {
                let tenant = try await database.createTenant(slug: slug, name: name.trimmingCharacters(in: .whitespaces))
                print("Created workspace \(tenant.name) at \(TenantRoute.root.path(tenant.slug)).")
            } catch StoreError.slugTaken {
                throw CLIError("A workspace with the slug \(slug) already exists.")
            }
        }
    }
}

extension TenantCommand {
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a workspace and everything it holds.",
            discussion: """
                Removes the workspace's exports (their runs stop before their next request), ledgers, run rows, \
                connections with their sealed API keys, profiles, segments, imports, memberships, invitations and its \
                Activity, and the accounts of its members that belong to no other workspace (and are invited to none). \
                Contacts already sent stay in \
                ActiveCampaign. The server's own log records who deleted the workspace. Confirm by repeating the slug: \
                outbound tenant delete --slug acme --confirm acme
                """
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace to delete.") var slug: String
        @Option(help: "The slug again, to confirm.") var confirm: String?

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(slug)
            guard confirm == slug else {
                let profiles = try await database.profileCount(tenantId: workspace.id!)
                throw CLIError(
                    "This deletes the workspace \(workspace.slug) (“\(workspace.name)”) with its \(profiles.formatted()) profiles, "
                        + "exports, connections and Activity, for good. Run again with --confirm \(workspace.slug) to delete it."
                )
            }
            guard let outcome = try await database.deleteTenant(slug: slug, actor: OperatorIdentity.current) else {
                throw CLIError("No workspace has the slug \(slug).")
            }
            print(
                "Deleted the workspace \(slug): \(outcome.profiles.formatted()) profiles, \(outcome.exports) exports, "
                    + "\(outcome.connections) connections, \(outcome.accounts) accounts. Contacts already sent stay in ActiveCampaign."
            )
            if !outcome.logCleared { print(ForgetOutcome.logNotCleared) }
        }
    }
}

/// Who ran a command, for the records it writes: the operating-system account on this host.
enum OperatorIdentity {
    static var current: String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? String(getuid())
        return "command line (\(user)@\(ProcessInfo.processInfo.hostName))"
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage accounts.",
        subcommands: [Create.self, ResetPassword.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a person to a workspace with a role.",
            discussion: """
                A new account's password is read from standard input when it is not a terminal \
                (echo "$PASSWORD" | outbound user create …); otherwise a one-time password is generated and printed once. \
                For an existing account, only the membership is added.
                """
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The person's email address.") var email: String
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "admin, contributor or viewer.") var role: String

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role must be admin, contributor or viewer.") }
            if let problem = Validate.email(email) { throw ValidationError("--email: \(problem)") }
        }

        func run() async throws {
            let (database, workspace) = try await data.openWorkspace(tenant)
            let passwords = PasswordService(parameters: .interactive, threads: 1, queueLimit: 1)
            let existing = try await database.user(email: email)
            var ownPassword: String?
            if existing == nil, isatty(0) == 0 {
                let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                let password = input.hasSuffix("\n") ? String(input.dropLast()) : input
                if let problem = Validate.newPassword(password) { throw CLIError("The password read from standard input: \(problem)") }
                ownPassword = password
            }
            let oneTime = FirstStart.makeOneTimePassword()
            let hash = existing == nil ? try await passwords.hash(ownPassword ?? oneTime) : "unused"
            do {
                switch try await database.addMember(
                    tenantId: workspace.id!,
                    email: email,
                    role: Role(rawValue: role)!,
                    newPasswordHash: hash,
                    mustChangePassword: ownPassword == nil,
                    actor: .commandLine
                ) {
                case .newAccount(let user):
                    if ownPassword != nil {
                        print("Created \(user.email) as \(role) of \(workspace.slug) with the password from standard input.")
                    } else {
                        print("Created \(user.email) as \(role) of \(workspace.slug).\nOne-time password (shown once): \(oneTime)")
                    }
                case .existingAccount(let user):
                    print("Added the existing account \(user.email) as \(role) of \(workspace.slug); their password is unchanged.")
                }
            } catch StoreError.alreadyMember {
                throw CLIError("\(email) is already a member of \(tenant).")
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an account a new one-time password and end all its sessions."
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The account's email address.") var email: String

        func run() async throws {
            let database = try data.openDatabase()
            guard let user = try await database.user(email: email) else { throw CLIError("No account has the email \(email).") }
            let password = FirstStart.makeOneTimePassword()
            let passwords = PasswordService(parameters: .interactive, threads: 1, queueLimit: 1)
            try await database.setPassword(userId: user.id!, hash: try await passwords.hash(password), mustChange: true)
            let ended = try await database.deleteSessions(ofUser: user.id!)
            try await database.recordAccountEvent(
                userId: user.id!,
                actor: .commandLine,
                action: "account.password_reset",
                detail: "Reset the password of \(user.email) and ended \(ended) session(s)"
            )
            print("New one-time password for \(user.email) (shown once): \(password)\nEnded \(ended) session(s).")
        }
    }
}

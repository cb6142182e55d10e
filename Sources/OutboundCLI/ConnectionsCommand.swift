import ActiveCampaign
import ArgumentParser
import Foundation
import OutboundCore
import Secrets
import Store

struct ConnectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Add ActiveCampaign connections from scripts (Admin > Connections does the same).",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect, then save an ActiveCampaign connection. The API key is read from standard input.",
            discussion: """
                The key and host are checked with ActiveCampaign (users/me and one list read) before anything is saved; \
                the key is sealed with the key ring and never printed. --export-user must be an administrator of the \
                workspace; --i-agree records the data-privacy consent in their name.
                """
        )
        @OptionGroup var data: DataOptions
        @Option(help: "The workspace slug.") var tenant: String
        @Option(help: "The display name.") var name: String
        @Option(help: "The REST endpoint hostname from Settings > Developer (e.g. acme.api-us1.com).") var host: String
        @Option(help: "The administrator on whose behalf exports run (email).") var exportUser: String
        @Flag(help: "Contributors may use it too (default: administrators only).") var shared = false
        @Flag(name: .customLong("i-agree"), help: "Agree to the data-privacy consent shown on Admin > Connections.") var agree = false
        @Option(name: .customLong("allow-destination-host"), help: "As for `outbound serve` (the sandbox).")
        var allowDestinationHost: [String] = Environment.list("OUTBOUND_ALLOW_DESTINATION_HOST")

        func run() async throws {
            guard agree else { throw CLIError("The data-privacy consent is required: pass --i-agree.") }
            guard let line = readLine(strippingNewline: true), !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CLIError("Type or pipe the API key on standard input.")
            }
            let apiKey = Redacted(line.trimmingCharacters(in: .whitespaces))
            let (database, vault) = try data.openDatabaseAndVault()
            guard let workspace = try await database.tenant(slug: tenant) else { throw CLIError("No workspace has the slug \(tenant).") }
            guard let user = try await database.user(email: exportUser),
                try await database.tenants(ofUser: user.id!).contains(where: { $0.tenant.id == workspace.id && $0.role == .admin })
            else { throw CLIError("\(exportUser) is not an administrator of \(tenant).") }
            let gateway = ActiveCampaignGateway(policy: HostPolicy(allowedHosts: allowDestinationHost))
            let destination: HostPolicy.Destination
            do { destination = try gateway.policy.normalise(host).destination } catch { throw CLIError(error.description) }
            let account: String
            do {
                account = try await gateway.withClient(destination, apiKey: apiKey) { client throws(ActiveCampaignError) in
                    let me = try await client.me()
                    try await client.checkListAccess()
                    return me.username.isEmpty ? me.email : me.username
                }
            } catch { throw CLIError("Connect failed: \(error.description)") }
            let now = Date()
            let connection = try await database.createConnection(
                Connection(
                    tenantId: workspace.id!,
                    name: name,
                    usableBy: shared ? .contributors : .admins,
                    apiHost: destination.description,
                    accountName: account,
                    exportUserId: user.id!,
                    consentUserId: user.id!,
                    consentAt: now,
                    verifiedAt: now,
                    now: now
                ),
                apiKey: apiKey,
                vault: vault,
                actor: .commandLine
            )
            print("Saved connection \(connection.name) (#\(connection.id!)) to \(destination.description) as \(account).")
        }
    }
}

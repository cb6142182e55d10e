import ActiveCampaign
import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// What a person may do with one export, from the policy and the export's connection. A contributor keeps
/// view-only access to an export whose connection is no longer shared with contributors.
struct ExportPermissions: Sendable, Equatable {
    var canEdit: Bool
    var canRun: Bool
    var canRemove: Bool

    init(policy: Policy, connection: Connection?) {
        canEdit = policy.can(.editExport(connection: connection?.usableBy))
        canRemove = policy.can(.removeExport(connection: connection?.usableBy))
        // A run needs a connection: an export without one would only fail.
        canRun = connection != nil && policy.can(.runExport(connection: connection?.usableBy))
    }
}

/// Why the account behind a connection could not be read, as a sentence for the page.
struct AccountFailure: Error, Sendable {
    var message: String
    /// The API's answer, when it gave one (a missing list, a key without permission).
    var error: ActiveCampaignError?
}

/// The export pages' steps beyond the store: loading an export with its connection and what the person may do
/// with it, and reading the ActiveCampaign account behind a connection with its stored key (its lists, one
/// list, its contact limit). Keys are opened here only for the call and never leave this type.
struct ExportSteps: Sendable {
    let database: AppDatabase
    let vault: Vault
    let gateway: ActiveCampaignGateway

    struct Loaded: Sendable {
        var summary: ExportSummary
        var connection: Connection?
        var permissions: ExportPermissions
        var export: Export { summary.export }
        var id: Int64 { summary.export.id! }
    }

    /// The export named by the route's `:id` in this workspace (404 otherwise), with what the person may do.
    func load(_ context: TenantContext) async throws -> Loaded {
        guard let id = context.parameters.get("id", as: Int64.self),
            let summary = try await database.export(tenantId: context.tenantId, id: id)
        else { throw HTTPError(.notFound) }
        let connection = try await summary.export.connectionId.asyncMap {
            try await database.connection(tenantId: context.tenantId, id: $0)
        }
        return Loaded(
            summary: summary,
            connection: connection ?? nil,
            permissions: ExportPermissions(policy: context.policy, connection: connection ?? nil)
        )
    }

    static let viewOnly = "This export's connection is not shared with contributors, so you can only view it."

    /// The export for an action: 403 before anything is read when the role may not do `action` at all (`message`
    /// says why), 404 for another workspace's id, and 403 when the export's connection does not allow it.
    func load(
        _ context: TenantContext,
        for action: Policy.Action,
        _ message: String,
        allowed: KeyPath<ExportPermissions, Bool>
    ) async throws -> Loaded {
        try context.policy.require(action, message)
        let loaded = try await load(context)
        guard loaded.permissions[keyPath: allowed] else { throw HTTPError(.forbidden, message: Self.viewOnly) }
        return loaded
    }

    /// Connections this person may choose for an export.
    func usableConnections(_ context: TenantContext) async throws -> [Connection] {
        try await database.connections(tenantId: context.tenantId).filter { context.policy.can(.useConnection($0.usableBy)) }
    }

    // MARK: The account behind a connection

    func lists(_ connection: Connection) async -> Result<[ACList], AccountFailure> {
        await withAccount(connection) { client throws(ActiveCampaignError) in try await client.lists() }
    }

    /// The list with this id, checked against the account (an unknown id is `listNotFound`).
    func list(_ connection: Connection, id: String) async -> Result<ACList, AccountFailure> {
        await withAccount(connection) { client throws(ActiveCampaignError) in try await client.list(id: id) }
    }

    /// The account's plan and contact count; only a key of an ActiveCampaign admin may read it.
    func account(_ connection: Connection) async -> Result<ACAccountSettings, AccountFailure> {
        await withAccount(connection) { client throws(ActiveCampaignError) in try await client.accountSettings() }
    }

    private func withAccount<T: Sendable>(
        _ connection: Connection,
        _ body: (ActiveCampaignClient) async throws(ActiveCampaignError) -> T
    ) async -> Result<T, AccountFailure> {
        guard let sealed = connection.apiKeySealed, let context = connection.apiKeyContext,
            let key = try? vault.open(sealed, context: context)
        else {
            return .failure(
                AccountFailure(message: "The connection's stored API key cannot be read; an administrator must enter it again.")
            )
        }
        do {
            let destination = try gateway.policy.normalise(connection.apiHost).destination
            return .success(try await gateway.withClient(destination, apiKey: key, body))
        } catch let refusal as HostPolicy.Refusal {
            return .failure(AccountFailure(message: refusal.description))
        } catch let failure as ActiveCampaignGateway.Failure {
            if case .api(let error) = failure { return .failure(AccountFailure(message: error.description, error: error)) }
            return .failure(AccountFailure(message: failure.description))
        } catch {
            return .failure(AccountFailure(message: "The account could not be reached."))
        }
    }
}

/// How long sending takes at ActiveCampaign's limits, paced as the engine paces it:
///
///     batches  = ⌈contacts / 250⌉                       (the bulk importer's most per request)
///     requests = 3 × batches                            (one bulk import and about two import/info polls each)
///     seconds  = max(batches × 60 / 100,                (100 bulk imports a minute)
///                    requests / 4)                      (4 requests a second, the engine's default)
///              + 3                                      (the last batch's first poll)
///
/// Runs to the same account share both limits and interleave batch by batch, so the contacts other runs still
/// have to send are added to the export's own.
struct SendEstimate: Sendable {
    var requestsPerSecond: Double = 4
    var importsPerMinute: Double = 100
    static let contactsPerBatch = 250
    static let requestsPerBatch = 3.0
    static let firstPollDelay = 3.0

    func seconds(contacts: Int) -> Double {
        guard contacts > 0 else { return 0 }
        let batches = Double((contacts + Self.contactsPerBatch - 1) / Self.contactsPerBatch)
        return max(batches * 60 / importsPerMinute, batches * Self.requestsPerBatch / requestsPerSecond) + Self.firstPollDelay
    }
}

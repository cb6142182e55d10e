import Foundation

/// Everything the sandbox has been told, as JSON, so that `outbound demo` restarts with "ActiveCampaign" still
/// holding what Outbound sent it. Rate-limit windows are not kept: they start empty, as after a quiet minute.
public struct SandboxState: Sendable, Codable {
    struct Account: Sendable, Codable {
        var apiKey: String
        var contacts: [SandboxContact]
        var nextContactId: Int
        var batches: [ImportBatch]
        var batchOrder: [String]
        var lastFinish: Date
        var automationsTriggered: [Int: Int]
        var discardedContacts: [Int: Int]
        var receivedContacts: Int
        var receivedImports: Int
    }

    public var configuration: SandboxConfiguration
    var accounts: [Account]

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> SandboxState {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(SandboxState.self, from: data)
    }

    /// Writes the state to `path` through a temporary file and a rename, so a crash mid-write keeps the last good one.
    public func write(to path: String) throws {
        let data = try encoded()
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }

    public static func read(from path: String) throws -> SandboxState {
        try decode(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension Sandbox {
    /// A copy of the state (cheap: copy-on-write), to encode away from the actor.
    public func state() -> SandboxState {
        SandboxState(
            configuration: configuration,
            accounts: configuration.accounts.compactMap { spec in
                accounts[spec.apiKey].map { account in
                    SandboxState.Account(
                        apiKey: spec.apiKey,
                        contacts: account.contacts.values.sorted { $0.id < $1.id },
                        nextContactId: account.nextContactId,
                        batches: account.batches.values.sorted { $0.queuedAt < $1.queuedAt },
                        batchOrder: account.batchOrder,
                        lastFinish: account.lastFinish,
                        automationsTriggered: account.automationsTriggered,
                        discardedContacts: account.discardedContacts,
                        receivedContacts: account.receivedContacts,
                        receivedImports: account.receivedImports
                    )
                }
            }
        )
    }

    /// A sandbox that continues from `state`: its configuration, accounts, contacts and import queues (a batch
    /// queued before the stop finishes at the time it was due, so it is applied on the next request).
    public static func restoring(_ state: SandboxState, now: @escaping @Sendable () -> Date = { Date() }) async -> Sandbox {
        let sandbox = Sandbox(configuration: state.configuration, now: now)
        await sandbox.restore(state)
        return sandbox
    }

    private func restore(_ state: SandboxState) {
        let revoked = Set(configuration.accounts.map(\.apiKey)).subtracting(state.accounts.map(\.apiKey))
        for key in revoked { accounts[key] = nil }
        for saved in state.accounts {
            guard var account = accounts[saved.apiKey] else { continue }
            account.contacts = Dictionary(uniqueKeysWithValues: saved.contacts.map { ($0.id, $0) })
            account.emailIndex = Dictionary(saved.contacts.map { ($0.email.lowercased(), $0.id) }, uniquingKeysWith: min)
            account.nextContactId = saved.nextContactId
            account.batches = Dictionary(uniqueKeysWithValues: saved.batches.map { ($0.id, $0) })
            account.batchOrder = saved.batchOrder
            account.lastFinish = saved.lastFinish
            account.automationsTriggered = saved.automationsTriggered
            account.discardedContacts = saved.discardedContacts
            account.receivedContacts = saved.receivedContacts
            account.receivedImports = saved.receivedImports
            accounts[saved.apiKey] = account
        }
    }
}

import ActiveCampaign
import Foundation
import Logging
import OutboundCore
import Secrets
import Store

/// Everything a run needs from the engine.
struct EngineContext: Sendable {
    let database: AppDatabase
    let queue: RunQueue
    let work: RunWork
    let vault: Vault
    let gateway: ActiveCampaignGateway
    let pacer: DestinationPacer
    let clock: AppClock
    let backoff: Backoff
    let configuration: EngineConfiguration
    let logger: Logger
    let stopping: @Sendable () -> Bool
}

/// Works one claimed run from where it stands to its end: prepare (checks, freeze, plan) → send and confirm
/// batches → finish. Resumable at every step: the batches are the checkpoints.
struct RunExecutor {
    let context: EngineContext
    let runId: Int64

    /// The rejection reason for contacts ActiveCampaign lists in a completed batch's `failure`.
    static let failureListReason =
        "ActiveCampaign did not import this contact (for example, it is on the account's exclusion list or over the plan's contact limit)."

    func execute() async {
        let owner = context.queue.owner
        do {
            try await work()
        } catch RunStop.noLongerOurs {
            context.logger.info("Run stopped: canceled, removed or taken over", metadata: ["run": "\(runId)"])
        } catch RunStop.shuttingDown {
            await release()
        } catch let failure as RunFailure {
            await fail(failure.reason, owner: owner)
        } catch let error as ActiveCampaignError {
            await fail(error.description, owner: owner)
        } catch let error as RunWork.FreezeProblem {
            await fail(error.description, owner: owner)
        } catch is CancellationError {
            await release()
        } catch {
            // A database hiccup: give the run back; it is taken up again (and fails after a few tries).
            context.logger.warning("Run interrupted", metadata: ["run": "\(runId)", "error": "\(error)"])
            let run = try? await context.work.run(id: runId)
            if let run, run.claims >= 5 {
                await fail("The run was interrupted \(run.claims) times (\(error)).", owner: owner)
            } else {
                await release()
            }
        }
    }

    /// Gives the run back, even from a canceled task (shutdown): a lease held to expiry would delay the next engine.
    private func release() async {
        let queue = context.queue
        let runId = runId
        await Task { try? await queue.release(runId: runId) }.value
    }

    private func fail(_ reason: String, owner: String) async {
        let finished = try? await context.work.finish(runId: runId, owner: owner, failure: reason, now: context.clock.now)
        if let exportId = finished?.exportId { await prune(exportId: exportId) }
        context.logger.notice("Run failed", metadata: ["run": "\(runId)", "reason": "\(reason)"])
    }

    private func work() async throws {
        guard let subject = try await context.work.subject(runId: runId) else { throw RunStop.noLongerOurs }
        let export = subject.export
        guard let connection = subject.connection else {
            throw RunFailure(reason: "This export has no connection. Give it a connection to run it.")
        }
        guard let listId = export.listId, let list = Int(listId) else {
            throw RunFailure(reason: "This export has no ActiveCampaign list id.")
        }
        guard subject.emailPath != nil else {
            throw RunFailure(reason: "This export does not say which profile attribute holds the email address.")
        }
        guard connection.exportUserId != nil, subject.exportUserIsAdmin else {
            let who = subject.exportUserEmail.map { "The export user \($0) is" } ?? "No export user is"
            throw RunFailure(
                reason:
                    "\(who) no longer an administrator of this workspace. An administrator must add themselves as export user on the connection \(connection.name)."
            )
        }
        guard let sealed = connection.apiKeySealed, let sealContext = connection.apiKeyContext,
            let apiKey = try? context.vault.open(sealed, context: sealContext)
        else {
            throw RunFailure(
                reason:
                    "The connection's API key cannot be read (the key ring file may have been replaced). Enter the key again on the connection."
            )
        }
        if subject.run.phase == .prepare, subject.memberCount > context.configuration.exportLimit {
            throw RunFailure(
                reason:
                    "This export's segments hold \(subject.memberCount) profiles, more than the limit of \(context.configuration.exportLimit) per export. Nothing was sent."
            )
        }
        let destination: HostPolicy.Destination
        do { destination = try context.gateway.policy.normalise(connection.apiHost).destination } catch {
            throw RunFailure(reason: error.description)
        }
        let pinned: PinnedClient
        do { pinned = try await context.gateway.open(destination, apiKey: apiKey) } catch { throw RunFailure(reason: error.description) }
        defer { Task { await pinned.close() } }
        let scale = context.gateway.policy.isAllowedByOperator(destination) ? max(context.configuration.paceScale, 0.001) : 1
        let session = PacedSession(
            client: pinned.client,
            host: destination.description,
            runId: runId,
            scale: scale,
            // Counted from this claim: a run confirmed days after the guard held it still gets its full time.
            deadline: context.clock.now.addingTimeInterval(context.configuration.runDeadline),
            context: context
        )
        let sender = BatchSender(
            context: context,
            session: session,
            runId: runId,
            exportId: export.id!,
            list: list,
            excludeAutomations: !export.runAutomations,
            connection: connection
        )
        do {
            try await sender.checkList()
            if subject.run.phase == .prepare {
                var subject = subject
                if export.mirror && export.baselineState == .needed {
                    // Page by page: each page paced, checked and stored before the next (a list may hold millions).
                    var after: String? = "0"
                    while let cursor = after {
                        let page = try await session.call(.standard) { client throws(ActiveCampaignError) in
                            try await client.listMembersPage(listId: listId, afterId: cursor)
                        }
                        try await context.work.addToBaseline(exportId: export.id!, emails: page.contacts.map(\.email))
                        after = page.nextAfterId
                    }
                    try await context.work.markBaselineRead(exportId: export.id!)
                    subject.export.baselineState = .read
                }
                guard try await context.queue.stillOurs(runId: runId, now: context.clock.now) else { throw RunStop.noLongerOurs }
                if export.mirror {
                    // The mirror's removals, and the guard that may hold them for a person, need the whole freeze.
                    guard try await prepare(subject) == .running else { return }
                } else {
                    // Batches go out as the freeze fills them: the first within seconds, not after a million reads.
                    try await prepareWhileSending(subject, sender: sender)
                }
            }
            try await sender.sendAll()
            try await sender.checkList()
        } catch let error as ActiveCampaignError {
            throw RunFailure(reason: try await sender.failureReason(error))
        }
        guard try await context.work.finish(runId: runId, owner: context.queue.owner, failure: nil, now: context.clock.now) != nil else {
            throw RunStop.noLongerOurs
        }
        await prune(exportId: export.id!)
    }

    /// Freezes the run's contacts and ends its prepare phase; returns its state after (Needs confirmation when
    /// the mirror's guard holds it).
    private func prepare(_ subject: RunSubject, planned: @Sendable () -> Void = {}) async throws -> RunState {
        let export = subject.export
        let counts = try await context.work.freeze(subject, planned: planned)
        let state = try await context.work.finishPrepare(
            runId: runId,
            owner: context.queue.owner,
            counts: counts,
            guardPercent: export.mirror ? export.mirrorGuardPercent : nil,
            now: context.clock.now
        )
        guard let state else { throw RunStop.noLongerOurs }
        return state
    }

    /// Prepares while sending: the sender posts each batch the freeze plans. Either side's failure stops the other.
    private func prepareWhileSending(_ subject: RunSubject, sender: BatchSender) async throws {
        let (planning, planned) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { planned.finish() }
                _ = try await prepare(subject) { planned.yield() }
            }
            group.addTask { try await sender.sendAll(planning: planning) }
            // The first failure leaves the closure, which cancels the other side (waitForAll would wait for it).
            while try await group.next() != nil {}
        }
    }

    /// Drops the finished runs' delivered rows; a failure here loses nothing (the next finished run sweeps again).
    private func prune(exportId: Int64) async {
        do { try await context.work.pruneFinishedRuns(exportId: exportId) } catch {
            context.logger.warning("Pruning finished runs failed", metadata: ["export": "\(exportId)", "error": "\(error)"])
        }
    }
}

import ActiveCampaign
import Foundation
import OutboundCore
import Store

/// Sends a run's planned batches through the bulk importer and confirms each with `import/info`, keeping up to
/// `batchesInFlight` batches queued at ActiveCampaign so the importer's limit, not the round trips, sets the pace.
struct BatchSender {
    let context: EngineContext
    let session: PacedSession
    let runId: Int64
    let exportId: Int64
    let list: Int
    let excludeAutomations: Bool
    let connection: Connection

    private var clock: AppClock { context.clock }
    private var configuration: EngineConfiguration { context.configuration }

    func checkList() async throws {
        let listId = String(list)
        _ = try await session.call(.standard) { client throws(ActiveCampaignError) in try await client.list(id: listId) }
    }

    /// A permanent error as the run's reason; a refused key also marks the connection as needing attention.
    func failureReason(_ error: ActiveCampaignError) async throws -> String {
        switch error {
        case .invalidCredentials, .noPermission:
            let reason = "ActiveCampaign refused the connection's API key: \(error.description)"
            try await context.work.connectionNeedsAttention(tenantId: connection.tenantId, connectionId: connection.id!, reason: reason)
            return reason
        case .listNotFound, .notFound:
            return "The ActiveCampaign list \(list) no longer exists in this account. Choose another list for the export."
        default:
            return error.description
        }
    }

    /// Sends and confirms every open batch of the run. With `planning`, the freeze is still adding batches: each
    /// element says some were added, and its end that no more will be; until then the sender takes up new
    /// batches as they come and waits for them when it has nothing else to do.
    func sendAll(planning: AsyncStream<Void>? = nil) async throws {
        var planned: [RunBatch] = []
        var sent: [RunBatch] = []
        if planning == nil {
            // A resumed run's deliveries not yet in the ledger (up to `ledgerMergeContacts`) go in first, so that its
            // next merge, counted from here, stays as small as every other.
            try await context.work.recordDelivered(runId: runId, exportId: exportId)
        }
        // Beside a freeze, only the batches it plans: the ones a crashed attempt left are about to be deleted.
        for batch in planning == nil ? try await context.work.openBatches(runId: runId) : [] {
            if batch.state == .sent { sent.append(batch) } else { planned.append(batch) }
        }
        planned.reverse()  // a stack: popLast takes the lowest sequence first; halves and retries go back on top
        var lastPlanned: Int64 = 0  // the freeze's batches taken up so far (beside a freeze only)
        var morePlanned = planning?.makeAsyncIterator()
        var confirmedSinceListCheck = 0
        var unrecorded = 0
        while !planned.isEmpty || !sent.isEmpty || morePlanned != nil {
            await Task.yield()  // runs interleave batch by batch
            if morePlanned != nil && planned.isEmpty {
                // Nothing planned to post: take up what the freeze added, or wait for it when nothing waits to be
                // confirmed either.
                if sent.isEmpty, await morePlanned?.next() == nil { morePlanned = nil }
                let added = try await context.work.plannedBatches(runId: runId, after: lastPlanned)
                lastPlanned = added.last?.seq ?? lastPlanned
                planned.insert(contentsOf: added.reversed(), at: 0)
                if planned.isEmpty && sent.isEmpty { continue }
            }
            let due = sent.indices.min { sent[$0].pollAfter ?? .distantPast < sent[$1].pollAfter ?? .distantPast }
            let mustPoll = planned.isEmpty || sent.count >= configuration.batchesInFlight
            if let index = due, mustPoll || (sent[index].pollAfter ?? .distantPast) <= clock.now {
                let batch = sent.remove(at: index)
                if let pollAfter = batch.pollAfter, pollAfter > clock.now { try await session.sleep(until: pollAfter) }
                switch try await poll(batch) {
                case .confirmed:
                    if batch.kind == .subscribe { unrecorded += batch.contacts }
                    if unrecorded >= configuration.ledgerMergeContacts {
                        try await context.work.recordDelivered(runId: runId, exportId: exportId)
                        unrecorded = 0
                    }
                    confirmedSinceListCheck += 1
                    if confirmedSinceListCheck >= configuration.listCheckEvery {
                        try await checkList()
                        confirmedSinceListCheck = 0
                    }
                case .waiting(let again): sent.append(again)
                case .sendAgain(let again): planned.append(again)
                }
                continue
            }
            guard let batch = planned.popLast() else { continue }
            switch try await post(batch) {
            case .posted(let posted): sent.append(posted)
            case .again(let batches): planned.append(contentsOf: batches.reversed())
            case .done: break
            }
        }
    }

    // MARK: Posting

    enum PostOutcome {
        case posted(RunBatch)
        case again([RunBatch])
        case done
    }

    private func post(_ batch: RunBatch) async throws -> PostOutcome {
        let (stored, leaseChecked) = try await context.queue.contactsBeforePost(runId: runId, batchSeq: batch.seq, now: clock.now)
        guard !stored.isEmpty else {
            _ = try await context.work.reject(batch, exportId: exportId, seqs: [:], now: clock.now)
            return .done
        }
        if batch.posts >= configuration.maxBatchPosts {
            let reason = "ActiveCampaign's importer did not complete this contact's batch after \(batch.posts) tries."
            _ = try await context.work.reject(
                batch,
                exportId: exportId,
                seqs: Dictionary(uniqueKeysWithValues: try stored.contacts().map { ($0.seq, reason) }),
                now: clock.now
            )
            return .done
        }
        let subscribe = batch.kind == .subscribe ? [list] : []
        let unsubscribe = batch.kind == .unsubscribe ? [list] : []
        var body = BulkImportBody(excludeAutomations: excludeAutomations, expectedContacts: batch.contacts)
        try stored.forEachToSend { contact in
            body.append(
                email: contact.email,
                firstName: contact.firstName,
                lastName: contact.lastName,
                phone: contact.phone,
                subscribe: subscribe,
                unsubscribe: unsubscribe
            )
        }
        let payload = body
        do {
            let ticket = try await session.call(.bulkImport(singleContact: payload.count == 1), leaseChecked: leaseChecked) {
                client throws(ActiveCampaignError) in
                try await client.bulkImport(payload)
            }
            let now = clock.now
            let work = context.work
            let pollAfter = now.addingTimeInterval(configuration.firstPollDelay / session.scale)
            // Recorded even when shutdown cancels this task: a batch ActiveCampaign took keeps its id, or it would
            // be posted again on resume.
            let posted = try await Task {
                try await work.recordPosted(batch, remoteBatchId: ticket.batchId, now: now, pollAfter: pollAfter)
            }.value
            return .posted(posted)
        } catch ActiveCampaignError.payloadRejected(let rejections) {
            return try await refused(batch, contacts: try stored.contacts(), rejections: rejections, message: nil)
        } catch ActiveCampaignError.requestRejected(let status, let message) where [400, 413, 422].contains(status) {
            return try await refused(batch, contacts: try stored.contacts(), rejections: [], message: message)
        }
    }

    /// The importer refused the whole batch. The contacts its reasons name are rejected and the rest go again;
    /// when no reason names a contact, the batch is halved until the culprit is alone.
    private func refused(
        _ batch: RunBatch,
        contacts: [BatchContact],
        rejections: [ActiveCampaignError.Rejection],
        message: String?
    )
        async throws -> PostOutcome
    {
        let bySeq = Dictionary(uniqueKeysWithValues: contacts.map { ($0.email, $0.seq) })
        var named: [Int64: String] = [:]
        for rejection in rejections {
            if let email = rejection.email?.lowercased(), let seq = bySeq[email] {
                named[seq] = rejection.reason
            } else if let index = rejection.index, contacts.indices.contains(index - configuration.failureIndexBase) {
                // ActiveCampaign names the contact by its position (0- or 1-based: unconfirmed upstream, configurable).
                named[contacts[index - configuration.failureIndexBase].seq] = rejection.reason
            }
        }
        if named.isEmpty && contacts.count == 1 {
            let reason = rejections.first?.reason ?? message ?? "ActiveCampaign refused this contact."
            named[contacts[0].seq] = reason
        }
        if !named.isEmpty {
            let left = try await context.work.reject(batch, exportId: exportId, seqs: named, now: clock.now)
            if left == 0 { return .done }
            var again = batch
            again.contacts = left
            return .again([again])
        }
        return .again(try await context.work.split(batch))
    }

    // MARK: Confirming

    enum PollOutcome {
        case confirmed
        case waiting(RunBatch)
        case sendAgain(RunBatch)
    }

    private func poll(_ batch: RunBatch) async throws -> PollOutcome {
        guard let remote = batch.remoteBatchId else { return .sendAgain(try await context.work.replan(batch)) }
        let info: ImportInfo
        do {
            info = try await session.call(.standard) { client throws(ActiveCampaignError) in try await client.importInfo(batchId: remote) }
        } catch ActiveCampaignError.notFound, ActiveCampaignError.requestRejected(status: 400, message: _) {
            return .sendAgain(try await context.work.replan(batch))  // unknown or expired batch id
        }
        let now = clock.now
        switch info.status {
        case .completed:
            try await context.work.confirm(
                batch,
                exportId: exportId,
                failures: info.failure,
                failureReason: Self.failureListReason,
                now: now
            )
            return .confirmed
        case .failed, .interrupted:
            return .sendAgain(try await context.work.replan(batch))
        case .notReady where now.timeIntervalSince(batch.sentAt ?? now) > configuration.batchForgottenAfter / session.scale:
            return .sendAgain(try await context.work.replan(batch))
        default:
            let delay = min(configuration.maxPollDelay, configuration.repollDelay * pow(1.5, Double(min(batch.polls, 20))))
            return .waiting(try await context.work.recordPoll(batch, pollAfter: now.addingTimeInterval(delay / session.scale)))
        }
    }

    static let failureListReason = RunExecutor.failureListReason
}

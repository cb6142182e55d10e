import ActiveCampaign
import ActiveCampaignSandbox
import ExportEngine
import Foundation
import OutboundCore
import Secrets
import Synchronization
import Testing

@testable import Store

/// Stopping, failing, resuming and sharing: cancel, removal, bad key, deleted list, lost export user, detached
/// connection, a lost lease, shutdown, mirror with its guard, fairness and pacing.
@Suite struct EngineControlTests {
    static func isImport(_ request: SandboxRequest) -> Bool { request.method == "POST" && request.path == "/api/3/import/bulk_import" }

    /// Entries in the export's ledger.
    static func ledgerSize(_ world: EngineWorld, _ export: Export) async throws -> Int {
        try await world.database.reader.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportLedger WHERE exportId = ?", arguments: [export.id!]) ?? 0
        }
    }

    /// An engine that sends one batch at a time and merges its deliveries into the ledger every two batches.
    static func oneBatchAtATime(_ world: EngineWorld) -> ExportEngine {
        world.engine {
            $0.batchesInFlight = 1
            $0.ledgerMergeContacts = 500
        }
    }

    @Test func aCanceledRunSendsNoRequestAfterTheCancelCommits() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            let afterCancel = Counter()
            let canceled = Mutex(false)
            world.observer.set { request, _ in
                if canceled.withLock({ $0 }) {
                    _ = afterCancel.next()
                    return
                }
                guard Self.isImport(request), imports.next() == 2 else { return }
                // The cancel commits before ActiveCampaign's answer reaches the engine.
                await world.cancelLastRun()
                canceled.withLock { $0 = true }
            }
            let run = try await world.run(export)
            #expect(run.state == .canceled)
            #expect(run.reason == "Canceled by command line.")
            #expect(afterCancel.current == 0)
            #expect(try await world.received().imports == 2)
        }
    }

    @Test func deliveriesReachTheLedgerWhileARunSendsAndACanceledRunKeepsThem() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let ledger = { @Sendable () async throws -> Int in try await Self.ledgerSize(world, export) }
            let imports = Counter()
            let ledgerAtSixthImport = Mutex<Int?>(nil)
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 6 else { return }
                // One batch at a time: five are confirmed (1,250 contacts); the ledger took them 500 at a time.
                let known = try? await ledger()
                ledgerAtSixthImport.withLock { $0 = known }
                await world.cancelLastRun()
            }
            let canceled = try await world.run(export, engine: Self.oneBatchAtATime(world))
            #expect(canceled.state == .canceled && canceled.accepted == 1_250)
            #expect(ledgerAtSixthImport.withLock { $0 } == 1_000)
            // The cancel recorded the fifth batch too: the next run sends only who did not arrive.
            #expect(try await ledger() == 1_250)
            world.observer.set { _, _ in }
            let next = try await world.run(export)
            #expect(next.state == .succeeded)
            #expect(next.unchanged == 1_250 && next.toSend == 750 && next.accepted == 750)
            #expect(try await ledger() == 2_000)
            #expect(try await world.listStatuses().count == 2_000)
        }
    }

    /// A delivered batch whose stored contacts were damaged (on disk, after ActiveCampaign confirmed it) must not
    /// keep its run from ending: a person's cancel records the other deliveries, and the damaged batch's contacts
    /// simply go again with the next run.
    @Test func aDamagedDeliveredBatchDoesNotKeepItsRunFromBeingCanceled() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let ledger = { @Sendable () async throws -> Int in try await Self.ledgerSize(world, export) }
            let imports = Counter()
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 6 else { return }
                // Five batches are confirmed; the ledger took the first four (500 at a time), not yet the fifth.
                _ = try? await world.database.writer.write { db in
                    try db.execute(sql: "UPDATE runBatchContacts SET payload = substr(payload, 1, 10) WHERE seq = 5")
                }
                await world.cancelLastRun()
            }
            let canceled = try await world.run(export, engine: Self.oneBatchAtATime(world))
            #expect(canceled.state == .canceled && canceled.accepted == 1_250)
            #expect(try await ledger() == 1_000)
            world.observer.set { _, _ in }
            let next = try await world.run(export)
            #expect(next.state == .succeeded)
            #expect(next.unchanged == 1_000 && next.toSend == 1_000 && next.accepted == 1_000)
            #expect(try await ledger() == 2_000)
            #expect(try await world.listStatuses().count == 2_000)
        }
    }

    @Test func aCancelDuringALongWaitIsNoticedWithinSecondsNotAtTheWaitsEnd() async throws {
        // The account's importer takes fewer imports than the engine expects: its "Rate limit exceeded." makes the
        // run wait a minute. A cancel in that minute must free the worker within one wait step.
        var sandbox = EngineWorld.realisticSandbox
        sandbox.importsPerMinuteMulti = 2
        try await EngineWorld.with(sandbox: sandbox, profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            let canceledAt = Mutex<Date?>(nil)
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 3, canceledAt.withLock({ $0 }) == nil else { return }
                // This third import is refused ("Rate limit exceeded."): cancel as the engine starts its wait.
                await world.cancelLastRun()
                canceledAt.withLock { $0 = world.clock.now }
            }
            let run = try await world.run(export)
            #expect(run.state == .canceled)
            let stoppedAfter = world.clock.now.timeIntervalSince(try #require(canceledAt.withLock { $0 }))
            #expect(stoppedAfter < 30)  // the importer's wait is 60 s
            #expect(try await world.received().imports == 2)
        }
    }

    @Test func claimsKeepASlotForOtherWorkspacesAndCanTakeOneRunOnly() async throws {
        try await EngineWorld.with(profiles: profiles(1...10)) { world in
            var runs: [Int64] = []
            for (index, name) in ["One", "Two", "Three"].enumerated() {
                let export = try await world.createExport(name: name, list: index == 0 ? "1" : "2")
                let queued = try await world.queue(export)
                runs.append(queued.run.id!)
            }
            let queue = RunQueue(database: world.database, owner: "engine-a")
            let now = world.clock.now
            // `exports run --wait` without an engine works its own run, not the oldest one.
            #expect(try await queue.claimNext(now: now, only: runs[2])?.id == runs[2])
            #expect(try await queue.claimNext(now: now, excluding: [runs[2]], perTenantLimit: 2)?.id == runs[0])
            // Two of this workspace's runs are in progress: the third waits for a slot.
            #expect(try await queue.claimNext(now: now, excluding: [runs[0], runs[2]], perTenantLimit: 2) == nil)
            #expect(try await queue.claimNext(now: now, excluding: [runs[0], runs[2]], perTenantLimit: 3)?.id == runs[1])
        }
    }

    @Test func statusCountsOnlyEnginesThatStillBeat() async throws {
        let clock = AppClock.manual()
        let database = try AppDatabase.inMemory(clock: clock)
        let started = clock.now
        try await RunQueue(database: database, owner: "killed").beat(now: clock.now, startedAt: started)
        try await RunQueue(database: database, owner: "stopped").beat(now: clock.now, startedAt: started, stopped: true)
        #expect(try await database.engineStatus().runningNodes == 1)
        clock.advance(by: 50)
        try await RunQueue(database: database, owner: "alive").beat(now: clock.now, startedAt: started)
        #expect(try await database.engineStatus().runningNodes == 2)
        clock.advance(by: 20)  // "killed" has been silent for 70 s: SIGKILL leaves no stop behind
        let status = try await database.engineStatus()
        #expect(status.runningNodes == 1)
        #expect(status.lastHeartbeat == started.addingTimeInterval(50))
    }

    @Test func removingAnExportMidRunStopsItsTransferAtOnce() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            let afterRemoval = Counter()
            let removed = Mutex(false)
            world.observer.set { request, _ in
                if removed.withLock({ $0 }) {
                    _ = afterRemoval.next()
                    return
                }
                guard Self.isImport(request), imports.next() == 1 else { return }
                try? await world.database.removeExport(tenantId: world.tenantId, id: export.id!, actor: .commandLine)
                removed.withLock { $0 = true }
            }
            _ = try await world.queue(export)
            await world.engine().runUntilIdle()
            #expect(afterRemoval.current == 0)
            #expect(try await world.database.exports(tenantId: world.tenantId).isEmpty)
            #expect(try await world.database.activity(tenantId: world.tenantId, page: 1).events.contains { $0.action == "export.removed" })
        }
    }

    @Test func removingTheConnectionCancelsQueuedRunsInTheSameTransaction() async throws {
        try await EngineWorld.with(profiles: profiles(1...10)) { world in
            let export = try await world.createExport()
            let queued = try await world.queue(export)
            try await world.database.removeConnection(
                tenantId: world.tenantId,
                id: world.connectionId,
                exports: .detach,
                actor: .commandLine
            )
            let run = try #require(try await world.database.run(tenantId: world.tenantId, id: queued.run.id!))
            #expect(run.state == .canceled)
            #expect(run.reason == "The export lost its connection.")
            await world.engine().runUntilIdle()
            #expect(try await world.received().imports == 0)
            // Run again: it fails at once, saying why.
            let again = try await world.run(export)
            #expect(again.state == .failed)
            #expect(again.reason == "This export has no connection. Give it a connection to run it.")
        }
    }

    @Test func aKeyRevokedMidRunFailsTheRunAndMarksTheConnection() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 2 else { return }
                _ = await world.sandbox.handle(
                    SandboxRequest(
                        method: "POST",
                        path: "/__sandbox/revoke",
                        query: [:],
                        apiToken: EngineWorld.apiKey,
                        body: Data()
                    )
                )
            }
            let run = try await world.run(export)
            #expect(run.state == .failed)
            #expect(run.reason?.hasPrefix("ActiveCampaign refused the connection's API key") == true)
            let connection = try await world.database.connection(tenantId: world.tenantId, id: world.connectionId)
            #expect(connection?.lastError?.hasPrefix("ActiveCampaign refused the connection's API key") == true)
        }
    }

    @Test func aListDeletedMidRunFailsTheRun() async throws {
        try await EngineWorld.with(profiles: profiles(1...3_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 2 else { return }
                _ = await world.sandbox.handle(
                    SandboxRequest(
                        method: "DELETE",
                        path: "/__sandbox/lists/1",
                        query: [:],
                        apiToken: EngineWorld.apiKey,
                        body: Data()
                    )
                )
            }
            let run = try await world.run(export, engine: world.engine { $0.listCheckEvery = 2 })
            #expect(run.state == .failed)
            #expect(run.reason == "The ActiveCampaign list 1 no longer exists in this account. Choose another list for the export.")
            #expect(try await world.received().imports < 12)
        }
    }

    @Test func anExportUserWhoIsNoLongerAdminFailsTheRunWithWhatToDo() async throws {
        try await EngineWorld.with(profiles: profiles(1...10)) { world in
            _ = try await world.database.addMember(
                tenantId: world.tenantId,
                email: "bo@acme.test",
                role: .admin,
                newPasswordHash: "x",
                mustChangePassword: false,
                actor: .commandLine
            )
            try await world.database.changeRole(tenantId: world.tenantId, userId: world.adminId, to: .contributor, actor: .commandLine)
            let export = try await world.createExport()
            let run = try await world.run(export)
            #expect(run.state == .failed)
            #expect(
                run.reason
                    == "The export user alice@acme.test is no longer an administrator of this workspace. An administrator must add themselves as export user on the connection Sandbox."
            )
            #expect(try await world.received().imports == 0)
        }
    }

    @Test func anotherEngineResumesALostRunFromItsLastCheckpointWithoutSendingABatchTwice() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 3 else { return }
                // The worker "dies": its lease is gone and another process's name is on the run.
                try? await world.database.writer.write { db in
                    try db.execute(
                        sql: "UPDATE exportRun SET leaseOwner = 'crashed', leaseExpiresAt = ?",
                        arguments: [world.clock.now.addingTimeInterval(-1)]
                    )
                }
            }
            let queued = try await world.queue(export)
            await world.engine().runUntilIdle()
            let run = try #require(try await world.database.run(tenantId: world.tenantId, id: queued.run.id!))
            #expect(run.state == .succeeded)
            #expect(run.claims == 2)
            #expect(run.accepted == 2_000)
            #expect(try await world.received().contacts == 2_000)
            #expect(try await world.listStatuses().count == 2_000)
        }
    }

    /// A resumed run's deliveries that its lost worker had not yet merged into the ledger go in before it sends
    /// again: its next merge is no larger than any other (the writer is held for one merge's worth at most).
    @Test func aResumedRunRecordsWhatItsLostWorkerDeliveredBeforeSendingAgain() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let imports = Counter()
            let ledgerWhenResumed = Mutex<Int?>(nil)
            world.observer.set { request, _ in
                guard Self.isImport(request) else { return }
                if imports.next() == 6 {
                    // Five batches confirmed, four merged (500 at a time): the worker "dies" with the fifth unmerged.
                    try? await world.database.writer.write { db in
                        try db.execute(
                            sql: "UPDATE exportRun SET leaseOwner = 'crashed', leaseExpiresAt = ?",
                            arguments: [world.clock.now.addingTimeInterval(-1)]
                        )
                    }
                    return
                }
                let resumed = try? await world.database.reader.read { db in
                    try Int.fetchOne(db, sql: "SELECT claims FROM exportRun") == 2
                        ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportLedger") : nil
                }
                if let known = resumed ?? nil { ledgerWhenResumed.withLock { $0 = $0 ?? known } }
            }
            let queued = try await world.queue(export)
            await Self.oneBatchAtATime(world).runUntilIdle()
            let run = try #require(try await world.database.run(tenantId: world.tenantId, id: queued.run.id!))
            #expect(run.state == .succeeded && run.claims == 2 && run.accepted == 2_000)
            #expect(ledgerWhenResumed.withLock { $0 } == 1_250)
            #expect(try await world.listStatuses().count == 2_000)
        }
    }

    /// A planned removal stands for its ledger row (its sequence number is the row's, negated): one forgotten
    /// between the mirror's read of the ledger and the batch's write is left out, and counted so.
    @Test func aRemovalWhoseLedgerRowIsGoneIsLeftOutOfItsBatch() async throws {
        try await EngineWorld.with(profiles: profiles(1...10)) { world in
            let export = try await world.createExport()
            let runId = try await world.queue(export).run.id!
            let (leftOut, stored) = try await world.database.writer.write { db in
                var removals: [BatchContact] = []
                for email in ["a@example.com", "gone@example.com", "b@example.com"] {
                    try db.execute(
                        sql: "INSERT INTO exportLedger (exportId, email, subscribedByExport) VALUES (?, ?, 1)",
                        arguments: [export.id!, email]
                    )
                    removals.append(BatchContact(seq: -db.lastInsertedRowID, email: email))
                }
                try db.execute(sql: "DELETE FROM exportLedger WHERE email = 'gone@example.com'")  // Forget a person
                let leftOut = try RunWork.storePlanned(
                    db,
                    [BatchPlanner.Planned(seq: 1, contacts: removals)],
                    runId: runId,
                    kind: .unsubscribe
                )
                return (leftOut, try RunBatch.contacts(db, runId: runId, seq: 1))
            }
            #expect(leftOut == 1)
            #expect(stored.map(\.email) == ["a@example.com", "b@example.com"])
        }
    }

    @Test func aRunResumedDuringItsFreezeStartsOverWithoutTouchingTheBatchesOfTheAttemptBefore() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            // Two imports ActiveCampaign completed, of other people to another list: the crashed attempt's batch ids.
            var staleIds: [String] = []
            for index in 1...2 {
                let ticket = try await world.client().bulkImport(
                    [BulkContact(email: "decoy\(index)@example.com", subscribe: [2])],
                    excludeAutomations: true
                )
                staleIds.append(ticket.batchId)
            }
            world.clock.advance(by: 120)
            let stale = staleIds
            // The attempt before froze 8 batches; 1 and 2 were confirmed (not yet in the ledger), 3 and 4 were at
            // ActiveCampaign, then its engine died while still preparing.
            let queued = try await world.queue(export)
            let runId = queued.run.id!
            let work = RunWork(database: world.database)
            _ = try await work.freeze(try #require(try await work.subject(runId: runId)))
            let now = world.clock.now
            try await world.database.writer.write { db in
                try db.execute(
                    sql: "UPDATE runBatch SET state = 'confirmed', posts = 1, confirmedAt = ? WHERE runId = ? AND seq IN (1, 2)",
                    arguments: [now, runId]
                )
                for (seq, remote) in zip([3, 4], stale) {
                    try db.execute(
                        sql:
                            "UPDATE runBatch SET state = 'sent', posts = 1, remoteBatchId = ?, sentAt = ?, pollAfter = ? WHERE runId = ? AND seq = ?",
                        arguments: [remote, now, now, runId, seq]
                    )
                }
                try db.execute(
                    sql: """
                        UPDATE exportRun SET state = 'running', phase = 'prepare', startedAt = ?, claims = 1, accepted = 500,
                            batchesConfirmed = 2, leaseOwner = 'crashed', leaseExpiresAt = ? WHERE id = ?
                        """,
                    arguments: [now, now.addingTimeInterval(-1), runId]
                )
            }

            await world.engine().runUntilIdle()
            let run = try #require(try await world.database.run(tenantId: world.tenantId, id: runId))
            #expect(run.state == .succeeded)
            // The confirmed batches' 500 contacts were recorded before the freeze started over: unchanged now.
            #expect(run.unchanged == 500 && run.toSend == 1_500 && run.accepted == 1_500)
            // Everyone else arrived, none of them taken for delivered on the word of the stale batch ids.
            let statuses = try await world.listStatuses()
            #expect(statuses.count == 1_500)
            #expect((501...2_000).allSatisfy { statuses["person\($0)@example.com"] == 1 })
            #expect(try await world.received().contacts == 1_500 + 2)
            let ledger = try await world.database.reader.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exportLedger WHERE exportId = ?", arguments: [export.id!])
            }
            #expect(ledger == 2_000)
        }
    }

    @Test func shutdownGivesTheRunBackAndTheNextEngineFinishesIt() async throws {
        try await EngineWorld.with(profiles: profiles(1...2_000)) { world in
            let export = try await world.createExport()
            let first = world.engine()
            let imports = Counter()
            world.observer.set { request, _ in
                if Self.isImport(request), imports.next() == 2 { first.stop() }
            }
            let queued = try await world.queue(export)
            await first.runUntilIdle()
            let paused = try #require(try await world.database.run(tenantId: world.tenantId, id: queued.run.id!))
            #expect(paused.state == .running && paused.leaseOwner == nil)
            #expect(try await world.received().imports == 2)
            world.observer.set { _, _ in }
            await world.engine().runUntilIdle()
            let run = try #require(try await world.database.run(tenantId: world.tenantId, id: queued.run.id!))
            #expect(run.state == .succeeded && run.accepted == 2_000)
            #expect(try await world.received().contacts == 2_000)
        }
    }

    @Test func mirrorUnsubscribesOnlyWhatItAddedAndHoldsLargeRemovalsForConfirmation() async throws {
        let veteran = TestProfile(id: "veteran", email: "veteran@example.com", firstName: "Vera")
        try await EngineWorld.with(profiles: profiles(1...100) + [veteran]) { world in
            // Vera was on the list before the export.
            _ = try await world.client().bulkImport([BulkContact(email: "veteran@example.com", subscribe: [1])], excludeAutomations: true)
            world.clock.advance(by: 120)
            let export = try await world.createExport(mirror: true, guardPercent: 20)
            let first = try await world.run(export)
            #expect(first.state == .succeeded && first.accepted == 101)

            // Ten people and Vera leave the segment: the ten are unsubscribed, Vera stays.
            var leaving = profiles(1...10, country: "FR")
            var veraLeaves = veteran
            veraLeaves.country = "FR"
            leaving.append(veraLeaves)
            try await world.put(leaving)
            let second = try await world.run(export)
            #expect(second.state == .succeeded)
            #expect(second.toUnsubscribe == 10 && second.unsubscribed == 10)
            var statuses = try await world.listStatuses()
            #expect((1...10).allSatisfy { statuses["person\($0)@example.com"] == 2 })
            #expect(statuses["veteran@example.com"] == 1)

            // Thirty more would be over 20% of the list: the run waits for a person.
            try await world.put(profiles(11...40, country: "FR"))
            let held = try await world.run(export)
            #expect(held.state == .needsConfirmation)
            #expect(held.reason?.contains("more than the export's guard of 20%") == true)
            statuses = try await world.listStatuses()
            #expect(statuses["person11@example.com"] == 1)
            _ = try await world.database.confirmRun(tenantId: world.tenantId, runId: held.id!, actor: .commandLine)
            await world.engine().runUntilIdle()
            let confirmed = try #require(try await world.database.run(tenantId: world.tenantId, id: held.id!))
            #expect(confirmed.state == .succeeded && confirmed.unsubscribed == 30)
            statuses = try await world.listStatuses()
            #expect((11...40).allSatisfy { statuses["person\($0)@example.com"] == 2 })
            #expect(statuses.values.filter { $0 == 1 }.count == 61)
        }
    }

    @Test func aSmallExportOfAnotherTenantIsNotStuckBehindLargeOnes() async throws {
        try await EngineWorld.with(profiles: profiles(1...3_000)) { world in
            let big1 = try await world.createExport(name: "Big one")
            let big2 = try await world.createExport(name: "Big two", list: "2")
            // Globex: its own profiles, segment, connection and a small export to the same account.
            try await world.put(profiles(5_001...5_010), tenantId: world.otherTenantId)
            let globexAttributes = try await world.database.attributes(tenantId: world.otherTenantId)
            let attribute = { (name: String) in globexAttributes.first { $0.name == name }!.id! }
            let segment = try await world.database.saveSegment(
                tenantId: world.otherTenantId,
                id: nil,
                name: "All",
                description: "",
                rules: SegmentRules(
                    combinator: .all,
                    groups: [
                        RuleGroup(
                            combinator: .all,
                            conditions: [
                                RuleCondition(attribute: "country", op: .equals, value: "DE")
                            ]
                        )
                    ]
                ),
                actor: .commandLine,
                now: world.clock.now
            )
            try world.database.refreshSegment(tenantId: world.otherTenantId, id: segment.id!, now: world.clock.now)
            let mallory = try await world.database.addMember(
                tenantId: world.otherTenantId,
                email: "mallory@globex.test",
                role: .admin,
                newPasswordHash: "x",
                mustChangePassword: false,
                actor: .commandLine
            )
            guard case .newAccount(let admin) = mallory else { throw CancellationError() }
            let connection = try await world.database.createConnection(
                Connection(
                    tenantId: world.otherTenantId,
                    name: "Sandbox",
                    usableBy: .admins,
                    apiHost: "127.0.0.1:\(world.port)",
                    exportUserId: admin.id!,
                    consentUserId: admin.id!,
                    consentAt: world.clock.now,
                    now: world.clock.now
                ),
                apiKey: Redacted(EngineWorld.apiKey),
                vault: world.vault,
                actor: .commandLine
            )
            let small = try await world.database.createExport(
                tenantId: world.otherTenantId,
                settings: ExportSettings(
                    name: "Small",
                    connectionId: connection.id,
                    listId: "2",
                    segmentIds: [segment.id!],
                    emailAttributeId: attribute("email")
                ),
                actor: .commandLine,
                now: world.clock.now
            )
            var runs: [Int64] = []
            for (tenant, export) in [(world.tenantId, big1), (world.tenantId, big2), (world.otherTenantId, small)] {
                runs.append(
                    try await world.database.enqueueRun(
                        tenantId: tenant,
                        exportId: export.id!,
                        request: RunRequest(trigger: .manual, userId: nil, by: "test"),
                        actor: .commandLine,
                        now: world.clock.now
                    ).run.id!
                )
            }
            await world.engine { $0.maxConcurrentRuns = 2 }.runUntilIdle()
            let first = try #require(try await world.database.run(tenantId: world.tenantId, id: runs[0]))
            let second = try #require(try await world.database.run(tenantId: world.tenantId, id: runs[1]))
            let smallRun = try #require(try await world.database.run(tenantId: world.otherTenantId, id: runs[2]))
            #expect([first.state, second.state, smallRun.state] == [.succeeded, .succeeded, .succeeded])
            #expect(smallRun.finishedAt! < first.finishedAt!)
            #expect(smallRun.startedAt! < second.startedAt!)
        }
    }

    @Test func pacingKeepsWithinActiveCampaignsLimitsAndNearTheImportersRate() async throws {
        try await EngineWorld.with(profiles: profiles(1...26_000)) { world in
            let export = try await world.createExport()
            let refused = Counter()
            let importTimes = Mutex<[Date]>([])
            world.observer.set { request, response in
                if response.status == 429 || String(decoding: response.body, as: UTF8.self).contains("Rate limit exceeded") {
                    _ = refused.next()
                }
                if Self.isImport(request), response.status == 200 { importTimes.withLock { $0.append(world.clock.now) } }
            }
            let run = try await world.run(export)
            #expect(run.state == .succeeded && run.accepted == 26_000)
            #expect(refused.current == 0)
            let times = importTimes.withLock { $0 }
            #expect(times.count == 104)
            // 104 imports at 100 a minute: the 101st waits for the first minute to pass, and not much longer.
            let span = times[100].timeIntervalSince(times[0])
            #expect(span >= 60 && span <= 63, "101 imports took \(span) s")
        }
    }
}

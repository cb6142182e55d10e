import ActiveCampaign
import ActiveCampaignSandbox
import ExportEngine
import Foundation
import NIOHTTP1
import OutboundCore
import Synchronization
import Testing

@testable import Store

/// The engine against the sandbox at ActiveCampaign's real limits, on a manual clock.
@Suite struct EngineRunTests {
    @Test func theFreezeHandsBatchesToTheSenderAsItFillsThem() async throws {
        // 45,000 profiles are read in five chunks: the first chunk's batches are in the database, ready to send,
        // while the freeze still reads the second.
        try await EngineWorld.with(profiles: profiles(1...45_000)) { world in
            let export = try await world.createExport()
            let queued = try await world.queue(export)
            let work = RunWork(database: world.database)
            let subject = try #require(try await work.subject(runId: queued.run.id!))
            let plannedWhenTold = Mutex<[Int]>([])
            let database = world.database
            let counts = try await work.freeze(subject) {
                let planned = try! database.reader.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runBatch WHERE state = 'planned'") ?? 0
                }
                plannedWhenTold.withLock { $0.append(planned) }
            }
            #expect(counts.toSend == 45_000 && counts.batches == 180)
            #expect(plannedWhenTold.withLock { $0 } == [39, 79, 119, 159, 179, 180])
        }
    }

    @Test func aProfileDeletedWhileItsBatchIsStillFillingIsLeftOut() async throws {
        // The first chunk's 10,000 contacts fill 40 batches; the 40th closes only when the second chunk's first
        // contact arrives, in the next transaction. Profile 9,990 (in it) is deleted in between, as Forget would.
        try await EngineWorld.with(profiles: profiles(1...12_000)) { world in
            let queued = try await world.queue(try await world.createExport())
            let work = RunWork(database: world.database)
            let database = world.database
            let tenantId = world.tenantId
            let deleted = Mutex(false)
            let counts = try await work.freeze(try #require(try await work.subject(runId: queued.run.id!))) {
                guard !deleted.withLock({ $0 }) else { return }
                deleted.withLock { $0 = true }
                try! database.writer.write { db in
                    let row = try Int64.fetchOne(db, sql: "SELECT rowId FROM profile WHERE profileId = 'p9990'")!
                    _ = try AppDatabase.deleteProfiles(db, tenantId: tenantId, rowIds: [row])
                }
            }
            let toSend = try await world.contactsToSend(runId: queued.run.id!)
            #expect(toSend.count == 11_999)
            #expect(!toSend.contains { $0.profileId == "p9990" || $0.email == "person9990@example.com" })
            #expect(counts.members == 11_999 && counts.valid == 11_999 && counts.toSend == 11_999)
        }
    }

    @Test func aProfileDeletedDuringTheFreezeLeavesItsEmailToTheNextProfileThatHoldsIt() async throws {
        // Profile 25,000 (third chunk) and 44,000 (fifth) share an email; 25,000 is deleted once the first chunk is
        // written: the snapshot still reads it, the write finds it gone, and 44,000 is the one sent.
        var people = profiles(1...45_000)
        people[44_000 - 1].email = "person25000@example.com"
        try await EngineWorld.with(profiles: people) { world in
            let export = try await world.createExport()
            let queued = try await world.queue(export)
            let work = RunWork(database: world.database)
            let subject = try #require(try await work.subject(runId: queued.run.id!))
            let database = world.database
            let tenantId = world.tenantId
            let deleted = Mutex(false)
            let counts = try await work.freeze(subject) {
                guard !deleted.withLock({ $0 }) else { return }
                deleted.withLock { $0 = true }
                try! database.writer.write { db in
                    let row = try Int64.fetchOne(db, sql: "SELECT rowId FROM profile WHERE profileId = 'p25000'")!
                    _ = try AppDatabase.deleteProfiles(db, tenantId: tenantId, rowIds: [row])
                }
            }
            #expect(counts.members == 44_999 && counts.duplicates == 0 && counts.toSend == 44_999)
            let sent = try await world.contactsToSend(runId: queued.run.id!).filter { $0.email == "person25000@example.com" }
            let p44000 = try await world.database.reader.read { db in
                try Int64.fetchOne(db, sql: "SELECT rowId FROM profile WHERE profileId = 'p44000'")
            }
            #expect(sent.map(\.seq) == [p44000])
        }
    }

    @Test func aRejectionCountsOnceInARunWhoseFreezeStartedOver() async throws {
        try await EngineWorld.with(profiles: profiles(1...3)) { world in
            let export = try await world.createExport()
            let queued = try await world.queue(export)
            let runId = queued.run.id!
            let work = RunWork(database: world.database)
            try await world.database.writer.write { db in
                try db.execute(sql: "UPDATE exportRun SET state = 'running' WHERE id = ?", arguments: [runId])
            }
            let streak = { @Sendable () async throws -> Int? in
                try await world.database.reader.read { db in
                    try Int.fetchOne(db, sql: "SELECT rejectStreak FROM exportLedger WHERE email = 'person2@example.com'")
                }
            }
            // Person 2 is refused, the engine dies while preparing, the freeze starts over and person 2 is refused again.
            for _ in 1...2 {
                _ = try await work.freeze(try #require(try await work.subject(runId: runId)))
                let batch = try #require(try await work.openBatches(runId: runId).first)
                _ = try await work.reject(batch, exportId: export.id!, seqs: [2: "Refused"], now: world.clock.now)
                #expect(try await streak() == 1)
            }
        }
    }

    /// Two segments that share profiles: each profile is a member once, and an email held by profiles in both
    /// segments is sent once.
    @Test func anExportOverOverlappingSegmentsCountsAndSendsEachProfileOnce() async throws {
        var people = profiles(1...300)
        people.append(TestProfile(id: "f1", email: "f1@example.com", country: "FR"))
        people.append(TestProfile(id: "f2", email: "person7@example.com", country: "FR"))  // p7's email, in the other segment
        try await EngineWorld.with(profiles: people) { world in
            let deOrFrance = try await world.refreshedSegment(
                "DE or FR",
                anyOf: [
                    RuleCondition(attribute: "country", op: .equals, value: "FR"),
                    RuleCondition(attribute: "country", op: .equals, value: "DE"),
                ]
            )
            let export = try await world.createExport(segments: [world.everyoneSegment, deOrFrance])
            let run = try await world.run(export)
            #expect(run.state == .succeeded)
            #expect(run.members == 302 && run.duplicates == 1 && run.valid == 301 && run.accepted == 301)
            let emails = try await world.listContacts().map { $0["email"] as! String }
            #expect(emails.count == 301 && Set(emails).count == 301 && emails.contains("f1@example.com"))
        }
    }

    @Test func aFirstRunSendsEveryValidContactOnceAndASecondRunOnlyWhatChanged() async throws {
        var people = profiles(1...600)
        people.append(TestProfile(id: "x1", email: nil))  // missing
        people.append(TestProfile(id: "x2", email: "not \"an\" e\\mail\u{1} — ü"))  // malformed, awkward to store
        people.append(TestProfile(id: "x3", email: "  Person5@Example.COM "))  // same as p5 after normalising
        people.append(TestProfile(id: "x4", email: "elsewhere@example.com", country: "FR"))  // not in the segment
        try await EngineWorld.with(profiles: people) { world in
            let export = try await world.createExport()
            let first = try await world.run(export)
            #expect(first.state == .succeeded)
            #expect(first.members == 603)
            #expect(first.invalid == 2)
            #expect(first.duplicates == 1)
            #expect(first.valid == 600)
            #expect(first.toSend == 600 && first.accepted == 600 && first.rejected == 0)
            #expect(first.batches == 3)

            let list = try await world.listContacts()
            #expect(list.count == 600)
            #expect(Set(list.map { $0["email"] as! String }) == Set((1...600).map { "person\($0)@example.com" }))
            #expect(list.allSatisfy { ($0["status"] as! NSNumber).intValue == 1 })
            let five = try #require(list.first { $0["email"] as? String == "person5@example.com" })
            #expect(five["firstName"] as? String == "First5")  // the lowest profile id won the email
            #expect(five["phone"] as? String == "+49 30 5")
            // exclude_automations was sent: no automation ran for 600 new subscribers.
            let triggered = try await world.raw(.GET, "/__sandbox/automations")["triggered"] as? [String: Any]
            #expect(triggered?.isEmpty == true)

            // A finished run keeps only the rows a person reads; what was delivered lives in the ledger.
            let kept = try await world.database.reader.read { db in
                (
                    rows: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runContact WHERE runId = ?", arguments: [first.id!]),
                    batchContacts: try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM runBatchContacts WHERE runId = ?",
                        arguments: [first.id!]
                    )
                )
            }
            #expect(kept.rows == 2 && kept.batchContacts == 0)
            let invalid = try await world.database.runProblems(tenantId: world.tenantId, runId: first.id!, kind: .invalid)
            #expect(invalid.compactMap(\.row.profileId).sorted() == ["x1", "x2"])
            #expect(invalid.first { $0.row.profileId == "x2" }?.row.email == "not \"an\" e\\mail\u{1} — ü")  // as it was
            #expect(Set(invalid.map(\.row.reason)) == ["No email address", "Not a valid email address"])

            // Change three, add two: only those five go out.
            var changed = profiles(1...3)
            for index in changed.indices { changed[index].lastName = "Changed" }
            try await world.put(changed + profiles(601...602))
            let before = try await world.received()
            let second = try await world.run(export)
            #expect(second.state == .succeeded)
            #expect(second.toSend == 5 && second.accepted == 5)
            #expect(second.unchanged == 597)
            #expect(try await world.received().contacts - before.contacts == 5)
            let changedOne = try await world.listContacts().first { $0["email"] as? String == "person1@example.com" }
            #expect(changedOne?["lastName"] as? String == "Changed")

            // A full resync sends everyone again.
            let full = try await world.run(export, full: true)
            #expect(full.toSend == 602 && full.accepted == 602 && full.unchanged == 0)
            #expect(try await world.listContacts().count == 602)
        }
    }

    @Test func aRefusalThatNamesNoContactIsHalvedUntilTheCulpritIsAlone() async throws {
        var list = profiles(1...250)
        list[200].email = "refuse.me@example.com"
        let people = list
        try await EngineWorld.with(profiles: people) { world in
            try await world.faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1,"refuseEmailsContaining":"refuse.me","failEmailsContaining":null,"refuseWithoutNaming":true}"#
            )
            let run = try await world.run(try await world.createExport())
            #expect(run.state == .completedWithErrors)
            #expect(run.accepted == 249 && run.rejected == 1)
            let statuses = try await world.listStatuses()
            #expect(statuses.count == 249 && statuses["refuse.me@example.com"] == nil)
            let rejected = try await world.database.runProblems(tenantId: world.tenantId, runId: run.id!, kind: .rejected)
            #expect(rejected.map(\.row.email) == ["refuse.me@example.com"])
            #expect(rejected.first?.row.reason == "One or more contacts could not be validated.")
            // Halving 250 down to the one: about log2(250) refused requests, each contact accepted exactly once.
            let received = try await world.received()
            #expect(received.contacts == 249)
            #expect(run.batches > 8 && run.batches < 20, "\(run.batches) batches")
        }
    }

    @Test func anAccountWithAPaymentProblemFailsTheRunWithAReasonAndSendsNothingMore() async throws {
        try await EngineWorld.with(profiles: profiles(1...300)) { world in
            try await world.faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":1,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1,"refuseEmailsContaining":null,"failEmailsContaining":null}"#
            )
            let run = try await world.run(try await world.createExport())
            #expect(run.state == .failed)
            #expect(run.reason?.contains("payment status (402)") == true, "\(run.reason ?? "")")
            #expect(run.accepted == 0)
            #expect(try await world.received().contacts == 0)
        }
    }

    @Test func anIncrementalRunKeepsTheLowestProfileOfAnEmailWhenOnlyALaterOneChanged() async throws {
        // p5 and x3 share an email; p5 (the lower id) is sent. Later only x3 changes: p5 is unchanged and not
        // written to the run's rows, yet x3 must still count as its duplicate and never be sent.
        var people = profiles(1...10)
        people.append(TestProfile(id: "x3", email: "  Person5@Example.COM ", firstName: "Other"))
        try await EngineWorld.with(profiles: people) { world in
            let export = try await world.createExport()
            let first = try await world.run(export)
            #expect(first.accepted == 10 && first.duplicates == 1)
            try await world.put([TestProfile(id: "x3", email: "person5@example.com", firstName: "Changed again")])
            let before = try await world.received()
            let second = try await world.run(export)
            #expect(second.state == .succeeded)
            #expect(second.toSend == 0 && second.unchanged == 10 && second.duplicates == 1)
            #expect(try await world.received().contacts == before.contacts)
            let five = try await world.listContacts().first { $0["email"] as? String == "person5@example.com" }
            #expect(five?["firstName"] as? String == "First5")
            // Nothing of the unchanged contacts is left in the run's rows.
            let rows = try await world.database.reader.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runContact WHERE runId = ?", arguments: [second.id!])
            }
            #expect(rows == 0)
        }
    }

    @Test func batchesStayUnderTheImportersPayloadLimitWhateverTheContactsSize() async throws {
        // 300 contacts of about 4 KB each: 250 of them would be a 1 MB request, which the importer refuses whole.
        var people = profiles(1...300)
        for index in people.indices { people[index].lastName = String(repeating: "ü", count: 2_000) }
        try await EngineWorld.with(profiles: people) { world in
            let run = try await world.run(try await world.createExport())
            #expect(run.state == .succeeded)
            #expect(run.accepted == 300)
            let received = try await world.received()
            #expect(received.contacts == 300)  // nothing refused and sent again
            #expect(received.imports == run.batches && run.batches > 2)
            #expect(try await world.listContacts().count == 300)
        }
    }

    @Test func changingTheListResetsWhatTheExportKnowsItDelivered() async throws {
        try await EngineWorld.with(profiles: profiles(1...40)) { world in
            let export = try await world.createExport()
            #expect(try await world.run(export).accepted == 40)
            #expect(try await world.run(export).toSend == 0)
            let summary = try #require(try await world.database.export(tenantId: world.tenantId, id: export.id!))
            var settings = ExportSettings(
                name: export.name,
                connectionId: export.connectionId,
                listId: "2",
                segmentIds: summary.segments.map(\.id),
                emailAttributeId: export.emailAttributeId!
            )
            settings.firstNameAttributeId = export.firstNameAttributeId
            let moved = try await world.database.updateExport(
                tenantId: world.tenantId,
                id: export.id!,
                settings: settings,
                actor: .commandLine,
                now: world.clock.now
            )
            let run = try await world.run(moved)
            #expect(run.toSend == 40 && run.accepted == 40)
            #expect(try await world.listStatuses(2).count == 40)
        }
    }

    @Test func runAutomationsWhenTheExportSaysSo() async throws {
        try await EngineWorld.with(profiles: profiles(1...20)) { world in
            let export = try await world.createExport(runAutomations: true)
            #expect(try await world.run(export).state == .succeeded)
            let triggered = try await world.raw(.GET, "/__sandbox/automations")["triggered"] as? [String: Any]
            #expect((triggered?["1"] as? NSNumber)?.intValue == 20)
        }
    }

    @Test func contactsActiveCampaignRefusesAreRejectedWithTheirReasonAndTheRestArrive() async throws {
        var list = profiles(1...300)
        list[10].email = "refuse.me@example.com"  // the importer refuses the whole batch for this one
        list[260].email = "excluded@example.com"  // completes, but listed in the batch's failure
        let people = list
        try await EngineWorld.with(profiles: people) { world in
            try await world.faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1,"refuseEmailsContaining":"refuse.me","failEmailsContaining":"excluded@"}"#
            )
            let export = try await world.createExport()
            let run = try await world.run(export)
            #expect(run.state == .completedWithErrors)
            #expect(run.accepted == 298 && run.rejected == 2)
            let statuses = try await world.listStatuses()
            #expect(statuses.count == 298)
            #expect(statuses["refuse.me@example.com"] == nil && statuses["excluded@example.com"] == nil)
            let rejected = try await world.database.runProblems(tenantId: world.tenantId, runId: run.id!, kind: .rejected)
            #expect(rejected.map(\.row.email) == ["refuse.me@example.com", "excluded@example.com"])
            // Each beside its profile, as a person looks it up (a stored batch keeps no profile ids: they are read).
            #expect(rejected.map(\.row.profileId) == ["p11", "p261"])
            #expect(rejected[0].row.reason.contains("incorrect format"))
            #expect(rejected[1].row.reason.contains("did not import"))

            // Rejects go again next run, at most three runs in a row; then they wait for their profile to change.
            #expect(try await world.run(export).toSend == 2)
            #expect(try await world.run(export).toSend == 2)
            let held = try await world.run(export)
            #expect(held.toSend == 0 && held.held == 2 && held.state == .succeeded)
            var fixed = people[10]
            fixed.email = "fixed@example.com"
            try await world.put([fixed])
            let afterFix = try await world.run(export)
            #expect(afterFix.toSend == 1 && afterFix.accepted == 1)
        }
    }

    @Test func aStormOf429sIsWaitedOutWithoutSpendingRetries() async throws {
        try await EngineWorld.with(profiles: profiles(1...500)) { world in
            try await world.faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":40,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1}"#
            )
            let export = try await world.createExport()
            let run = try await world.run(export, engine: world.engine { $0.maxTransientAttempts = 2 })
            #expect(run.state == .succeeded)
            #expect(try await world.listStatuses().count == 500)
        }
    }

    @Test func serverErrorsOnAFifthOfRequestsAreRetriedUntilEveryoneArrives() async throws {
        try await EngineWorld.with(profiles: profiles(1...1_000)) { world in
            try await world.faults(
                #"{"serverErrorRate":0.2,"serverErrorStatuses":[500,502,504],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":3}"#
            )
            let export = try await world.createExport()
            let run = try await world.run(export)
            #expect(run.state == .succeeded)
            #expect(run.accepted == 1_000)
            #expect(try await world.listStatuses().count == 1_000)
        }
    }

    @Test(arguments: ["failed", "interrupted"])
    func batchesActiveCampaignFailsOrCutsShortAreSentAgain(_ status: String) async throws {
        try await EngineWorld.with(profiles: profiles(1...1_000)) { world in
            try await world.faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0.4,"batchFailureStatus":"\#(status)","seed":5}"#
            )
            let export = try await world.createExport()
            let run = try await world.run(export)
            #expect(run.state == .succeeded)
            #expect(run.accepted == 1_000)
            let statuses = try await world.listStatuses()
            #expect(statuses.count == 1_000 && statuses.values.allSatisfy { $0 == 1 })
            #expect(try await world.received().imports > 4)  // some batches went twice
        }
    }

    @Test func anExportOverTheLimitFailsBeforeSendingAnything() async throws {
        try await EngineWorld.with(profiles: profiles(1...30)) { world in
            let export = try await world.createExport()
            let run = try await world.run(export, engine: world.engine { $0.exportLimit = 25 })
            #expect(run.state == .failed)
            #expect(run.reason?.contains("30 profiles") == true && run.reason?.contains("limit of 25") == true)
            #expect(try await world.received().imports == 0)
        }
    }

    @Test func aContactWhoUnsubscribedStaysUnsubscribed() async throws {
        try await EngineWorld.with(profiles: profiles(1...10)) { world in
            let export = try await world.createExport()
            #expect(try await world.run(export).state == .succeeded)
            let client = world.client()
            let contact = try #require(try await client.contact(email: "person3@example.com"))
            try await client.setListStatus(contactId: contact.id, listId: "1", subscribed: false)
            let full = try await world.run(export, full: true)
            #expect(full.state == .succeeded && full.accepted == 10)
            let statuses = try await world.listStatuses()
            #expect(statuses["person3@example.com"] == 2)
            #expect(statuses.values.filter { $0 == 1 }.count == 9)
            // The engine never used contactLists (status 1 would re-subscribe).
            #expect(try await world.requestCounts()["POST /api/3/contactLists"] == 1)  // the test's own call
        }
    }

    @Test func aSecondRunWhileOneIsQueuedIsSkippedWithWhy() async throws {
        try await EngineWorld.with(profiles: profiles(1...5)) { world in
            let export = try await world.createExport()
            let request = RunRequest(trigger: .schedule, userId: nil, by: "schedule")
            let first = try await world.database.enqueueRun(
                tenantId: world.tenantId,
                exportId: export.id!,
                request: request,
                actor: .commandLine,
                now: world.clock.now
            )
            let second = try await world.database.enqueueRun(
                tenantId: world.tenantId,
                exportId: export.id!,
                request: request,
                actor: .commandLine,
                now: world.clock.now
            )
            guard case .queued = first, case .skipped(let skipped) = second else {
                Issue.record("expected queued then skipped, got \(first) and \(second)")
                return
            }
            #expect(skipped.state == .skipped)
            #expect(skipped.reason == "The previous run (#\(first.run.id!)) is still going.")
            await world.engine().runUntilIdle()
            #expect(try await world.database.run(tenantId: world.tenantId, id: first.run.id!)?.state == .succeeded)
        }
    }

    @Test func aRunOfAnotherWorkspacesExportIsNotFound() async throws {
        try await EngineWorld.with(profiles: profiles(1...5)) { world in
            let export = try await world.createExport()
            await #expect(throws: StoreError.notFound) {
                try await world.database.enqueueRun(
                    tenantId: world.otherTenantId,
                    exportId: export.id!,
                    request: RunRequest(trigger: .manual, userId: nil, by: "mallory"),
                    actor: .commandLine,
                    now: world.clock.now
                )
            }
            let run = try await world.run(export)
            #expect(try await world.database.run(tenantId: world.otherTenantId, id: run.id!) == nil)
            #expect(try await world.database.runProblems(tenantId: world.otherTenantId, runId: run.id!, kind: .invalid).isEmpty)
            await #expect(throws: RunCommandProblem.notFound) {
                try await world.database.cancelRun(tenantId: world.otherTenantId, runId: run.id!, actor: .commandLine, now: world.clock.now)
            }
        }
    }
}

import Foundation
import GRDB
import OutboundCore
import Testing

@testable import Store

/// Issue 16's privacy tooling: forgetting a person and deleting a workspace leave nothing behind.
@Suite struct PrivacyTests {
    let actor = Actor(userId: nil, email: "command line (ops@host)", clientAddress: "local")

    @Test func forgettingAPersonLeavesTheirEmailNowhereInTheDatabaseFile() async throws {
        var people = profiles(1...300)
        people[6].email = "Forget.Me@Example.com"  // accepted: in the ledger
        people[20].email = "refuse.forget@example.com"  // refused by ActiveCampaign: kept as a rejected row
        people[30].email = "broken forget@example"  // malformed: kept as an invalid row
        people.append(TestProfile(id: "dup", email: "  forget.me@example.COM "))  // the same person in another profile
        people[40].email = "nbsp@example.com\u{00A0}"  // a spreadsheet's no-break space: the engine sends it trimmed
        people[50].firstName = "Forget.Me@example.com"  // someone else's profile naming the person (a referrer)
        let directory = try temporaryDirectory()
        let path = directory + "/outbound.sqlite"
        try await EngineWorld.with(profiles: people, databasePath: path) { world in
            try await world.faults(
                #"{"serverErrorRate":0,"serverErrorStatuses":[],"paymentRequiredRate":0,"burst429":0,"addedLatencyMs":0,"batchFailureRate":0,"batchFailureStatus":"failed","seed":1,"refuseEmailsContaining":"refuse.forget","failEmailsContaining":null}"#
            )
            let run = try await world.run(try await world.createExport())
            #expect(run.rejected == 1 && run.invalid == 1)
            let before = try Self.fileBytes(path, checkpointing: world.database)
            for email in ["forget.me@example.com", "refuse.forget@example.com", "broken forget@example"] {
                #expect(before.contains(email), "the export recorded \(email) before it is forgotten")
            }

            let secureDelete = try await world.database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA secure_delete") }
            let first = try await world.database.forgetPerson(tenantId: world.tenantId, email: "FORGET.me@example.com ", actor: actor)
            #expect(first.profiles == 2)  // both profiles holding it as their email, however written
            #expect(first.valuesCleared == 1)  // the other profile stays, without the value
            #expect(first.deliveryRecords == 1)
            #expect(try await world.database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA secure_delete") } == secureDelete)
            let referrer = try await world.database.profiles(tenantId: world.tenantId, afterRowId: 0, limit: 1_000, search: "p51")
            #expect(referrer.count == 1 && referrer[0].values.count == 4, "the referrer keeps email, last name, phone, country")
            let spaced = try await world.database.forgetPerson(tenantId: world.tenantId, email: "nbsp@example.com", actor: actor)
            #expect(spaced.profiles == 1 && spaced.deliveryRecords == 1)
            let second = try await world.database.forgetPerson(tenantId: world.tenantId, email: "refuse.forget@example.com", actor: actor)
            #expect(second.profiles == 1 && second.runRows == 1)
            let third = try await world.database.forgetPerson(tenantId: world.tenantId, email: "broken forget@example", actor: actor)
            #expect(third.profiles == 1 && third.runRows == 1)

            // Overwritten as deleted: gone from the file once the WAL is folded in, before any VACUUM too.
            let forgotten = [
                "forget.me@example.com", "refuse.forget@example.com", "broken forget@example", "Forget.Me@Example.com", "nbsp@example.com",
            ]
            let checkpointed = try Self.fileBytes(path, checkpointing: world.database, vacuum: false)
            for email in forgotten {
                #expect(!checkpointed.contains(email), "\(email) is still in the database file's free space")
            }
            let after = try Self.fileBytes(path, checkpointing: world.database)
            for email in forgotten {
                #expect(!after.contains(email), "\(email) is still somewhere in the database file")
            }
            #expect(after.contains("person8@example.com"), "the others are still there")
            #expect(try await world.database.profileCount(tenantId: world.tenantId) == 296)
            let problems = try await world.database.runProblems(tenantId: world.tenantId, runId: run.id!, kind: .rejected)
            #expect(problems.isEmpty)

            let events = try await world.database.reader.read { db in
                try String.fetchAll(db, sql: "SELECT detail FROM activity WHERE action = 'profiles.forgotten' ORDER BY id")
            }
            #expect(events.count == 4)
            #expect(events[0].contains("removed 2 profile(s), 1 value(s) in other profiles, 1 delivery record(s)"))
            #expect(events.allSatisfy { !$0.contains("@") })
        }
    }

    @Test func forgetTakesThePersonOutOfARunThatHasNotSentThemYet() async throws {
        try await EngineWorld.with(profiles: profiles(1...600)) { world in
            let queued = try await world.queue(try await world.createExport())
            let work = RunWork(database: world.database)
            _ = try await work.freeze(try #require(try await work.subject(runId: queued.run.id!)))
            #expect(try await world.contactsToSend(runId: queued.run.id!).contains { $0.email == "person305@example.com" })
            let p305 = try await world.database.reader.read { db in
                try Int64.fetchOne(db, sql: "SELECT rowId FROM profile WHERE profileId = 'p305'")
            }

            let outcome = try await world.database.forgetPerson(tenantId: world.tenantId, email: "Person305@example.com", actor: actor)
            #expect(outcome.profiles == 1 && outcome.runRows == 1)
            let left = try await world.contactsToSend(runId: queued.run.id!)
            #expect(left.count == 599 && !left.contains { $0.email == "person305@example.com" || $0.seq == p305 })
            let batches = try await work.openBatches(runId: queued.run.id!)
            #expect(batches.map(\.contacts) == [250, 249, 100])  // what each batch says it holds
        }
    }

    /// A stored contact is the person's by its profile too. Here the export sends the profile's work address, and
    /// the person is forgotten by their private one, which another export sends: only the contact's sequence number
    /// (the profile's row id) ties it to them.
    @Test func forgetTakesOutAContactSentUnderAnotherAddressOfTheirProfile() async throws {
        var people = profiles(1...300)
        people[4] = TestProfile(id: "p5", email: "work5@example.com", firstName: "Five", lastName: "Private.Five@example.com")
        try await EngineWorld.with(profiles: people) { world in
            let queued = try await world.queue(try await world.createExport())
            _ = try await world.database.createExport(
                tenantId: world.tenantId,
                settings: ExportSettings(
                    name: "Private addresses",
                    connectionId: world.connectionId,
                    listId: "2",
                    segmentIds: [world.everyoneSegment],
                    emailAttributeId: world.attributes["last_name"]!
                ),
                actor: .commandLine,
                now: world.clock.now
            )
            let work = RunWork(database: world.database)
            _ = try await work.freeze(try #require(try await work.subject(runId: queued.run.id!)))
            #expect(try await world.contactsToSend(runId: queued.run.id!).contains { $0.email == "work5@example.com" })

            let outcome = try await world.database.forgetPerson(tenantId: world.tenantId, email: "private.five@example.com", actor: actor)
            #expect(outcome.profiles == 1 && outcome.runRows == 1)
            let left = try await world.contactsToSend(runId: queued.run.id!)
            #expect(left.count == 299 && !left.contains { $0.email == "work5@example.com" || $0.firstName == "Five" })
        }
    }

    @Test func forgetSaysSoWhenAnExportsSnapshotKeepsTheLogFromBeingEmptied() async throws {
        try await EngineWorld.with(profiles: profiles(1...20)) { world in
            // An export's freeze reads from a snapshot like this one for as long as it prepares.
            let snapshot = try world.database.consistentReader()
            #expect(try await snapshot.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profile") } == 20)
            let held = try await world.database.forgetPerson(tenantId: world.tenantId, email: "person3@example.com", actor: .commandLine)
            #expect(held.profiles == 1 && !held.logCleared)
            withExtendedLifetime(snapshot) {}
        }
        try await EngineWorld.with(profiles: profiles(1...20)) { world in
            let cleared = try await world.database.forgetPerson(tenantId: world.tenantId, email: "person3@example.com", actor: .commandLine)
            #expect(cleared.profiles == 1 && cleared.logCleared)
        }
    }

    @Test func deletingAWorkspaceLeavesNoRowOfItInAnyTable() async throws {
        try await EngineWorld.with(profiles: profiles(1...120)) { world in
            let run = try await world.run(try await world.createExport())
            #expect(run.state == .succeeded)
            try await world.put(profiles(500...510), tenantId: world.otherTenantId)
            let database = world.database
            let tenantId = world.tenantId
            // What the workspace owns through parents without a tenantId column, collected before it goes.
            let owned = try await database.reader.read { db in
                (
                    segments: try Int64.fetchAll(db, sql: "SELECT id FROM segment WHERE tenantId = ?", arguments: [tenantId]),
                    exports: try Int64.fetchAll(db, sql: "SELECT id FROM export WHERE tenantId = ?", arguments: [tenantId]),
                    runs: try Int64.fetchAll(db, sql: "SELECT id FROM exportRun WHERE tenantId = ?", arguments: [tenantId])
                )
            }
            #expect(!owned.segments.isEmpty && !owned.exports.isEmpty && !owned.runs.isEmpty)
            // Alice belongs to Acme only; Bob to Acme and Globex; Carol, an account of her own, was only invited to Acme.
            let other = world.otherTenantId
            try await database.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO user (email, passwordHash, createdAt) VALUES ('bob@example.com', 'x', '2026-01-01'),
                            ('carol@example.com', 'x', '2026-01-01')
                        """
                )
                let bob = "(SELECT id FROM user WHERE email = 'bob@example.com')"
                let carol = "(SELECT id FROM user WHERE email = 'carol@example.com')"
                try db.execute(
                    sql:
                        "INSERT INTO membership (tenantId, userId, role, createdAt) VALUES (?, \(bob), 'viewer', '2026-01-01'), (?, \(bob), 'admin', '2026-01-01')",
                    arguments: [tenantId, other]
                )
                try db.execute(
                    sql: """
                        INSERT INTO invitation (tenantId, userId, email, role, invitedByEmail, createdAt)
                        VALUES (?, \(carol), 'carol@example.com', 'viewer', 'alice@acme.test', '2026-01-01')
                        """,
                    arguments: [tenantId]
                )
                try db.execute(
                    sql: """
                        INSERT INTO session (tokenHash, userId, csrfToken, clientAddress, userAgent, createdAt, lastSeenAt, expiresAt)
                        SELECT 'h', id, 'c', '127.0.0.1', 'test', '2026-01-01', '2026-01-01', '2099-01-01' FROM user
                        WHERE email = 'alice@acme.test'
                        """
                )
            }

            let outcome = try #require(try await database.deleteTenant(slug: "acme", actor: "command line (ops@host)"))
            #expect(outcome.profiles == 120 && outcome.exports == 1 && outcome.connections == 1 && outcome.accounts == 1)
            let accounts = try await database.reader.read { db in
                (
                    emails: try String.fetchAll(db, sql: "SELECT email FROM user ORDER BY email"),
                    sessions: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM session") ?? -1
                )
            }
            #expect(accounts.emails == ["bob@example.com", "carol@example.com"])
            #expect(accounts.sessions == 0)

            func ids(_ list: [Int64]) -> String { "(" + (list.isEmpty ? "NULL" : list.map(String.init).joined(separator: ",")) + ")" }
            let ownedThrough: [String: String] = [
                "segmentMember": "segmentId IN \(ids(owned.segments))",
                "exportSegment": "exportId IN \(ids(owned.exports))",
                "exportLedger": "exportId IN \(ids(owned.exports))",
                "exportBaseline": "exportId IN \(ids(owned.exports))",
                "runContact": "runId IN \(ids(owned.runs))",
                "runBatch": "runId IN \(ids(owned.runs))",
                "runBatchContacts": "runId IN \(ids(owned.runs))",
            ]
            // Server-wide tables: accounts may belong to other workspaces; the server's log names the deletion.
            let global: Set<String> = ["user", "session", "engineNode", "grdb_migrations", "serverActivity"]
            let leftovers = try await database.reader.read { db in
                var found: [String: Int] = [:]
                let tables = try String.fetchAll(
                    db,
                    sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
                for table in tables {
                    let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }
                    let condition: String
                    if table == "tenant" {
                        condition = "id = \(tenantId)"
                    } else if columns.contains("tenantId") {
                        condition = "tenantId = \(tenantId)"
                    } else if let through = ownedThrough[table] {
                        condition = through
                    } else if global.contains(table) {
                        continue
                    } else {
                        Issue.record("table \(table) is not covered: say how a workspace owns its rows, or that it is server-wide")
                        continue
                    }
                    let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? 0
                    if count > 0 { found[table] = count }
                }
                return found
            }
            #expect(leftovers.isEmpty, "rows of the deleted workspace: \(leftovers)")

            // The other workspace is untouched, and its Activity is still append-only.
            #expect(try await database.profileCount(tenantId: world.otherTenantId) == 11)
            #expect(try await database.tenant(slug: "globex") != nil)
            await #expect(throws: DatabaseError.self) {
                try await database.writer.write { db in
                    try db.execute(sql: "DELETE FROM activity WHERE tenantId = ?", arguments: [world.otherTenantId])
                }
            }
            let log = try await database.serverActivity()
            #expect(log.count == 1)
            #expect(log[0].actor == "command line (ops@host)")
            #expect(log[0].detail.contains("acme") && log[0].detail.contains("120 profiles"))
        }
    }

    /// The database file's bytes after the WAL is folded in and the file rewritten, as someone reading the disk
    /// would find them.
    static func fileBytes(_ path: String, checkpointing database: AppDatabase, vacuum: Bool = true) throws -> String {
        try database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            if vacuum {
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        if let wal = FileManager.default.contents(atPath: path + "-wal") { bytes.append(wal) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func withNoKnownEmailAttributeEveryProfileHoldingTheEmailIsForgotten() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(
            "profile_id,contact,name\n1,x@example.com,Xena\n2,y@example.com,Yann\n",
            into: fixture.database,
            tenantId: fixture.tenantId
        )
        let outcome = try await fixture.database.forgetPerson(tenantId: fixture.tenantId, email: "X@example.com", actor: actor)
        #expect(outcome.profiles == 1 && outcome.valuesCleared == 0)
        #expect(try await fixture.profiles().keys.sorted() == ["2"])
    }

    @Test func importProblemsGoOnlyWhenTheyNameTheEmailAsAWord() {
        #expect(AppDatabase.names("Line 4: 'a@b.co' is not a number", "a@b.co"))
        #expect(AppDatabase.names("line 9: A@B.CO, then more", "a@b.co"))
        #expect(!AppDatabase.names("Line 4: xa@b.com is not a number", "a@b.co"))
        #expect(!AppDatabase.names("Line 4: a@b.com", "a@b.co"))
    }
}

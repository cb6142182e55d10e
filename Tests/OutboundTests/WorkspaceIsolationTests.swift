import Foundation
import GRDB
import ProfileImport
import Testing

@testable import Store

/// Segment members stay in their workspace: profile row ids are never reused, memberships go with their
/// profiles, every member read checks the tenant, and an export can use only its own workspace's segments.
@Suite struct WorkspaceIsolationTests {
    struct TwoWorkspaces {
        let database: AppDatabase
        let a: Int64
        let b: Int64

        static func make() async throws -> TwoWorkspaces {
            let database = try AppDatabase.inMemory()
            let a = try await database.createTenant(slug: "a", name: "A").id!
            let b = try await database.createTenant(slug: "b", name: "B").id!
            return TwoWorkspaces(database: database, a: a, b: b)
        }

        func segment(_ tenantId: Int64, _ name: String = "Everyone") async throws -> Int64 {
            let rules = SegmentRules(
                combinator: .all,
                groups: [
                    RuleGroup(
                        combinator: .all,
                        conditions: [
                            RuleCondition(attribute: "email", op: .isNotEmpty, value: "", value2: "")
                        ]
                    )
                ]
            )
            return try await database.refreshedSegment(tenantId: tenantId, name: name, rules: rules, now: .now)
        }

        func memberCount(_ tenantId: Int64, _ segmentId: Int64) async throws -> Int {
            try #require(try await database.segment(tenantId: tenantId, id: segmentId)).memberCount
        }
    }

    @Test func afterAWorkspaceDeletesItsProfilesItsSegmentNeverListsAnothersProfiles() async throws {
        let world = try await TwoWorkspaces.make()
        _ = try await importCSV("profile_id,email\na1,one@a.example\na2,two@a.example\n", into: world.database, tenantId: world.a)
        let segment = try await world.segment(world.a)
        #expect(try await world.database.segmentMemberIds(tenantId: world.a, segmentId: segment) == ["a1", "a2"])

        #expect(try await world.database.deleteAllProfiles(tenantId: world.a, actor: .commandLine) == 2)
        // The memberships went with the profiles, and the count says so at once.
        #expect(try await world.database.segmentMemberIds(tenantId: world.a, segmentId: segment).isEmpty)
        #expect(try await world.memberCount(world.a, segment) == 0)

        _ = try await importCSV("profile_id,email\nb1,one@b.example\nb2,two@b.example\n", into: world.database, tenantId: world.b)
        #expect(try await world.database.segmentMemberIds(tenantId: world.a, segmentId: segment).isEmpty)
        let rowIds = try await world.database.reader.read { db in try Int64.fetchAll(db, sql: "SELECT rowId FROM profile ORDER BY rowId") }
        #expect(rowIds == [3, 4], "the freed ids 1 and 2 are never given to another profile")
    }

    @Test func replaceAllRemovesTheMembershipsOfTheProfilesItRemoves() async throws {
        let world = try await TwoWorkspaces.make()
        _ = try await importCSV(
            "profile_id,email\na1,one@a.example\na2,two@a.example\na3,three@a.example\n",
            into: world.database,
            tenantId: world.a
        )
        let segment = try await world.segment(world.a)
        var options = ImportOptions()
        options.replaceAll = true
        _ = try await importCSV("profile_id,email\na2,two@a.example\n", into: world.database, tenantId: world.a, options: options)
        #expect(try await world.database.segmentMemberIds(tenantId: world.a, segmentId: segment) == ["a2"])
        #expect(try await world.memberCount(world.a, segment) == 1)
        let left = try await world.database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM segmentMember") }
        #expect(left == 1)
    }

    @Test func aMemberRowPointingAtAnotherWorkspacesProfileIsNeverRead() async throws {
        let world = try await TwoWorkspaces.make()
        _ = try await importCSV("profile_id,email\na1,one@a.example\n", into: world.database, tenantId: world.a)
        _ = try await importCSV("profile_id,email\nb1,one@b.example\n", into: world.database, tenantId: world.b)
        let segment = try await world.segment(world.a)
        // A stray row (as an older version could leave) naming B's profile in A's segment.
        try await world.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO segmentMember (segmentId, generation, profileRowId)
                    SELECT segment.id, segment.generation, profile.rowId FROM segment, profile
                    WHERE segment.id = ? AND profile.profileId = 'b1'
                    """,
                arguments: [segment]
            )
        }
        #expect(try await world.database.segmentMemberIds(tenantId: world.a, segmentId: segment) == ["a1"])
    }

    @Test func anExportUsesOnlyItsOwnWorkspacesSegments() async throws {
        let world = try await TwoWorkspaces.make()
        for tenantId in [world.a, world.b] {
            _ = try await importCSV("profile_id,email\np1,one@example.com\n", into: world.database, tenantId: tenantId)
        }
        let theirs = try await world.segment(world.b)
        let export = try await world.database.createExport(tenantId: world.a, name: "Weekly", connectionId: nil, listId: "1")
        await #expect(throws: StoreError.notFound) {
            try await world.database.linkExport(tenantId: world.a, exportId: export.id, segmentId: theirs)
        }
        // The schema refuses it too, whoever writes the row.
        await #expect(throws: DatabaseError.self) {
            try await world.database.writer.write { db in
                try db.execute(sql: "INSERT INTO exportSegment (exportId, segmentId) VALUES (?, ?)", arguments: [export.id, theirs])
            }
        }
        let ours = try await world.segment(world.a, "Ours")
        try await world.database.linkExport(tenantId: world.a, exportId: export.id, segmentId: ours)
        #expect(try await world.database.exportsUsing(tenantId: world.a, segmentId: ours).map(\.name) == ["Weekly"])
    }
}

@Suite struct ProfileIdMigrationTests {
    @Test func theRebuildKeepsIdsDropsStrayMembersAndNeverHandsOutAFreedId() throws {
        let queue = try DatabaseQueue(configuration: AppDatabase.configuration())
        try AppDatabase.migrator.migrate(queue, upTo: "v5 import jobs that wait for an id column")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tenant (id, slug, name, createdAt) VALUES (1, 'a', 'A', CURRENT_TIMESTAMP), (2, 'b', 'B', CURRENT_TIMESTAMP);
                    INSERT INTO profile (rowId, tenantId, profileId, updatedAt) VALUES (1, 1, 'a1', CURRENT_TIMESTAMP),
                        (2, 1, 'a2', CURRENT_TIMESTAMP), (3, 2, 'b1', CURRENT_TIMESTAMP);
                    INSERT INTO segment (id, tenantId, name, rules, generation, memberCount, createdAt, updatedAt)
                        VALUES (1, 1, 'All', '{}', 1, 4, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
                    -- a1 and a2 are members; 3 is B's profile; 9 was deleted without its membership.
                    INSERT INTO segmentMember (segmentId, generation, profileRowId) VALUES (1, 1, 1), (1, 1, 2), (1, 1, 3), (1, 1, 9);
                    DELETE FROM profile WHERE rowId = 2;
                    """
            )
        }
        try AppDatabase.migrator.migrate(queue)
        try queue.write { db in
            #expect(try Int64.fetchAll(db, sql: "SELECT rowId FROM profile ORDER BY rowId") == [1, 3])
            #expect(try Int64.fetchAll(db, sql: "SELECT profileRowId FROM segmentMember ORDER BY profileRowId") == [1])
            #expect(try Int.fetchOne(db, sql: "SELECT memberCount FROM segment") == 1)
            try db.execute(sql: "DELETE FROM profile WHERE rowId = 3")
            try db.execute(sql: "INSERT INTO profile (tenantId, profileId, updatedAt) VALUES (2, 'b2', CURRENT_TIMESTAMP)")
            #expect(db.lastInsertedRowID == 4)
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO profile (tenantId, profileId, updatedAt) VALUES (1, 'a1', CURRENT_TIMESTAMP)")
            }
        }
    }
}

@Suite struct BatchContactsMigrationTests {
    /// A run still going when v16 arrives keeps every contact it has to send or to record; the rows a person reads
    /// stay rows; a finished run keeps nothing else.
    @Test func unfinishedRunsTakeTheirBatchesContactsAlong() async throws {
        let queue = try DatabaseQueue(configuration: AppDatabase.configuration())
        try AppDatabase.migrator.migrate(
            queue,
            upTo: "v15 run contacts without an email index, batches recorded in the ledger, streaks per run"
        )
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tenant (id, slug, name, createdAt) VALUES (1, 'a', 'A', CURRENT_TIMESTAMP);
                    INSERT INTO export (id, tenantId, name, createdAt, updatedAt) VALUES (1, 1, 'News', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
                    INSERT INTO exportRun (id, tenantId, exportId, trigger, requestedBy, state, phase, queuedAt)
                        VALUES (1, 1, 1, 'manual', 'test', 'running', 'send', CURRENT_TIMESTAMP),
                               (2, 1, 1, 'manual', 'test', 'failed', 'done', CURRENT_TIMESTAMP);
                    INSERT INTO runBatch (runId, seq, kind, state, contacts, recorded) VALUES
                        (1, 1, 'subscribe', 'confirmed', 2, 1), (1, 2, 'subscribe', 'confirmed', 2, 0),
                        (1, 3, 'subscribe', 'sent', 2, 0), (2, 1, 'subscribe', 'planned', 1, 0);
                    INSERT INTO runContact (runId, seq, email, profileId, firstName, fingerprint, action, batchSeq, outcome, reason) VALUES
                        (1, 1, 'a@example.com', 'p1', 'Ann', 'f1', 'send', 1, 'accepted', NULL),
                        (1, 2, 'b@example.com', 'p2', NULL, 'f2', 'send', 1, 'rejected', 'Refused'),
                        (1, 3, 'c@example.com', 'p3', 'Cy', 'f3', 'send', 2, 'accepted', NULL),
                        (1, 4, 'd@example.com', 'p4', NULL, 'f4', 'send', 2, 'rejected', 'Refused'),
                        (1, 5, 'e@example.com', 'p5', 'Eve', 'f5', 'send', 3, NULL, NULL),
                        (1, 6, 'f@example.com', 'p6', NULL, 'f6', 'send', 3, NULL, NULL),
                        (1, 7, 'not an email', 'p7', NULL, NULL, 'invalid', NULL, NULL, 'Not a valid email address'),
                        (2, 1, 'g@example.com', 'p8', NULL, 'f8', 'send', 1, NULL, NULL);
                    """
            )
        }
        try AppDatabase.migrator.migrate(queue)
        let (batches, counts, rows) = try await queue.read { db in
            let batches = try [(1, 1), (1, 2), (1, 3), (2, 1)].map { run, seq in
                try RunBatch.contacts(db, runId: run, seq: seq).map {
                    "\($0.seq) \($0.email) \($0.profileId ?? "-") \($0.firstName ?? "-") \($0.fingerprint ?? "-")"
                }
            }
            let counts = try Int.fetchAll(db, sql: "SELECT contacts FROM runBatch WHERE runId = 1 ORDER BY seq")
            let rows = try String.fetchAll(db, sql: "SELECT email FROM runContact ORDER BY runId, seq")
            return (batches, counts, rows)
        }
        #expect(batches[0].isEmpty)  // already in the ledger
        #expect(batches[1] == ["3 c@example.com p3 Cy f3"])  // delivered, not yet in the ledger
        #expect(batches[2] == ["5 e@example.com p5 Eve f5", "6 f@example.com p6 - f6"])  // at ActiveCampaign
        #expect(batches[3].isEmpty)  // a finished run's
        #expect(counts == [1, 1, 2])  // a confirmed batch counts what it delivered
        #expect(rows == ["b@example.com", "d@example.com", "not an email"])
        // v19: the merge reads the delivered batch's ledger entries from its payload, so the run's next merge records it.
        let ledger = try await queue.write { db in
            try RunWork.recordDelivered(db, runId: 1, exportId: 1)
            return try Row.fetchAll(db, sql: "SELECT email, fingerprint FROM exportLedger ORDER BY email").map {
                "\($0[0] as String) \($0[1] as String)"
            }
        }
        #expect(ledger == ["c@example.com f3"])
    }
}

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
            let segment = try await database.saveSegment(
                tenantId: tenantId,
                id: nil,
                name: name,
                description: "",
                rules: rules,
                actor: .commandLine,
                now: .now
            )
            try database.refreshSegment(tenantId: tenantId, id: segment.id!, now: .now)
            return segment.id!
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

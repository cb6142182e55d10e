import Foundation
import GRDB
import ProfileImport
import Testing

@testable import Store

/// Data > Profiles shows the workspace's profile count on every page; it is kept per workspace (issue 14), so it
/// must follow every way profiles come and go, in each workspace alone.
@Suite struct ProfileCountTests {
    let actor = Actor(userId: nil, email: "ops@example.com", clientAddress: "127.0.0.1")

    @Test func theCountFollowsImportsReimportsDeletionsAndReplaceAllPerWorkspace() async throws {
        let fixture = try await ImportFixture.make()
        let database = fixture.database
        let other = try await database.createTenant(slug: "other", name: "Other").id!
        #expect(try await database.profileCount(tenantId: fixture.tenantId) == 0)
        #expect(try await database.profileCount(tenantId: other) == 0)

        _ = try await importCSV("profile_id,name\np1,Ana\np2,Bo\np3,Cy\n", into: database, tenantId: fixture.tenantId)
        _ = try await importCSV("profile_id,name\nq1,Di\n", into: database, tenantId: other)
        #expect(try await database.profileCount(tenantId: fixture.tenantId) == 3)
        #expect(try await database.profileCount(tenantId: other) == 1)

        // A re-import updates by id: no profile is counted twice.
        _ = try await importCSV("profile_id,name\np1,Ana B.\np4,Ed\n", into: database, tenantId: fixture.tenantId)
        #expect(try await database.profileCount(tenantId: fixture.tenantId) == 4)

        let first = try await database.profiles(tenantId: fixture.tenantId, afterRowId: 0, limit: 1, search: nil)[0]
        _ = try await database.deleteProfile(tenantId: fixture.tenantId, rowId: first.rowId, actor: actor)
        #expect(try await database.profileCount(tenantId: fixture.tenantId) == 3)

        _ = try await importCSV(
            "profile_id,name\np9,Fay\n",
            into: database,
            tenantId: fixture.tenantId,
            options: ImportOptions(replaceAll: true)
        )
        #expect(try await database.profileCount(tenantId: fixture.tenantId) == 1)

        _ = try await database.deleteAllProfiles(tenantId: fixture.tenantId, actor: actor)
        #expect(try await database.profileCount(tenantId: fixture.tenantId) == 0)
        #expect(try await database.profileCount(tenantId: other) == 1)
    }

    @Test func aPageOfProfilesReadsTheWorkspacesRowsInOrderWithoutSortingThem() async throws {
        let fixture = try await ImportFixture.make()
        let plan = try await fixture.database.reader.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "EXPLAIN QUERY PLAN SELECT rowId, profileId, attributes FROM profile WHERE tenantId = ? AND rowId > ? ORDER BY rowId LIMIT ?",
                arguments: [fixture.tenantId, 0, 50]
            )
            .map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("profile_tenant_row") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }
}

/// A database upgraded by a newer Outbound is refused with a message, never opened and changed.
@Suite struct SchemaVersionTests {
    @Test func aDatabaseFromANewerVersionIsRefusedWithAMessage() throws {
        let path = try temporaryDirectory() + "/outbound.sqlite"
        do {
            let database = try AppDatabase.open(path: path)
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')")
            }
        }
        let error = #expect(throws: SchemaTooNew.self) { try AppDatabase.open(path: path) }
        #expect(error?.unknownMigrations == ["v99 from the future"])
        #expect(error?.description.contains("newer version of Outbound") == true)
        #expect(error?.description.contains("restore a backup") == true)
    }

    @Test func aDatabaseOfThisVersionOpensAgain() throws {
        let path = try temporaryDirectory() + "/outbound.sqlite"
        _ = try AppDatabase.open(path: path)
        let reopened = try AppDatabase.open(path: path)
        #expect(try reopened.appliedMigrations() == AppDatabase.migrator.migrations)
    }
}

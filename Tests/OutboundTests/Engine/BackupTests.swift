import ActiveCampaignSandbox
import Foundation
import GRDB
import Store
import Synchronization
import Testing

/// `outbound backup` copies the live database with SQLite's online backup API: consistent while a run writes.
@Suite struct BackupTests {
    static func isImport(_ request: SandboxRequest) -> Bool { request.method == "POST" && request.path == "/api/3/import/bulk_import" }

    static func integrity(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    @Test func backupsTakenWhileARunWritesOpenAndPassTheIntegrityCheck() async throws {
        let folder = try temporaryDirectory()
        try await EngineWorld.with(profiles: profiles(1...3_000), databasePath: folder + "/outbound.sqlite") { world in
            let export = try await world.createExport()
            let imports = Counter()
            let midRun = folder + "/mid-run.sqlite"
            // At a fixed point of the run (its third batch queued by ActiveCampaign, the answer not yet read):
            world.observer.set { request, _ in
                guard Self.isImport(request), imports.next() == 3 else { return }
                _ = try? world.database.backup(to: midRun)
            }
            // And as often as it can beside the run's writes, whatever their timing.
            let done = Mutex(false)
            let loop = Task {
                var copies: [String] = []
                repeat {
                    let path = folder + "/loop-\(copies.count).sqlite"
                    _ = try world.database.backup(to: path)
                    copies.append(path)
                    await Task.yield()
                } while !done.withLock { $0 }
                return copies
            }
            let run = try await world.run(export)
            done.withLock { $0 = true }
            let copies = try await loop.value
            #expect(run.state == .succeeded)

            for path in copies + [midRun] {
                #expect(try Self.integrity(path) == ["ok"], "\(path)")
                #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
            }
            // The mid-run copy holds the run as it was then: still running, not every contact accepted.
            let copy = try AppDatabase.open(path: midRun)
            let then = try #require(try await copy.run(tenantId: world.tenantId, id: run.id!))
            #expect(then.state == .running)
            #expect(then.accepted < run.accepted)
            #expect(try await copy.profileCount(tenantId: world.tenantId) == 3_000)

            // A backup never overwrites a file.
            #expect(throws: BackupError.self) { _ = try world.database.backup(to: midRun) }
        }
    }
}

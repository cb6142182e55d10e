import Foundation
import OutboundCore
import ProfileImport
import Store
import Testing

@Suite struct ImportServiceTests {
    func request(_ fixture: ImportFixture, csv: String, ownsFile: Bool) throws -> ImportService.Request {
        let path = try temporaryDirectory() + "/people.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(csv.utf8))
        return ImportService.Request(
            tenantId: fixture.tenantId,
            file: path,
            fileName: "people.csv",
            options: ImportOptions(),
            userId: nil,
            actor: .commandLine,
            ownsFile: ownsFile
        )
    }

    @Test func aJobLeftRunningByAStoppedProcessIsMarkedWhenTheServiceStarts() async throws {
        let fixture = try await ImportFixture.make()
        let stale = try await fixture.database.startImport(
            tenantId: fixture.tenantId,
            fileName: "old.csv",
            replaceAll: false,
            userId: nil,
            now: fixture.database.clock.now
        )
        let service = ImportService(database: fixture.database, pool: BlockingPool(name: "test-import", threads: 1, maxPending: 2))
        let (done, finish) = AsyncStream.makeStream(of: ImportJob.self)
        let upload = try request(fixture, csv: "profile_id,city\n1,Berlin\n", ownsFile: true)
        await withThrowingTaskGroup(of: Void.self) { group in
            // Queued before the service starts: it waits for the start-up marking, so it is not taken for a stale job.
            group.addTask { try await service.enqueue(upload) { finish.yield($0) } }
            group.addTask { try await service.run() }
            var finished: ImportJob?
            for await job in done {
                finished = job
                break
            }
            group.cancelAll()
            #expect(finished?.status == .succeeded)
            #expect(finished?.rowsImported == 1)
            #expect(!FileManager.default.fileExists(atPath: upload.file))  // an upload is the service's to delete
        }
        let marked = try #require(try await fixture.database.importJob(tenantId: fixture.tenantId, id: stale.id!))
        #expect(marked.status == .failed)
        #expect(marked.message?.contains("Outbound stopped during this import") == true)
    }

    @Test func theCommandLineEnqueuesThroughTheSameServiceAndLeavesOthersJobsAlone() async throws {
        let fixture = try await ImportFixture.make()
        // A running server's import: a one-off command must not mark it as interrupted.
        let serverJob = try await fixture.database.startImport(
            tenantId: fixture.tenantId,
            fileName: "web.csv",
            replaceAll: false,
            userId: nil,
            now: fixture.database.clock.now
        )
        let command = try request(fixture, csv: "profile_id,city\n1,Berlin\n2,Paris\n", ownsFile: false)
        let result = try await ImportService.runOne(database: fixture.database, command)
        #expect(result.status == .succeeded)
        #expect(result.rowsImported == 2)
        #expect(FileManager.default.fileExists(atPath: command.file))  // the person's own file stays
        #expect(try await fixture.profiles()["2"] == ["city": "Paris"])
        let events = try await fixture.database.activity(tenantId: fixture.tenantId, page: 1).events
        #expect(events.filter { $0.action == "profiles.imported" }.map(\.actorEmail) == ["command line"])
        #expect(try await fixture.database.importJob(tenantId: fixture.tenantId, id: serverJob.id!)?.status == .running)
    }

    /// Activity says what became of each import: failed is not imported, and a wait is not a failure.
    @Test func activityRecordsFailedImportsAsFailed() async throws {
        let fixture = try await ImportFixture.make()
        var replacing = try request(fixture, csv: "profile_id,city\n", ownsFile: false)
        replacing.options.replaceAll = true
        let failed = try await ImportService.runOne(database: fixture.database, replacing)
        #expect(failed.status == .failed)
        let noId = try request(fixture, csv: "email,city\nana@example.com,Berlin\n", ownsFile: false)
        #expect(try await ImportService.runOne(database: fixture.database, noId).status == .failed)
        let events = try await fixture.database.activity(tenantId: fixture.tenantId, page: 1).events
        #expect(!events.contains { $0.action == "profiles.imported" })
        let failures = events.filter { $0.action == "profiles.import_failed" }.map(\.detail)
        #expect(failures.count == 2)
        #expect(
            failures.contains { $0.hasPrefix("Import of people.csv failed: The file has a header row (profile_id, city) but no profiles") }
        )
        #expect(failures.contains { $0.contains("No column is called profile_id or id.") })
    }
}

import Foundation
import HummingbirdTesting
import Store
import Testing

@testable import Web

/// Uploads wait in an owner-only folder of the data directory, never the shared /tmp; the job records its file;
/// files no job holds are deleted at start.
@Suite struct UploadFolderTests {
    @Test func uploadsWaitInAnOwnerOnlyFolderAndLeftoversGoAtStart() async throws {
        let uploads = try temporaryDirectory() + "/uploads"
        let world = try await TestWorld.make { $0.uploadsDirectory = uploads }
        let pages = DataPagesTests()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            let token = try #require(Browser.csrf(in: try await alice.get("/t/acme/data/profiles").text))
            // Without an id column the file is kept, waiting for the person's choice.
            let waiting = try await pages.upload(alice, "email,customer_no\nana@example.com,C-1\n", csrf: token)
            _ = try await pages.waitForJob(alice, try #require(waiting.headers[.location]))
            // A file that imports is deleted when its job ends.
            let imported = try await pages.upload(alice, "profile_id,name\n1,Ana\n", csrf: token)
            _ = try await pages.waitForJob(alice, try #require(imported.headers[.location]))
        }
        var info = stat()
        #expect(stat(uploads, &info) == 0 && Int(info.st_mode) & 0o777 == 0o700)
        let kept = try FileManager.default.contentsOfDirectory(atPath: uploads)
        #expect(kept.count == 1)
        let jobs = try await world.database.recentImports(tenantId: world.acme.id!)
        #expect(jobs.compactMap(\.pendingFile) == [uploads + "/" + kept[0]])
        #expect(try await world.database.uploadFilesInUse() == [uploads + "/" + kept[0]])

        // A file left by a server that stopped, and a folder someone opened up: the next start mends both.
        _ = FileManager.default.createFile(atPath: uploads + "/import-left-behind.csv", contents: Data("x".utf8))
        #expect(chmod(uploads, 0o755) == 0)
        _ = try await world.app()
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads) == kept)
        #expect(stat(uploads, &info) == 0 && Int(info.st_mode) & 0o777 == 0o700)
    }
}

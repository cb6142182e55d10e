import Foundation
import HummingbirdTesting
import ProfileImport
import Testing

@testable import Store
@testable import Web

/// One upload cannot exhaust memory: rows, values and the header are bounded while they are read, and the
/// upload form accepts only a handful of parts. (The memory figures come from the live-server test in
/// Tests/Browser/test_import_limits.py, which reads the server's peak RSS.)
@Suite struct ImportLimitsTests {
    func rows(_ text: String) throws -> Result<[[String]], CSVStream.Failure> {
        let path = try temporaryDirectory() + "/limits.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let stream = try CSVStream(path: path)
        var rows: [[String]] = []
        do {
            while let row = try stream.next() { rows.append(row) }
        } catch let failure as CSVStream.Failure {
            return .failure(failure)
        }
        return .success(rows)
    }

    @Test func eachRowLimitStopsTheReaderWithItsLine() throws {
        let limits = CSVStream.Limits()
        #expect(try rows("a,b\n" + String(repeating: ",", count: 1_000) + "\n") == .failure(.tooManyValues(line: 2, limit: 1_000)))
        #expect(
            try rows("a,b\n1,2\n" + String(repeating: "x", count: 64 * 1024 + 1) + ",y\n")
                == .failure(.valueTooLong(line: 3, limit: 65_536))
        )
        let wide = (0..<600).map { _ in String(repeating: "y", count: 2_000) }.joined(separator: ",")
        #expect(try rows("a\n" + wide + "\n") == .failure(.rowTooLong(line: 2, limit: limits.maxRowBytes)))
        // At the limits themselves, rows are read.
        let full = String(repeating: ",", count: 999) + "\n" + String(repeating: "x", count: 64 * 1024) + "\n"
        #expect(try rows(full).map { $0.map(\.count) } == .success([1_000, 1]))
    }

    @Test func aLineOfCommasStopsTheImportNamingItsLineAndKeepsTheRowsBefore() async throws {
        let fixture = try await ImportFixture.make()
        let file = "profile_id,name\n1,Ana\n" + String(repeating: ",", count: 2_000_000) + "\n3,Cy\n"
        let job = try await importCSV(file, into: fixture.database, tenantId: fixture.tenantId)
        #expect(job.status == .failed)
        #expect(job.message == "Line 3 has more than 1,000 values. The 1 rows before it were imported; the import stopped there.")
        #expect(try await fixture.profiles().keys.sorted() == ["1"])
    }

    @Test func aHeaderOfAMillionColumnsIsRefusedWhileItIsRead() async throws {
        let fixture = try await ImportFixture.make()
        let job = try await importCSV(
            "profile_id" + String(repeating: ",c", count: 1_000_000) + "\n",
            into: fixture.database,
            tenantId: fixture.tenantId
        )
        #expect(job.message == "The header row has more than 501 columns; Outbound imports at most 500 attributes per profile.")
        let huge = try await importCSV(
            "profile_id," + String(repeating: "n", count: 70_000) + "\n",
            into: fixture.database,
            tenantId: fixture.tenantId
        )
        #expect(huge.message == "Line 1 has a value longer than 64 KiB. It must name the attributes.")
    }

    @Test func anUploadWithManyFormPartsIsRefused() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            let token = try #require(Browser.csrf(in: try await bob.get("/t/acme/data/profiles").text))
            let fields = (0..<1_000).map { ("f\($0)", "v") }
            let response = try await DataPagesTests().upload(bob, "profile_id\n1\n", fields: fields, csrf: token)
            #expect(response.status == .badRequest)
            expectText(response.text, "The upload has more parts than the import form sends.")
            #expect(try await world.database.recentImports(tenantId: world.acme.id!).isEmpty)
        }
    }
}

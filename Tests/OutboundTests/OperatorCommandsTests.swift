import Foundation
import GRDB
import Testing

/// The operator's commands of issue 16 as an operator runs them: the `outbound` executable in a child process.
@Suite(.serialized) struct OperatorCommandsTests {
    @Test func forgetAndTenantDeleteFromTheCommandLine() throws {
        let dataDir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let csv = dataDir + "/people.csv"
        try "profile_id,email,name\n1,ana@example.com,Ana\n2,bo@example.com,Bo\n3, ANA@example.com ,Ana again\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        func outbound(_ arguments: String...) throws -> CLI.Result { try CLI.run(arguments + ["--data-dir", dataDir]) }

        #expect(try outbound("tenant", "create", "--slug", "acme", "--name", "Acme").status == 0)
        #expect(try outbound("profiles", "import", "--tenant", "acme", csv).status == 0)

        let forgot = try outbound("profiles", "forget", "--tenant", "acme", "--email", "Ana@Example.com")
        #expect(forgot.status == 0, "\(forgot.output)")
        #expect(forgot.output.contains("removed 2 profile(s)"), "\(forgot.output)")
        #expect(forgot.output.contains("ActiveCampaign is not changed"), "\(forgot.output)")
        let nobody = try CLI.run(
            ["profiles", "forget", "--tenant", "acme", "--email", "-", "--data-dir", dataDir],
            stdin: "nobody@example.com\n"
        )
        #expect(nobody.status == 0, "\(nobody.output)")
        #expect(nobody.output.contains("Nothing in acme holds that email"), "\(nobody.output)")

        let unconfirmed = try outbound("tenant", "delete", "--slug", "acme")
        #expect(unconfirmed.status != 0)
        #expect(unconfirmed.output.contains("with its 1 profiles"), "\(unconfirmed.output)")
        #expect(unconfirmed.output.contains("--confirm acme"), "\(unconfirmed.output)")
        let wrong = try outbound("tenant", "delete", "--slug", "acme", "--confirm", "acm")
        #expect(wrong.status != 0)

        let deleted = try outbound("tenant", "delete", "--slug", "acme", "--confirm", "acme")
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(deleted.output.contains("Deleted the workspace acme: 1 profiles"), "\(deleted.output)")
        let again = try outbound("tenant", "delete", "--slug", "acme", "--confirm", "acme")
        #expect(again.status != 0)
        #expect(again.output.contains("No workspace has the slug acme"), "\(again.output)")
    }

    @Test func aDatabaseFromANewerVersionStopsTheServerWithAMessage() throws {
        let dataDir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try CLI.run(["migrate", "--data-dir", dataDir]).status == 0)
        // What a newer Outbound's migration leaves behind.
        try DatabaseQueue(path: dataDir + "/outbound.sqlite").write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 later')")
        }
        let refused = try CLI.run(["serve", "--port", "0", "--no-engine", "--data-dir", dataDir])
        #expect(refused.status != 0)
        #expect(refused.output.contains("upgraded by a newer version of Outbound"), "\(refused.output)")
        #expect(refused.output.contains("v99 later"), "\(refused.output)")
    }

    @Test func jsonLogsAreOneObjectALine() throws {
        let dataDir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try ServeProcess(["serve", "--port", "0", "--data-dir", dataDir, "--no-engine", "--log-format", "json"])
        _ = try #require(server.waitFor("This password is shown only now"), "\(server.output)")
        #expect(server.stop(SIGTERM) == 0)
        let lines = server.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty, "\(server.output)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String && object?["level"] is String && object?["time"] is String, "\(line)")
        }
        #expect(!server.output.contains("One-time password: {"), "the password is printed for the person, not logged")
    }
}

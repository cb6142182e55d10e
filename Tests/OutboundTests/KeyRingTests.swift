import Foundation
import Secrets
import Store
import Testing

/// A data folder with a database, its key ring and connections whose API keys are sealed.
struct SealedFixture {
    let directory: String
    let database: AppDatabase
    let file: KeyRingFile
    let vault: Vault
    var connections: [Connection] = []

    static func make(count: Int) async throws -> SealedFixture {
        let directory = try temporaryDirectory()
        let database = try AppDatabase.open(path: directory + "/outbound.sqlite")
        let file = KeyRingFile(path: directory + "/master.key")
        var fixture = SealedFixture(directory: directory, database: database, file: file, vault: try database.openVault(file: file))
        let tenant = try await database.createTenant(slug: "acme", name: "Acme")
        for index in 0..<count {
            fixture.connections.append(
                try await database.createConnection(
                    Connection(
                        tenantId: tenant.id!,
                        name: "Account \(index)",
                        usableBy: .admins,
                        apiHost: "acme\(index).api-us1.com",
                        now: database.clock.now
                    ),
                    apiKey: Redacted("api-key-number-\(index)"),
                    vault: fixture.vault,
                    actor: .commandLine
                )
            )
        }
        return fixture
    }

    func stored(_ connection: Connection) async throws -> Connection {
        try #require(try await database.connection(tenantId: connection.tenantId, id: connection.id!))
    }
}

@Suite struct KeyRingTests {
    @Test func theKeyRingIsCreatedOwnerOnlyAndTheDatabaseHoldsNoPlaintext() async throws {
        let fixture = try await SealedFixture.make(count: 3)
        var info = stat()
        #expect(stat(fixture.file.path, &info) == 0)
        #expect(Int(info.st_mode) & 0o777 == 0o600)
        let bytes =
            try Data(contentsOf: URL(fileURLWithPath: fixture.directory + "/outbound.sqlite"))
            + ((try? Data(contentsOf: URL(fileURLWithPath: fixture.directory + "/outbound.sqlite-wal"))) ?? Data())
        #expect(bytes.range(of: Data("api-key-number-1".utf8)) == nil)
        #expect(try await fixture.stored(fixture.connections[1]).apiKeyLastFour == "er-1")
    }

    @Test func rotationWhileServingThenRetireAndRestart() async throws {
        let fixture = try await SealedFixture.make(count: 20)
        let server = fixture.vault  // what a running server holds: the ring as it was at start

        let rotated = try CLI.run(["keys", "rotate", "--data-dir", fixture.directory, "--batch-size", "7"])
        #expect(rotated.status == 0, "\(rotated.output)")
        #expect(rotated.output.contains("Sealing key is now k2. Re-sealed 20 value(s)."))
        #expect(try await fixture.database.sealedValueCountsByKey() == ["k2": 20])

        // The running server opens every value without a restart (it reloads the ring for the unknown key id)…
        for (index, connection) in fixture.connections.enumerated() {
            let stored = try await fixture.stored(connection)
            #expect(try server.open(stored.apiKeySealed!, context: stored.apiKeyContext!).value == "api-key-number-\(index)")
        }
        // …and seals new values with the new key.
        #expect(Vault.keyId(of: try server.seal("new", context: fixture.connections[0].apiKeyContext!)) == "k2")

        let refused = try CLI.run(["keys", "retire", "--data-dir", fixture.directory, "--id", "k2"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("Cannot retire k2: key k2 is the sealing key; rotate first."))
        let retired = try CLI.run(["keys", "retire", "--data-dir", fixture.directory, "--id", "k1"])
        #expect(retired.status == 0, "\(retired.output)")
        let status = try CLI.run(["keys", "status", "--data-dir", fixture.directory])
        #expect(status.output.contains("k1  retired"))
        #expect(status.output.contains("k2  sealing    seals 20 value(s)"))

        // Restart: a fresh vault from the file opens everything; the doctor agrees.
        let restarted = try Vault(file: fixture.file)
        for (index, connection) in fixture.connections.enumerated() {
            let stored = try await fixture.stored(connection)
            #expect(try restarted.open(stored.apiKeySealed!, context: stored.apiKeyContext!).value == "api-key-number-\(index)")
        }
        let doctor = try CLI.run(["doctor", "--data-dir", fixture.directory])
        #expect(doctor.status == 0)
        #expect(doctor.output.contains("Opened 20 sealed value(s)."))
    }

    @Test func aValueReplacedDuringTheResealKeepsItsNewContent() async throws {
        let fixture = try await SealedFixture.make(count: 6)
        let target = fixture.connections[3]
        let rotation = KeyRotation(database: fixture.database, file: fixture.file, batchSize: 4) { batch in
            if batch.contains(where: { $0.rowId == target.id }) {
                _ = try await fixture.database.replaceConnectionKey(
                    tenantId: target.tenantId,
                    connectionId: target.id!,
                    apiKey: Redacted("the replaced key"),
                    vault: fixture.vault
                )
            }
        }
        let report = try await rotation.run()
        #expect(report.changedMeanwhile == 1)
        #expect(report.resealed == 5)
        let stored = try await fixture.stored(target)
        #expect(try Vault(file: fixture.file).open(stored.apiKeySealed!, context: stored.apiKeyContext!).value == "the replaced key")
        // Running it again finishes rather than adding another key.
        let again = try await KeyRotation(database: fixture.database, file: fixture.file).run()
        #expect(try await fixture.database.sealedValueCountsByKey() == [again.newKeyId: 6])
        #expect(again.newKeyId == "k2" || again.newKeyId == "k3")
    }

    @Test func retiringAKeyStillInUseIsRefused() async throws {
        let fixture = try await SealedFixture.make(count: 2)
        var ring = fixture.vault.ring
        let next = ring.addOpenOnlyKey()
        try ring.makeSealing(next)
        try fixture.file.save(ring)
        let refused = try CLI.run(["keys", "retire", "--data-dir", fixture.directory, "--id", "k1"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("key k1 still seals 2 value(s)"))
    }

    @Test func startUpRefusalsSayWhatToDo() async throws {
        let fixture = try await SealedFixture.make(count: 1)
        let path = fixture.file.path

        chmod(path, 0o644)
        let open = try CLI.run(["serve", "--data-dir", fixture.directory, "--port", "0"])
        #expect(open.status != 0)
        #expect(open.output.contains("can be read by group or others (mode 644). Run `chmod 600 \(path)`"))
        chmod(path, 0o600)

        let good = try String(contentsOfFile: path, encoding: .utf8)
        let short = Data(repeating: 1, count: 31).base64EncodedString()
        let shortRing = good.split(separator: "\n").map { $0.hasPrefix("k1 ") ? "k1 sealing \(short)" : String($0) }.joined(separator: "\n")
        try fixture.file.saveText(shortRing)
        let wrongLength = try CLI.run(["keys", "status", "--data-dir", fixture.directory])
        #expect(wrongLength.status != 0)
        #expect(wrongLength.output.contains("key k1 is 31 bytes; every key must be exactly 32 bytes"))

        try FileManager.default.removeItem(atPath: path)
        let missing = try CLI.run(["serve", "--data-dir", fixture.directory, "--port", "0"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("is missing, but the database holds 1 sealed API key(s)"))
        #expect(!FileManager.default.fileExists(atPath: path))  // no new ring over sealed data
    }
}

extension KeyRingFile {
    /// Writes raw text with mode 0600 (tests that need a malformed ring).
    func saveText(_ text: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }
}

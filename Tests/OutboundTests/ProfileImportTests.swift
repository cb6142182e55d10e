import Foundation
import ProfileImport
import Store
import Testing

/// Imports `csv` (raw bytes) into a fresh workspace and returns the finished job.
func importCSV(
    _ csv: [UInt8],
    into database: AppDatabase,
    tenantId: Int64,
    options: ImportOptions = ImportOptions()
) async throws -> ImportJob {
    let path = try temporaryDirectory() + "/file.csv"
    _ = FileManager.default.createFile(atPath: path, contents: Data(csv))
    let job = try await database.startImport(
        tenantId: tenantId,
        fileName: "file.csv",
        replaceAll: options.replaceAll,
        userId: nil,
        now: .now
    )
    return try ProfileImporter(database: database, tenantId: tenantId, options: options).run(file: path, job: job)
}

func importCSV(
    _ text: String,
    into database: AppDatabase,
    tenantId: Int64,
    options: ImportOptions = ImportOptions()
) async throws -> ImportJob {
    try await importCSV(Array(text.utf8), into: database, tenantId: tenantId, options: options)
}

struct ImportFixture {
    let database: AppDatabase
    let tenantId: Int64

    static func make() async throws -> ImportFixture {
        let database = try AppDatabase.inMemory()
        let tenant = try await database.createTenant(slug: "acme", name: "Acme")
        return ImportFixture(database: database, tenantId: tenant.id!)
    }

    /// id → attribute name → value, as stored.
    func profiles() async throws -> [String: [String: String]] {
        let attributes = try await database.attributes(tenantId: tenantId)
        let names = Dictionary(uniqueKeysWithValues: attributes.map { ($0.id!, $0.name) })
        let rows = try await database.profiles(tenantId: tenantId, afterRowId: 0, limit: 10_000, search: nil)
        return Dictionary(
            uniqueKeysWithValues: rows.map { row in
                (row.profileId, Dictionary(uniqueKeysWithValues: row.values.map { (names[$0.key]!, $0.value) }))
            }
        )
    }
}

@Suite struct ProfileImportTests {
    @Test func quotesEmbeddedNewlinesBOMCRLFAndBlankLines() async throws {
        let fixture = try await ImportFixture.make()
        let csv =
            "\u{FEFF}profile_id,name,note\r\n"
            + "1,\"Smith, Jr.\",\"said \"\"hi\"\"\r\nthen left\"\r\n"
            + "\r\n"
            + "2,Zoë Østergaard,\"multi\nline\nvalue\"\r\n"
            + "3,,plain\r\n"
            + "4,too,many,values\r\n"
        let job = try await importCSV(csv, into: fixture.database, tenantId: fixture.tenantId)
        #expect(job.status == .completedWithErrors)
        #expect(job.rowsImported == 3)
        #expect(job.problemList == [ImportJob.Problem(line: 9, problem: "expected 3 values, found 4")])  // lines 2-3, 4 blank, 5-7, 8, 9
        let profiles = try await fixture.profiles()
        #expect(profiles["1"] == ["name": "Smith, Jr.", "note": "said \"hi\"\r\nthen left"])
        #expect(profiles["2"] == ["name": "Zoë Østergaard", "note": "multi\nline\nvalue"])
        #expect(profiles["3"] == ["note": "plain"])
        #expect(try await fixture.database.attributes(tenantId: fixture.tenantId).map(\.name) == ["name", "note"])
    }

    @Test func badRowsAreReportedWithTheirLineAndTheRestImported() async throws {
        let fixture = try await ImportFixture.make()
        let csv = """
            id,email,lifetime_value:number,signup_date:date,is_subscriber:boolean
            a1,ana@example.com,12.5,2024-01-31,true
            ,nobody@example.com,1,2024-01-01,false
            a3,bo@example.com,lots,2024-01-01,yes
            a4,cy@example.com,3,31/01/2024,no
            a5,di@example.com,4,2024-02-01,maybe
            a6,ed@example.com,-7,2024-02-02,0
            """
        let job = try await importCSV(csv, into: fixture.database, tenantId: fixture.tenantId)
        #expect(job.rowsImported == 2)
        #expect(job.rowsRejected == 4)
        #expect(job.problemList.map(\.line) == [3, 4, 5, 6])
        #expect(job.problemList[0].problem == "the id (id) is empty")
        #expect(job.problemList[1].problem == "lifetime_value is “lots”, not a number")
        #expect(job.problemList[2].problem == "signup_date is “31/01/2024”, not a date like 2024-05-31")
        #expect(job.problemList[3].problem == "is_subscriber is “maybe”, not true or false")
        #expect(
            try await fixture.profiles()["a6"] == [
                "email": "ed@example.com", "lifetime_value": "-7", "signup_date": "2024-02-02", "is_subscriber": "0",
            ]
        )
    }

    /// Spreadsheets write semicolons in many countries, and tabs for "Unicode text": both are read from the header.
    @Test func semicolonAndTabSeparatedFilesAreDetectedAndImported() async throws {
        let fixture = try await ImportFixture.make()
        let semicolons = try await importCSV(
            "\u{FEFF}profile_id;city;note\n1;Köln;\"a; b, c\"\n2;Paris;\n",
            into: fixture.database,
            tenantId: fixture.tenantId
        )
        #expect(semicolons.status == .succeeded)
        #expect(semicolons.message == "Read as separated by semicolons (found in the header row).")
        let tabs = try await importCSV("profile_id\tcity\n3\tRoma, Italia\n", into: fixture.database, tenantId: fixture.tenantId)
        #expect(tabs.status == .succeeded)
        #expect(tabs.message == "Read as separated by tabs (found in the header row).")
        let commas = try await importCSV("profile_id,city;district\n4,Berlin;Mitte\n", into: fixture.database, tenantId: fixture.tenantId)
        #expect(commas.message == nil)
        let profiles = try await fixture.profiles()
        #expect(profiles["1"] == ["city": "Köln", "note": "a; b, c"])
        #expect(profiles["3"]?["city"] == "Roma, Italia")
        #expect(profiles["4"]?["city;district"] == "Berlin;Mitte")
    }

    @Test func filesThatCannotBeImportedSaySoPlainly() async throws {
        let fixture = try await ImportFixture.make()
        let wide =
            "profile_id," + (1...10_000).map { "c\($0)" }.joined(separator: ",") + "\n1," + String(repeating: "x,", count: 9_999) + "x\n"
        let cases: [([UInt8], String)] = [
            ([], "The file is empty"),
            (Array(wide.utf8), "The header row has more than 501 columns; Outbound imports at most 500 attributes per profile."),
            (
                Array("name,email\nAna,a@example.com\n".utf8),
                "No column is called profile_id or id. Choose the column that holds the profile id (one of: name, email)."
            ),
            (Array("id,name,Name\n1,a,b\n".utf8), "The column Name appears twice in the header row."),
            (Array("id,,x\n".utf8), "Column 2 of the header row has no name."),
            ([0xFF, 0xFE, 0x69, 0x00, 0x64, 0x00], "The file is not UTF-8 text."),
            // Each kind of "nothing to import" says which it is.
            (Array("\n  \n\r\n".utf8), "The file has only blank lines: it needs a header row"),
            (Array("profile_id,email\n\n".utf8), "The file has a header row (profile_id, email) but no profiles under it"),
            (Array("profile_id|email\n1|a@example.com\n".utf8), "The header row seems to separate its columns with “|”."),
        ]
        for (bytes, message) in cases {
            let job = try await importCSV(bytes, into: fixture.database, tenantId: fixture.tenantId)
            #expect(job.status == .failed)
            #expect(job.message?.hasPrefix(message) == true, "\(job.message ?? "nil")")
            #expect(job.rowsImported == 0)
        }
        // Bytes that are not UTF-8 further down: the rows before are kept, and the line is named.
        var bytes = Array("id,name\n1,Ana\n2,Bo\n3,".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("\n4,Di\n".utf8)
        let job = try await importCSV(bytes, into: fixture.database, tenantId: fixture.tenantId)
        #expect(job.status == .failed)
        #expect(
            job.message == "Line 4 is not UTF-8 text. The 2 rows before it were imported; save the file as CSV (UTF-8) and import it again."
        )
        #expect(try await fixture.database.profileCount(tenantId: fixture.tenantId) == 2)
        #expect(try await fixture.database.attributes(tenantId: fixture.tenantId).map(\.name) == ["name"])
    }

    @Test func reimportUpdatesByIdKeepsOtherAttributesAndReplaceAllRemovesTheRest() async throws {
        let fixture = try await ImportFixture.make()
        _ = try await importCSV(
            "profile_id,email,city\n1,a@example.com,Berlin\n2,b@example.com,Paris\n3,c@example.com,Rome\n",
            into: fixture.database,
            tenantId: fixture.tenantId
        )
        _ = try await importCSV("profile_id,city,tier\n1,Lisboa,gold\n2,,silver\n", into: fixture.database, tenantId: fixture.tenantId)
        var profiles = try await fixture.profiles()
        #expect(profiles["1"] == ["email": "a@example.com", "city": "Lisboa", "tier": "gold"])
        #expect(profiles["2"] == ["email": "b@example.com", "tier": "silver"])  // an empty value clears it
        #expect(profiles["3"] == ["email": "c@example.com", "city": "Rome"])
        let replaced = try await importCSV(
            "profile_id,tier\n2,bronze\n",
            into: fixture.database,
            tenantId: fixture.tenantId,
            options: ImportOptions(replaceAll: true)
        )
        #expect(replaced.rowsRemoved == 2)
        profiles = try await fixture.profiles()
        #expect(Array(profiles.keys) == ["2"])
        #expect(profiles["2"]?["tier"] == "bronze")
    }

    @Test func typesAreInferredOrDeclaredAndTheIdColumnCanBeChosen() async throws {
        let fixture = try await ImportFixture.make()
        let csv =
            "customer,phone,score,joined,vip,zip\nk1,+44 20 7946 0000,10,2024-03-01,yes,01234\nk2,0044207946,2.5,2024-03-02,no,90210\n"
        let job = try await importCSV(
            csv,
            into: fixture.database,
            tenantId: fixture.tenantId,
            options: ImportOptions(idColumn: "customer", declaredTypes: ["zip": .text])
        )
        #expect(job.status == .succeeded)
        let types = Dictionary(
            uniqueKeysWithValues: try await fixture.database.attributes(tenantId: fixture.tenantId).map { ($0.name, $0.type) }
        )
        #expect(types == ["phone": .text, "score": .number, "joined": .date, "vip": .boolean, "zip": .text])
        #expect(try await fixture.profiles()["k1"]?["zip"] == "01234")
    }

    @Test func theGeneratedProfilesImportWhole() async throws {
        let fixture = try await ImportFixture.make()
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let path = try temporaryDirectory() + "/profiles.csv"
        process.arguments = ["python3", packageRoot + "/../shared/tools/make_profiles.py", "3000", "--seed", "5", "--out", path]
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let stats = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stats.contains("rows=3000"))
        let job = try await fixture.database.startImport(
            tenantId: fixture.tenantId,
            fileName: "profiles.csv",
            replaceAll: false,
            userId: nil,
            now: .now
        )
        let done = try ProfileImporter(database: fixture.database, tenantId: fixture.tenantId, options: ImportOptions(chunkSize: 700))
            .run(file: path, job: job)
        #expect(done.status == .succeeded)
        #expect(done.rowsImported == 3000)
        #expect(try await fixture.database.profileCount(tenantId: fixture.tenantId) == 3000)
        let types = Dictionary(
            uniqueKeysWithValues: try await fixture.database.attributes(tenantId: fixture.tenantId).map { ($0.name, $0.type) }
        )
        #expect(types["lifetime_value"] == .number)
        #expect(types["signup_date"] == .date)
        #expect(types["email"] == .text)
        #expect(types["phone"] == .text)
    }
}

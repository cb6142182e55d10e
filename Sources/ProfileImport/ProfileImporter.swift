import CSV
import Foundation
import Store

public struct ImportOptions: Sendable {
    public var idColumn: String?
    /// Types given by the person (`--type lifetime_value=number`); a header cell `name:type` declares one too.
    public var declaredTypes: [String: AttributeType]
    /// Remove the profiles the file does not contain.
    public var replaceAll: Bool
    public var chunkSize: Int

    public init(idColumn: String? = nil, declaredTypes: [String: AttributeType] = [:], replaceAll: Bool = false, chunkSize: Int = 5_000) {
        self.idColumn = idColumn
        self.declaredTypes = declaredTypes
        self.replaceAll = replaceAll
        self.chunkSize = chunkSize
    }

    public static let maxAttributes = 500
    static let inferenceRows = 1_000
    static let keptProblems = 200
}

/// Why a whole file was refused before any row was imported.
public enum ImportRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyFile
    case tooManyColumns(Int)
    case duplicateColumn(String)
    case unnamedColumn(Int)
    case badColumnName(Int)
    case needsIdColumn(columns: [String])
    case unknownIdColumn(String)
    case unknownDeclaredColumn(String)
    case notText

    public var description: String {
        switch self {
        case .emptyFile: "The file is empty: it needs a header row naming the attributes, then one row per profile."
        case .tooManyColumns(let count): "The file has \(count) columns; Outbound imports at most \(ImportOptions.maxAttributes) attributes per profile."
        case .duplicateColumn(let name): "The column \(name) appears twice in the header row."
        case .unnamedColumn(let index): "Column \(index) of the header row has no name."
        case .badColumnName(let index): "Column \(index) of the header row has a name longer than 200 characters or with control characters."
        case .needsIdColumn(let columns): "No column is called profile_id or id. Choose the column that holds the profile id (one of: \(columns.prefix(20).joined(separator: ", ")))."
        case .unknownIdColumn(let name): "The file has no column called \(name) to use as the profile id."
        case .unknownDeclaredColumn(let name): "A type was given for \(name), but the file has no such column."
        case .notText: "The file is not UTF-8 text. Save it as CSV (UTF-8) and import it again."
        }
    }
}

/// Imports a CSV file of profiles: streams it (memory stays flat whatever its size), validates every row, and
/// writes chunks of a few thousand rows per transaction so the rest of the app stays responsive. Synchronous:
/// callers run it on a dedicated thread, never on Swift's cooperative pool.
///
/// Parsing uses yaslab/CSV.swift, a maintained streaming CSV reader (quotes, embedded newlines, CRLF, BOM);
/// see BENCHMARKS.md for its speed here.
public struct ProfileImporter: Sendable {
    let database: AppDatabase
    let tenantId: Int64
    let options: ImportOptions

    public init(database: AppDatabase, tenantId: Int64, options: ImportOptions) {
        self.database = database
        self.tenantId = tenantId
        self.options = options
    }

    struct Column {
        var index: Int
        var attribute: Attribute
    }

    /// Reads the header and decides the columns; throws a refusal for a file that cannot be imported at all.
    func prepare(_ reader: CSVReader) throws -> (header: [String], idIndex: Int, declared: [Int: AttributeType], firstRows: [[String]]) {
        guard var header = reader.next() else {
            if case CSVError.unicodeDecoding? = reader.error { throw ImportRefusal.notText }
            throw ImportRefusal.emptyFile
        }
        if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0] = String(first.dropFirst()) }
        guard header.count <= ImportOptions.maxAttributes + 1 else { throw ImportRefusal.tooManyColumns(header.count) }
        var names: [String] = []
        var declared: [Int: AttributeType] = [:]
        for (index, cell) in header.enumerated() {
            var name = cell.trimmingCharacters(in: .whitespaces)
            if let colon = name.lastIndex(of: ":"), let type = AttributeType(rawValue: name[name.index(after: colon)...].lowercased()) {
                declared[index] = type
                name = String(name[..<colon]).trimmingCharacters(in: .whitespaces)
            }
            guard !name.isEmpty else { throw ImportRefusal.unnamedColumn(index + 1) }
            guard name.count <= 200, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw ImportRefusal.badColumnName(index + 1)
            }
            guard !names.contains(where: { $0.lowercased() == name.lowercased() }) else { throw ImportRefusal.duplicateColumn(name) }
            names.append(name)
        }
        if header.count == 1, names == [""] { throw ImportRefusal.emptyFile }
        for (name, type) in options.declaredTypes {
            guard let index = names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                throw ImportRefusal.unknownDeclaredColumn(name)
            }
            declared[index] = type
        }
        let idIndex: Int
        if let wanted = options.idColumn {
            guard let index = names.firstIndex(where: { $0.lowercased() == wanted.lowercased() }) else {
                throw ImportRefusal.unknownIdColumn(wanted)
            }
            idIndex = index
        } else if let index = names.firstIndex(where: { $0.lowercased() == "profile_id" }) ?? names.firstIndex(where: { $0.lowercased() == "id" }) {
            idIndex = index
        } else {
            throw ImportRefusal.needsIdColumn(columns: names)
        }
        var firstRows: [[String]] = []
        while firstRows.count < ImportOptions.inferenceRows, let row = reader.next() { firstRows.append(row) }
        return (names, idIndex, declared, firstRows)
    }

    /// Infers a column's type from the first rows: number, boolean or date when every non-empty value reads as one.
    static func infer(_ values: [String]) -> AttributeType {
        let present = values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !present.isEmpty else { return .text }
        if present.allSatisfy({ ValueParser.number($0) != nil }) { return .number }
        if present.allSatisfy({ ["true", "false", "yes", "no"].contains($0.lowercased()) }) { return .boolean }
        if present.allSatisfy({ ValueParser.date($0) != nil }) { return .date }
        return .text
    }

    /// Runs the import into `job` (already created as running), reporting progress after every chunk.
    public func run(file: String, job: ImportJob, progress: (ImportJob) -> Void = { _ in }) throws -> ImportJob {
        var job = job
        var problems: [ImportJob.Problem] = []
        func finish(_ status: ImportJob.Status, message: String?) throws -> ImportJob {
            job.status = status
            job.message = message
            job.finishedAt = Date()
            job.problems = String(decoding: (try? JSONEncoder().encode(problems)) ?? Data("[]".utf8), as: UTF8.self)
            try database.updateImport(job)
            progress(job)
            return job
        }
        guard let stream = InputStream(fileAtPath: file) else { return try finish(.failed, message: "The uploaded file could not be read.") }
        let reader: CSVReader
        do { reader = try CSVReader(stream: stream, codecType: UTF8.self, hasHeaderRow: false) } catch {
            return try finish(.failed, message: ImportRefusal.notText.description)
        }
        let prepared: (header: [String], idIndex: Int, declared: [Int: AttributeType], firstRows: [[String]])
        do { prepared = try prepare(reader) } catch let refusal as ImportRefusal {
            return try finish(.failed, message: refusal.description)
        }
        let header = prepared.header
        var wanted: [(name: String, type: AttributeType)] = []
        for (index, name) in header.enumerated() where index != prepared.idIndex {
            let type = prepared.declared[index]
                ?? (name.lowercased() == "email" ? .text : Self.infer(prepared.firstRows.map { $0.count > index ? $0[index] : "" }))
            wanted.append((name, type))
        }
        let attributes = try database.ensureAttributes(tenantId: tenantId, wanted)
        var columns: [Column] = []
        var next = 0
        for index in header.indices where index != prepared.idIndex {
            columns.append(Column(index: index, attribute: attributes[next]))
            next += 1
        }

        var line = 1   // the header
        var chunk: [(profileId: String, json: String)] = []
        chunk.reserveCapacity(options.chunkSize)
        let importId = job.id!
        func flush() throws {
            guard !chunk.isEmpty else { return }
            try database.upsertProfiles(tenantId: tenantId, importId: importId, rows: chunk, now: Date())
            job.rowsImported += chunk.count
            chunk.removeAll(keepingCapacity: true)
            job.problems = String(decoding: (try? JSONEncoder().encode(problems)) ?? Data("[]".utf8), as: UTF8.self)
            try database.updateImport(job)
            progress(job)
        }
        func reject(_ problem: String, at line: Int) {
            job.rowsRejected += 1
            if problems.count < ImportOptions.keptProblems { problems.append(.init(line: line, problem: problem)) }
        }
        func handle(_ row: [String]) throws {
            let rowLine = line + 1
            line += 1 + row.reduce(0) { $0 + $1.utf8.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
            if row.count == 1, row[0].trimmingCharacters(in: .whitespaces).isEmpty { return }   // a blank line
            job.rowsRead += 1
            guard row.count == header.count else {
                return reject("expected \(header.count) values, found \(row.count)", at: rowLine)
            }
            let id = row[prepared.idIndex].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else { return reject("the id (\(header[prepared.idIndex])) is empty", at: rowLine) }
            guard id.count <= 200 else { return reject("the id is longer than 200 characters", at: rowLine) }
            var json = "{"
            for (position, column) in columns.enumerated() {
                if position > 0 { json += "," }
                json += "\"" + column.attribute.key + "\":"
                let raw = row[column.index].trimmingCharacters(in: .whitespaces)
                if raw.isEmpty { json += "null"; continue }
                switch column.attribute.type {
                case .text:
                    JSONText.append(raw, to: &json)
                case .number:
                    guard let number = ValueParser.number(raw) else {
                        return reject("\(column.attribute.name) is “\(raw.prefix(40))”, not a number", at: rowLine)
                    }
                    json += number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                case .date:
                    guard let date = ValueParser.date(raw) else {
                        return reject("\(column.attribute.name) is “\(raw.prefix(40))”, not a date like 2024-05-31", at: rowLine)
                    }
                    JSONText.append(date, to: &json)
                case .boolean:
                    guard let flag = ValueParser.boolean(raw) else {
                        return reject("\(column.attribute.name) is “\(raw.prefix(40))”, not true or false", at: rowLine)
                    }
                    json += flag ? "true" : "false"
                }
            }
            json += "}"
            chunk.append((id, json))
            if chunk.count >= options.chunkSize { try flush() }
        }

        for row in prepared.firstRows { try handle(row) }
        while let row = reader.next() { try handle(row) }
        try flush()
        // Foundation's InputStream on Linux reports the end of a file as a failed read; only a decoding error means
        // the file is not UTF-8 text.
        if case CSVError.unicodeDecoding? = reader.error {
            return try finish(.failed, message: "The file stops being UTF-8 text after line \(line). The \(job.rowsImported) rows before it were imported; save the file as CSV (UTF-8) and import it again.")
        }
        if options.replaceAll {
            job.rowsRemoved = try database.removeProfilesNotIn(importId: importId, tenantId: tenantId)
        }
        return try finish(job.rowsRejected == 0 ? .succeeded : .completedWithErrors, message: nil)
    }
}

enum JSONText {
    /// Appends `text` as a JSON string literal. Written by hand because it runs for every value of a
    /// million-row import, where JSONEncoder's per-call overhead dominates.
    static func append(_ text: String, to json: inout String) {
        json += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case _ where scalar.value < 0x20: json += String(format: "\\u%04x", scalar.value)
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }
}

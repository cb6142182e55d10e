import Foundation
import OutboundCore
import Store

public struct ImportOptions: Sendable {
    public var idColumn: String?
    /// Types given by the person (`--type lifetime_value=number`); a header cell `name:type` declares one too.
    public var declaredTypes: [String: AttributeType]
    /// Remove the profiles the file does not contain.
    public var replaceAll: Bool
    public var chunkSize: Int
    /// A file without an id column is kept for the job page to ask which column holds the id (web uploads only:
    /// the service owns those files). Written with the failure, so the page never sees one without the other.
    public var keepsFileForIdColumn = false

    public init(idColumn: String? = nil, declaredTypes: [String: AttributeType] = [:], replaceAll: Bool = false, chunkSize: Int = 5_000) {
        self.idColumn = idColumn
        self.declaredTypes = declaredTypes
        self.replaceAll = replaceAll
        self.chunkSize = chunkSize
    }

    public static let maxAttributes = 500
    static let inferenceRows = 1_000
    /// The rows read ahead for type inference stop at this many bytes too, so long rows cannot multiply memory.
    static let inferenceBytes = 8 << 20
    static let keptProblems = 200
}

/// Why a whole file was refused before any row was imported.
public enum ImportRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyFile
    case onlyBlankLines
    case headerOnly(columns: [String])
    case unreadableSeparator(Character)
    case tooManyColumns
    case headerTooLarge(CSVStream.Failure)
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
        case .onlyBlankLines:
            "The file has only blank lines: it needs a header row naming the attributes, then one row per profile."
        case .headerOnly(let columns):
            "The file has a header row (\(columns.prefix(20).joined(separator: ", "))) but no profiles under it: add one row per profile and import it again."
        case .unreadableSeparator(let separator):
            "The header row seems to separate its columns with “\(separator)”. Outbound reads columns separated by commas, semicolons or tabs: save the file as CSV and import it again."
        case .tooManyColumns:
            "The header row has more than \(ImportOptions.maxAttributes + 1) columns; Outbound imports at most \(ImportOptions.maxAttributes) attributes per profile."
        case .headerTooLarge(let failure): (failure.limitDescription ?? "The header row cannot be read.") + " It must name the attributes."
        case .duplicateColumn(let name): "The column \(name) appears twice in the header row."
        case .unnamedColumn(let index): "Column \(index) of the header row has no name."
        case .badColumnName(let index):
            "Column \(index) of the header row has a name longer than 200 characters or with control characters."
        case .needsIdColumn(let columns):
            "No column is called profile_id or id. Choose the column that holds the profile id (one of: \(columns.prefix(20).joined(separator: ", ")))."
        case .unknownIdColumn(let name): "The file has no column called \(name) to use as the profile id."
        case .unknownDeclaredColumn(let name): "A type was given for \(name), but the file has no such column."
        case .notText: "The file is not UTF-8 text. Save it as CSV (UTF-8) and import it again."
        }
    }
}

/// Imports a CSV file of profiles: streams it (memory stays flat whatever its size), validates every row, and
/// writes chunks of a few thousand rows per transaction so the rest of the app stays responsive. Synchronous:
/// callers run it on a dedicated thread, never on the threads tasks run on.
///
/// Parsing uses `CSVStream` (see there for why it is not a library).
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
        /// `"a3":`, built once: concatenating it per value cost millions of allocations.
        var jsonKey: String
    }

    /// Reads the header and decides the columns; throws a refusal for a file that cannot be imported at all.
    struct Prepared {
        var header: [String]
        var idIndex: Int
        var declared: [Int: AttributeType]
        /// The rows read ahead for type inference, with the line each starts on.
        var firstRows: [(row: [String], line: Int)]
        /// A decoding failure met while reading ahead; it is reported once those rows are imported.
        var failure: CSVStream.Failure?
    }

    /// - Parameter otherSeparators: separators Outbound does not read that the header row has (from the sniff).
    func prepare(_ reader: CSVStream, otherSeparators: Set<Character> = []) throws -> Prepared {
        let first: [String]?
        // The column count is checked while the header is read, not after it is all in memory.
        reader.limits.maxValues = ImportOptions.maxAttributes + 1
        var blankLines = 0
        do {
            // Blank lines before the header are skipped; a file of nothing else gets its own message.
            var line = try reader.next()
            while let row = line, Self.isBlank(row) {
                blankLines += 1
                line = try reader.next()
            }
            first = line
        } catch CSVStream.Failure.notUTF8 { throw ImportRefusal.notText } catch CSVStream.Failure.tooManyValues {
            throw ImportRefusal.tooManyColumns
        } catch let failure as CSVStream.Failure { throw ImportRefusal.headerTooLarge(failure) }
        reader.limits = CSVStream.Limits()
        guard var header = first else { throw blankLines > 0 ? ImportRefusal.onlyBlankLines : ImportRefusal.emptyFile }
        if header.count == 1, let separator = otherSeparators.first(where: { header[0].contains($0) }) {
            throw ImportRefusal.unreadableSeparator(separator)
        }
        if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0] = String(first.dropFirst()) }
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
        } else if let index = names.firstIndex(where: { $0.lowercased() == "profile_id" })
            ?? names.firstIndex(where: { $0.lowercased() == "id" })
        {
            idIndex = index
        } else {
            throw ImportRefusal.needsIdColumn(columns: names)
        }
        var firstRows: [(row: [String], line: Int)] = []
        do {
            var bytes = 0
            while firstRows.count < ImportOptions.inferenceRows, bytes < ImportOptions.inferenceBytes, let row = try reader.next() {
                firstRows.append((row, reader.rowLine))
                bytes += reader.rowBytes
            }
        } catch let failure as CSVStream.Failure {
            return Prepared(header: names, idIndex: idIndex, declared: declared, firstRows: firstRows, failure: failure)
        }
        if firstRows.count < ImportOptions.inferenceRows, firstRows.allSatisfy({ Self.isBlank($0.row) }) {
            throw ImportRefusal.headerOnly(columns: names)
        }
        return Prepared(header: names, idIndex: idIndex, declared: declared, firstRows: firstRows, failure: nil)
    }

    static func isBlank(_ row: [String]) -> Bool {
        row.count == 1 && row[0].trimmingCharacters(in: .whitespaces).isEmpty
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
        try database.withBulkWriteCache { try runImport(file: file, job: job, progress: progress) }
    }

    private func runImport(file: String, job: ImportJob, progress: (ImportJob) -> Void) throws -> ImportJob {
        var job = job
        var problems: [ImportJob.Problem] = []
        func finish(_ status: ImportJob.Status, message: String?) throws -> ImportJob {
            job.status = status
            job.message = message
            job.finishedAt = database.clock.now
            job.problems = String(decoding: (try? JSONEncoder().encode(problems)) ?? Data("[]".utf8), as: UTF8.self)
            try database.updateImport(job)
            progress(job)
            return job
        }
        let reader: CSVStream
        do { reader = try CSVStream(path: file) } catch { return try finish(.failed, message: "The uploaded file could not be read.") }
        let sniffed = CSVStream.sniffDelimiter(path: file)
        reader.delimiter = sniffed.delimiter
        let prepared: Prepared
        do { prepared = try prepare(reader, otherSeparators: sniffed.others) } catch let refusal as ImportRefusal {
            if case .needsIdColumn(let columns) = refusal {
                // The caller may keep the file and ask which column holds the id.
                job.columns = String(decoding: (try? JSONEncoder().encode(columns)) ?? Data("[]".utf8), as: UTF8.self)
                if options.keepsFileForIdColumn { job.pendingFile = file }
            }
            return try finish(.failed, message: refusal.description)
        }
        let header = prepared.header
        var wanted: [(name: String, type: AttributeType)] = []
        for (index, name) in header.enumerated() where index != prepared.idIndex {
            let type =
                prepared.declared[index]
                ?? (name.lowercased() == "email" ? .text : Self.infer(prepared.firstRows.map { $0.row.count > index ? $0.row[index] : "" }))
            wanted.append((name, type))
        }
        let attributes = try database.ensureAttributes(tenantId: tenantId, wanted)
        var columns: [Column] = []
        var next = 0
        for index in header.indices where index != prepared.idIndex {
            columns.append(Column(index: index, attribute: attributes[next], jsonKey: "\"\(attributes[next].key)\":"))
            next += 1
        }

        // An email column's empty or malformed values are counted: those profiles can never be exported.
        let emailIndex = header.firstIndex { $0.lowercased() == "email" }
        var chunk: [(profileId: String, json: String)] = []
        chunk.reserveCapacity(options.chunkSize)
        let importId = job.id!
        // Parsing and writing overlap: chunks go to a writer queue (at most two in flight, so memory stays flat)
        // while this thread parses the next one. Both are off the threads tasks run on.
        let writer = ChunkWriter(database: database, tenantId: tenantId, importId: importId)
        func flush() throws {
            guard !chunk.isEmpty else { return }
            try writer.enqueue(chunk)
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
        func handle(_ row: [String], rowLine: Int) throws {
            if Self.isBlank(row) { return }  // a blank line
            job.rowsRead += 1
            guard row.count == header.count else {
                return reject("expected \(header.count) values, found \(row.count)", at: rowLine)
            }
            let id = row[prepared.idIndex].trimmedSpaces
            guard !id.isEmpty else { return reject("the id (\(header[prepared.idIndex])) is empty", at: rowLine) }
            guard id.count <= 200 else { return reject("the id is longer than 200 characters", at: rowLine) }
            var json = "{"
            json.reserveCapacity(256)
            for (position, column) in columns.enumerated() {
                if position > 0 { json += "," }
                json += column.jsonKey
                let raw = row[column.index].trimmedSpaces
                if raw.isEmpty {
                    json += "null"
                    continue
                }
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
            if let emailIndex, case .failure = ContactEmail.normalise(row[emailIndex]) { job.rowsWithoutEmail += 1 }
            chunk.append((id, json))
            if chunk.count >= options.chunkSize { try flush() }
        }

        for (row, rowLine) in prepared.firstRows { try handle(row, rowLine: rowLine) }
        do {
            if let failure = prepared.failure { throw failure }
            while let row = try reader.next() { try handle(row, rowLine: reader.rowLine) }
        } catch CSVStream.Failure.notUTF8(let badLine) {
            try flush()
            try writer.drain()
            return try finish(
                .failed,
                message:
                    "Line \(badLine) is not UTF-8 text. The \(job.rowsImported) rows before it were imported; save the file as CSV (UTF-8) and import it again."
            )
        } catch let failure as CSVStream.Failure {
            try flush()
            try writer.drain()
            let limit = failure.limitDescription ?? "The file could not be read further."
            return try finish(.failed, message: "\(limit) The \(job.rowsImported) rows before it were imported; the import stopped there.")
        }
        try flush()
        try writer.drain()
        if options.replaceAll {
            // A file with no profile in it would remove them all: never on a "replace all" that imported nothing.
            guard job.rowsImported > 0 else {
                return try finish(
                    .failed,
                    message:
                        "The file has no rows to import, so nothing was replaced: \"Replace all\" keeps only the profiles in the file, and this one has none."
                )
            }
            job.rowsRemoved = try database.removeProfilesNotIn(importId: importId, tenantId: tenantId)
        }
        let separated: String? =
            switch sniffed.delimiter {
            case 0x3B: "Read as separated by semicolons (found in the header row)."
            case 0x09: "Read as separated by tabs (found in the header row)."
            default: nil
            }
        return try finish(job.rowsRejected == 0 ? .succeeded : .completedWithErrors, message: separated)
    }
}

/// Writes chunks on a serial queue of its own, with at most two chunks in flight.
final class ChunkWriter: @unchecked Sendable {
    private let database: AppDatabase
    private let tenantId: Int64
    private let importId: Int64
    private let queue = DispatchQueue(label: "outbound.import.writer")
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: (any Error)?  // guarded by `lock`

    init(database: AppDatabase, tenantId: Int64, importId: Int64) {
        self.database = database
        self.tenantId = tenantId
        self.importId = importId
    }

    func enqueue(_ rows: [(profileId: String, json: String)]) throws {
        try rethrowFailure()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            do { try database.upsertProfiles(tenantId: tenantId, importId: importId, rows: rows, now: database.clock.now) } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
    }

    /// Waits for every queued chunk and throws the first write error, if any.
    func drain() throws {
        queue.sync {}
        try rethrowFailure()
    }

    private func rethrowFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}

enum JSONText {
    /// Appends `text` as a JSON string literal. Written by hand because it runs for every value of a
    /// million-row import, where JSONEncoder's per-call overhead dominates.
    static func append(_ text: String, to json: inout String) {
        json += "\""
        // Most values need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            json += text
            json += "\""
            return
        }
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

extension String {
    /// Without leading and trailing spaces and tabs. Foundation's `trimmingCharacters(in:)` dominated the import's
    /// profile (a third of its time), so this runs on the UTF-8 bytes and returns `self` when nothing is trimmed.
    var trimmedSpaces: String {
        let bytes = utf8
        guard let first = bytes.first, let last = bytes.last else { return self }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard isSpace(first) || isSpace(last) else { return self }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}

extension CSVStream.Failure {
    /// What a broken row limit means to the person, naming the line; nil for other failures.
    var limitDescription: String? {
        switch self {
        case .tooManyValues(let line, let limit): "Line \(line) has more than \(limit.formatted()) values."
        case .valueTooLong(let line, let limit): "Line \(line) has a value longer than \(limit / 1024) KiB."
        case .rowTooLong(let line, let limit): "Line \(line) is longer than \(limit >> 20) MiB."
        case .notUTF8, .unreadable: nil
        }
    }
}

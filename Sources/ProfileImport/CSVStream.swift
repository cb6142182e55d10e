import Foundation

/// A streaming RFC 4180 CSV reader over a file: quoted fields, doubled quotes, embedded newlines, CRLF or LF,
/// a UTF-8 byte-order mark, blank lines. Memory stays at one read buffer plus one row, and `limits` bound the row:
/// a file whose line is one 150 MB value, or a million commas, stops with its line instead of filling memory.
///
/// Written by hand, against the project rule, because the maintained libraries on this machine cannot meet the
/// import goal (a million rows in well under 20 s): yaslab/CSV.swift streams but reads one byte per method call
/// through Unicode iterators, and SwiftCSV loads the whole file into memory. `benchmarks/csv_parsers.sh` measures
/// CSV.swift against this reader on the same file (5.7 s against 1.3 s for the million rows; BENCHMARKS.md).
public final class CSVStream {
    public enum Failure: Error, Equatable {
        /// A value is not valid UTF-8; `line` is where its row starts.
        case notUTF8(line: Int)
        case unreadable
        /// A row broke one of `limits`; `line` is where it starts.
        case tooManyValues(line: Int, limit: Int)
        case valueTooLong(line: Int, limit: Int)
        case rowTooLong(line: Int, limit: Int)
    }

    /// Bounds on one row, checked while it is read (values at each value's end, bytes at least once per read
    /// buffer), so memory never holds more than about a buffer beyond them.
    public struct Limits: Sendable {
        public var maxValues: Int
        public var maxValueBytes: Int
        public var maxRowBytes: Int

        public init(maxValues: Int = 1_000, maxValueBytes: Int = 64 * 1024, maxRowBytes: Int = 1 << 20) {
            self.maxValues = maxValues
            self.maxValueBytes = maxValueBytes
            self.maxRowBytes = maxRowBytes
        }
    }

    public var limits = Limits()
    /// The byte between values: a comma, or what `sniffDelimiter` found (semicolon, tab).
    public var delimiter: UInt8 = 0x2C

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var field: [UInt8] = []
    private var started = false
    /// Lines consumed so far (a quoted value with newlines spans several).
    public private(set) var line = 0
    /// The line on which the last row returned by `next()` started.
    public private(set) var rowLine = 0
    /// The bytes of the last row returned by `next()`, as in the file.
    public private(set) var rowBytes = 0
    static let chunkSize = 1 << 20

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure.unreadable }
        self.handle = handle
        field.reserveCapacity(256)
    }

    deinit { try? handle.close() }

    private func fill() -> Bool {
        guard !atEnd else { return false }
        let data = handle.readData(ofLength: Self.chunkSize)
        if data.isEmpty {
            atEnd = true
            return false
        }
        buffer = [UInt8](data)
        position = 0
        if !started {
            started = true
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
        }
        return true
    }

    @inline(__always)
    private static func endField(_ field: inout [UInt8], into row: inout [String], line: Int, limits: Limits) throws {
        guard row.count < limits.maxValues else { throw Failure.tooManyValues(line: line, limit: limits.maxValues) }
        guard field.count <= limits.maxValueBytes else { throw Failure.valueTooLong(line: line, limit: limits.maxValueBytes) }
        guard let text = String(validating: field, as: UTF8.self) else { throw Failure.notUTF8(line: line) }
        row.append(text)
        field.removeAll(keepingCapacity: true)
    }

    /// The next row, or nil at the end of the file.
    public func next() throws -> [String]? {
        var row: [String] = []
        row.reserveCapacity(16)
        // Hot loop state lives in locals: class properties would cost an exclusivity check per byte.
        var field = self.field
        field.removeAll(keepingCapacity: true)
        defer { self.field = field }
        var inQuotes = false
        var quoteSeen = false  // the previous byte closed a quoted section (or is the first of a doubled quote)
        var sawAnything = false
        var newlines = 0
        let startLine = line + 1
        let limits = self.limits
        let delimiter = self.delimiter
        rowLine = startLine
        rowBytes = 0
        while true {
            if position >= buffer.count, !fill() {
                guard sawAnything else { return nil }
                try Self.endField(&field, into: &row, line: startLine, limits: limits)
                line += newlines + 1
                return row
            }
            sawAnything = true
            var index = position
            let count = buffer.count
            let finished: Bool = try buffer.withUnsafeBufferPointer { bytes in
                while index < count {
                    let byte = bytes[index]
                    index += 1
                    if inQuotes {
                        if byte == 0x22 {  // "
                            inQuotes = false
                            quoteSeen = true
                        } else {
                            if byte == 0x0A { newlines += 1 }
                            field.append(byte)
                        }
                        continue
                    }
                    switch byte {
                    case 0x22:  // "
                        if quoteSeen { field.append(byte) }  // "" inside a quoted value is one quote
                        inQuotes = true
                        quoteSeen = false
                    case delimiter:
                        quoteSeen = false
                        try Self.endField(&field, into: &row, line: startLine, limits: limits)
                    case 0x0A:  // \n
                        if field.last == 0x0D, !quoteSeen { field.removeLast() }
                        try Self.endField(&field, into: &row, line: startLine, limits: limits)
                        return true
                    case 0x0D where quoteSeen:
                        continue  // CRLF after a closing quote
                    default:
                        quoteSeen = false
                        field.append(byte)
                    }
                }
                return false
            }
            rowBytes += index - position
            position = index
            guard rowBytes <= limits.maxRowBytes else { throw Failure.rowTooLong(line: startLine, limit: limits.maxRowBytes) }
            guard field.count <= limits.maxValueBytes else { throw Failure.valueTooLong(line: startLine, limit: limits.maxValueBytes) }
            if finished {
                line += newlines + 1
                return row
            }
        }
    }
}

extension CSVStream {
    /// The separator of the file's header row (its first line that is not blank), outside quotes: the most
    /// frequent of comma, semicolon and tab, with a comma on a tie. Spreadsheets in many countries write
    /// semicolons; "Unicode text" exports write tabs. Also returns the other separators the line has (for a
    /// message when a file uses one Outbound does not read).
    public static func sniffDelimiter(path: String) -> (delimiter: UInt8, others: Set<Character>) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return (0x2C, []) }
        defer { try? handle.close() }
        let bytes = [UInt8](handle.readData(ofLength: 64 * 1024))
        var counts: [UInt8: Int] = [:]
        var others: Set<Character> = []
        var inQuotes = false
        var seenText = false
        for byte in bytes {
            if byte == 0x22 { inQuotes.toggle() }
            if inQuotes { continue }
            if byte == 0x0A || byte == 0x0D {
                if seenText { break }
                continue
            }
            seenText = true
            switch byte {
            case 0x2C, 0x3B, 0x09: counts[byte, default: 0] += 1
            case 0x7C, 0x5E: others.insert(Character(Unicode.Scalar(byte)))  // | ^
            default: break
            }
        }
        let best = [UInt8(0x2C), 0x3B, 0x09].max { (counts[$0] ?? 0) < (counts[$1] ?? 0) } ?? 0x2C
        return ((counts[best] ?? 0) > (counts[0x2C] ?? 0) ? best : 0x2C, others)
    }
}

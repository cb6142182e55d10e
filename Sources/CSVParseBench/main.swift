import CSV
import Foundation
import ProfileImport

// Parse-only throughput of the CSV readers available here, on one file: the evidence for writing CSVStream by
// hand (see its doc comment). Reads every row and counts rows and fields; no database work.
// Usage: csv-parse-bench FILE.csv
guard CommandLine.arguments.count == 2 else {
    print("usage: csv-parse-bench FILE.csv")
    exit(64)
}
let path = CommandLine.arguments[1]

func measure(_ name: String, _ body: () throws -> (rows: Int, fields: Int)) rethrows {
    let started = Date()
    let (rows, fields) = try body()
    let seconds = Date().timeIntervalSince(started)
    print(String(format: "%@\t%d rows\t%d fields\t%.2f s", name, rows, fields, seconds))
}

try measure("CSVStream (Outbound)") {
    let reader = try CSVStream(path: path)
    var rows = 0
    var fields = 0
    while let row = try reader.next() {
        rows += 1
        fields += row.count
    }
    return (rows, fields)
}

try measure("yaslab/CSV.swift 2.5.2") {
    guard let stream = InputStream(fileAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
    let reader = try CSVReader(stream: stream, codecType: UTF8.self, hasHeaderRow: false)
    var rows = 0
    var fields = 0
    while let row = reader.next() {
        rows += 1
        fields += row.count
    }
    return (rows, fields)
}

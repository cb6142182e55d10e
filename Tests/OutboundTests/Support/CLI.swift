import Foundation
import Testing

/// Runs the built `outbound` executable (scripts/test builds it with `swift build --build-tests`).
enum CLI {
    static var executable: String { packageRoot + "/.build/debug/outbound" }

    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            Issue.record("Build the executable first: swift build (missing \(executable))")
            return Result(status: -1, output: "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OUTBOUND_") }
        env.merge(environment) { $1 }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "outbound-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

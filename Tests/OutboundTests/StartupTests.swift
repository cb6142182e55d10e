import AsyncHTTPClient
import Foundation
import Testing

/// `outbound serve` as an operator meets it: the executable in a child process, its output read as printed.
@Suite(.serialized) struct StartupTests {
    @Test func aBusyPortKeepsTheFirstPasswordForTheStartThatListens() async throws {
        let dataDir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await MisbehavingServer.with(.silent) { busyPort in
            let refused = try CLI.run(["serve", "--port", String(busyPort), "--data-dir", dataDir, "--no-engine"])
            #expect(refused.status != 0)
            #expect(!refused.output.contains("One-time password"), "\(refused.output)")
        }

        // Port 0: the message names the port the system chose, and that address answers.
        let first = try ServeProcess(["serve", "--port", "0", "--data-dir", dataDir])
        let printed = try #require(first.waitFor("This password is shown only now"), "\(first.output)")
        #expect(printed.contains("One-time password:"))
        let port = try #require(Self.port(in: printed))
        #expect(port != 0)
        let health = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(port)/healthz").get()
        #expect(health.status == .ok)
        #expect(first.stop(SIGTERM) == 0)
        #expect(!first.output.contains("Error:"), "\(first.output)")

        // Never signed in: the next start says how to get a new password, and Ctrl-C also ends cleanly.
        let second = try ServeProcess(["serve", "--port", "0", "--data-dir", dataDir, "--no-engine"])
        let again = try #require(second.waitFor("--data-dir"), "\(second.output)")
        #expect(!again.contains("One-time password:"))
        #expect(again.contains("admin@outbound.local has not signed in yet"))
        #expect(again.contains("outbound user reset-password --email admin@outbound.local --data-dir \(dataDir)"))
        #expect(second.stop(SIGINT) == 0)
        #expect(!second.output.contains("CancellationError"), "\(second.output)")
    }

    static func port(in text: String) -> Int? {
        guard let range = text.range(of: "http://127.0.0.1:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}

/// A running `outbound` whose output is read as it comes. A watchdog kills it after two minutes, so a start
/// that never prints fails the test instead of hanging it (a bound for a broken start, not a pace).
final class ServeProcess: @unchecked Sendable {
    private let process = Process()
    private let pipe = Pipe()
    private(set) var output = ""

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OUTBOUND_") }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) { [process] in
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Reads until `text` has been printed; nil when the process ends first.
    func waitFor(_ text: String) -> String? {
        while !output.contains(text) {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            output += String(decoding: data, as: UTF8.self)
        }
        return output
    }

    /// Sends `signal`, reads the rest of the output and returns the exit status.
    func stop(_ signal: Int32) -> Int32 {
        kill(process.processIdentifier, signal)
        output += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }
}

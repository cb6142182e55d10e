import ArgumentParser
import Foundation
import Logging

/// `--log-format json`: one JSON object a line on standard error, for log collectors (journald, Loki, …).
/// swift-log ships only a text handler and no JSON one is in our package store, so this small one is ours.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        fields["time"] = Self.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        fields["source"] = event.source
        JSONLogOutput.shared.write(fields)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

/// Serialises lines from every thread onto standard error, each line whole.
final class JSONLogOutput: @unchecked Sendable {
    static let shared = JSONLogOutput()
    private let lock = NSLock()
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func write(_ fields: [String: String]) {
        lock.lock()
        defer { lock.unlock() }
        guard var line = try? encoder.encode(fields) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }
}

/// How the long-running commands (`serve`, `engine`) write their logs.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json

    /// Chooses the handler for every logger of the process; call once, before the first logger is made.
    func bootstrap() {
        switch self {
        case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }
}

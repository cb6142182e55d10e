import ArgumentParser
import CMalloc
import Foundation
import NIOCore
import NIOPosix
import Secrets
import Store

@main
struct Outbound: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbound",
        abstract: "Outbound exports segments of customer profiles to ActiveCampaign lists.",
        discussion: """
            Every option can also be set with an OUTBOUND_* environment variable, named after the option \
            (for example --data-dir is OUTBOUND_DATA_DIR); a flag on the command line wins.
            """,
        subcommands: [
            Demo.self, Serve.self, Migrate.self, BackupCommand.self, TenantCommand.self, UserCommand.self, ProfilesCommand.self,
            SegmentsCommand.self,
            KeysCommand.self, Doctor.self, ConnectionsCommand.self, ExportsCommand.self, RunsCommand.self, EngineCommand.self,
            StatusCommand.self,
        ],
        defaultSubcommand: nil
    )

    static func main() async {
        // Tasks run on NIO's event loops instead of a second pool of threads: every ActiveCampaign request, web
        // request and database answer resumed its task on another thread, and a full export spent a sixth of its
        // CPU switching threads (167,000 context switches and 218,000 futex calls at a million profiles; 111,000
        // and 80,000 with this). It holds because what is long or heavy never runs on a task: scrypt, CSV
        // parsing and segment refreshes have their own threads (`BlockingPool`), database work GRDB's queues;
        // what stays is short (an upload's chunk written to its temporary file).
        if !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            FileHandle.standardError.write(Data("note: Swift's own thread pool runs the tasks (NIO's could not be installed)\n".utf8))
        }
        limitMallocArenas()
        await Self.main(nil)
    }

    /// glibc gives each thread that allocates at once its own heap arena (up to eight per core), and memory freed
    /// in one is not reused by another: with the engine's freeze and its sender on different threads, an export
    /// of a million profiles peaked at 170 MiB instead of 130. Two arenas keep the peak flat at no measured CPU
    /// cost. An operator's MALLOC_ARENA_MAX still wins.
    private static func limitMallocArenas() {
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { _ = cmalloc_limit_arenas(2) }
    }
}

/// Options every command shares.
struct DataOptions: ParsableArguments {
    @Option(help: "Folder holding outbound.sqlite and the key ring (env OUTBOUND_DATA_DIR).")
    var dataDir: String = Environment.value("OUTBOUND_DATA_DIR") ?? "./outbound-data"

    @Option(help: "The key ring that seals API keys (env OUTBOUND_KEY_FILE); default <data-dir>/master.key.")
    var keyFile: String?

    var databasePath: String { (dataDir as NSString).appendingPathComponent("outbound.sqlite") }

    var keyRingFile: KeyRingFile {
        KeyRingFile(path: keyFile ?? Environment.value("OUTBOUND_KEY_FILE") ?? (dataDir as NSString).appendingPathComponent("master.key"))
    }

    /// Creates the data folder when needed and opens the database (running pending migrations).
    func openDatabase() throws -> AppDatabase {
        try prepareDataDirectory()
        return try AppDatabase.open(path: databasePath)
    }

    /// Opens the database and finds the workspace with `slug`, or says there is none.
    func openWorkspace(_ slug: String) async throws -> (AppDatabase, Tenant) {
        let database = try openDatabase()
        guard let workspace = try await database.tenant(slug: slug) else {
            throw CLIError("No workspace has the slug \(slug). Create it with `outbound tenant create`.")
        }
        return (database, workspace)
    }

    /// Opens the database and its key ring, turning every refusal into its plain message.
    func openDatabaseAndVault() throws -> (AppDatabase, Vault) {
        let database = try openDatabase()
        do {
            return (database, try database.openVault(file: keyRingFile))
        } catch let problem as KeyRingFile.Problem {
            throw CLIError(problem.description)
        }
    }

    /// Creates the data folder, readable by its owner only, when it is missing.
    func prepareDataDirectory() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CLIError("--data-dir \(dataDir) exists but is not a folder.") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: dataDir,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw CLIError("Cannot create the data folder \(dataDir): \(error.localizedDescription)")
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    static func list(_ name: String) -> [String] {
        value(name)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
    }
}

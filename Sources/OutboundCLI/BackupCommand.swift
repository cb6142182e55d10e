import ArgumentParser
import Foundation
import Store

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database to a new FILE, safely while Outbound runs.",
        discussion: """
            Uses SQLite's online backup API (one consistent snapshot; never copy the live outbound.sqlite and its \
            -wal file by hand), checks the copy with PRAGMA integrity_check, and writes it owner-only. Keep the key \
            file (master.key) too, and apart from the backup: without it the stored API keys cannot be read. To \
            restore, stop Outbound and put the copy in place as <data-dir>/outbound.sqlite (removing any \
            outbound.sqlite-wal and -shm beside it).
            """
    )
    @OptionGroup var data: DataOptions
    @Argument(help: "The new file to write.") var file: String

    func run() async throws {
        let database = try data.openDatabase()
        let started = ContinuousClock.now
        do {
            let bytes = try database.backup(to: file)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print(
                "Backed up \(data.databasePath) to \(file) (\(bytes.formatted()) bytes, integrity ok)"
                    + String(format: " in %.1f s.", seconds)
            )
        } catch let error as BackupError {
            throw CLIError(error.description)
        }
    }
}

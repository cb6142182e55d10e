import Foundation
import GRDB
import OutboundCore
import Synchronization

/// Owns the SQLite database: its configuration, its migrations, and every read and write of Outbound's data.
/// Production uses a WAL `DatabasePool` (so do the engine's tests); most other tests use an in-memory `DatabaseQueue`.
public struct AppDatabase: Sendable {
    let writer: any DatabaseWriter
    /// Every write stamps its time from here, so tests on a manual clock see the times they set.
    public let clock: AppClock
    private let bulkWrites = BulkWriteCount()

    public init(_ writer: any DatabaseWriter, clock: AppClock = AppClock()) throws {
        self.writer = writer
        self.clock = clock
        try Self.refuseNewerSchema(writer)
        try Self.migrator.migrate(writer)
    }

    /// A database written by a newer Outbound holds migrations this build does not know: running on it could
    /// misread or damage data, so start-up stops with a message instead (restore the newer version, or a backup).
    static func refuseNewerSchema(_ writer: any DatabaseWriter) throws {
        let unknown: [String] = try writer.read { db in
            guard try Self.migrator.hasBeenSuperseded(db) else { return [] }
            let known = Set(Self.migrator.migrations)
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
                .filter { !known.contains($0) }
        }
        if !unknown.isEmpty { throw SchemaTooNew(unknownMigrations: unknown) }
    }

    public var reader: any DatabaseReader { writer }

    /// A reader whose every read sees the database as it was when it was made, however many reads it serves and
    /// whatever is written meanwhile: a WAL snapshot (it keeps its read transaction open until released, so hold it
    /// only as long as needed). An in-memory database (tests) serialises every access and is returned as is.
    func consistentReader() throws -> any DatabaseReader {
        if let pool = writer as? DatabasePool { return try pool.makeSnapshot() }
        return writer
    }

    /// A SQL function reading a stored batch's payload as the JSON object of email → fingerprint it enters in the
    /// ledger once delivered (`BatchPayload.ledgerEntries`).
    static let batchLedgerEntries = "batch_ledger_entries"

    /// A SQL function folding case for all of Unicode (SQLite's own lower() folds ASCII only).
    static let unicodeLower = "unicode_lower"

    static func configuration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // The web app, the engine and CLI commands share one file: wait for the writer rather than fail.
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL with synchronous=NORMAL: a commit is durable once the WAL is synced at checkpoint; a process
            // crash loses nothing, a power cut at most the last commits (the engine resends those batches, and an
            // upsert by email makes that safe). FULL synced every engine checkpoint and doubled a run's time.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // The writer keeps a run's hot pages (the batch being confirmed, the ledger pages a merge walks) in
            // memory. 8 MiB: its writes are in key order now (32 MiB served random ledger upserts, and was a fifth of
            // an engine's peak memory). A profile import raises it while it runs (`withBulkWriteCache`).
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = \(Self.writerCacheKiB)") }
            db.add(
                function: DatabaseFunction(unicodeLower, argumentCount: 1, pure: true) { values in
                    String.fromDatabaseValue(values[0])?.lowercased()
                }
            )
            db.add(
                function: DatabaseFunction(emailIdentity, argumentCount: 1, pure: true) { values in
                    String.fromDatabaseValue(values[0])?.trimmingWhitespace().lowercased()
                }
            )
            db.add(
                function: DatabaseFunction(batchLedgerEntries, argumentCount: 1, pure: true) { values in
                    // A damaged payload enters nothing (its contacts are sent again by the next run, which an upsert
                    // by email makes safe): failing would fail the merge, and with it every way to end the run —
                    // finishing, failing, a person's cancel.
                    Data.fromDatabaseValue(values[0]).flatMap { try? BatchPayload.ledgerEntries(payload: $0) }
                }
            )
        }
        return config
    }

    static let writerCacheKiB = -8192
    static let bulkWriterCacheKiB = -32768

    /// Runs `body` with the writer's cache at 32 MiB: a profile import inserts into the profile-id index at random
    /// places, and a million rows took 6.6–7.1 s with 8 MiB against 5.2–5.4 s (`sqlite3 .import`: 1.9 s). Imports
    /// running at once share the larger cache; the last to end puts it back.
    public func withBulkWriteCache<T>(_ body: () throws -> T) throws -> T {
        let first = bulkWrites.enter()
        defer { if bulkWrites.leave() { try? setWriterCache(Self.writerCacheKiB) } }
        if first { try setWriterCache(Self.bulkWriterCacheKiB) }
        return try body()
    }

    private func setWriterCache(_ kib: Int) throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = \(kib)") }
    }

    /// Opens (creating when needed) the database at `path` in WAL mode and runs pending migrations.
    public static func open(path: String, clock: AppClock = AppClock()) throws -> AppDatabase {
        try AppDatabase(DatabasePool(path: path, configuration: configuration()), clock: clock)
    }

    /// A fresh in-memory database, for tests only.
    public static func inMemory(clock: AppClock = AppClock()) throws -> AppDatabase {
        try AppDatabase(DatabaseQueue(configuration: configuration()), clock: clock)
    }

    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    public func isReachable() async -> Bool {
        (try? await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}

/// The database was upgraded by a newer version of Outbound; this one refuses to open it.
public struct SchemaTooNew: Error, CustomStringConvertible, Sendable {
    public let unknownMigrations: [String]

    public var description: String {
        "This database was upgraded by a newer version of Outbound (it has changes this version does not know: "
            + unknownMigrations.joined(separator: "; ")
            + "). Downgrading is not supported: run the newer version again, or restore a backup taken with this one."
    }
}

/// How many bulk writers (imports) are running, across the tasks of one process.
final class BulkWriteCount: Sendable {
    private let count = Mutex(0)

    /// True for the first to enter.
    func enter() -> Bool {
        count.withLock {
            $0 += 1
            return $0 == 1
        }
    }

    /// True for the last to leave.
    func leave() -> Bool {
        count.withLock {
            $0 -= 1
            return $0 == 0
        }
    }
}

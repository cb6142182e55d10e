import Foundation
import GRDB
import Secrets

/// One sealed value in the database, with the context it was sealed for.
public struct StoredSecret: Sendable, Equatable {
    public var column: SealedColumn
    public var rowId: Int64
    public var tenantId: Int64
    public var sealed: String

    public var context: SealContext { SealContext(tenantId: tenantId, table: column.table, column: column.column, rowId: rowId) }
}

/// A column that holds sealed values. The list is fixed in code (table and column names cannot be SQL
/// parameters, so they come from here only, never from input).
public struct SealedColumn: Sendable, Equatable, CustomStringConvertible {
    public let table: String
    public let column: String

    public static let all = [
        SealedColumn(table: "connection", column: "apiKeySealed"),
        SealedColumn(table: "connectionDraft", column: "apiKeySealed"),
    ]
    public var description: String { "\(table).\(column)" }
}

extension AppDatabase {
    public func sealedValueCount() throws -> Int {
        try writer.read { db in
            try SealedColumn.all.reduce(0) { total, column in
                total + (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(column.table)\" WHERE \"\(column.column)\" IS NOT NULL") ?? 0)
            }
        }
    }

    /// How many sealed values each key id seals.
    public func sealedValueCountsByKey() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for column in SealedColumn.all {
            var after: Int64 = 0
            while true {
                let batch = try await sealedValues(in: column, afterRowId: after, limit: 5_000)
                guard let last = batch.last else { break }
                for secret in batch { counts[Vault.keyId(of: secret.sealed) ?? "unreadable", default: 0] += 1 }
                after = last.rowId
            }
        }
        return counts
    }

    /// Sealed values of one column in row order, a page at a time (each page one short read).
    public func sealedValues(in column: SealedColumn, afterRowId: Int64, limit: Int) async throws -> [StoredSecret] {
        try await reader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, tenantId, "\(column.column)" FROM "\(column.table)"
                    WHERE id > ? AND "\(column.column)" IS NOT NULL ORDER BY id LIMIT ?
                    """,
                arguments: [afterRowId, limit]
            ).map {
                StoredSecret(column: column, rowId: $0[0], tenantId: $0[1], sealed: $0[2])
            }
        }
    }

    /// Compare-and-swap: writes `replacement` only if the row still holds `secret.sealed`. A value changed
    /// meanwhile (say an admin replaced the API key) is never overwritten. Returns whether it was written.
    public func replaceSealedValue(_ secret: StoredSecret, with replacement: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE "\(secret.column.table)" SET "\(secret.column.column)" = ? WHERE id = ? AND "\(secret.column.column)" = ?
                    """,
                arguments: [replacement, secret.rowId, secret.sealed]
            )
            return db.changesCount == 1
        }
    }

    /// Opens the key ring for this database: creates one (mode 0600) on first start; refuses to when sealed values
    /// already exist, since a new ring could never open them.
    public func openVault(file: KeyRingFile) throws -> Vault {
        if !file.exists {
            let count = try sealedValueCount()
            guard count == 0 else { throw KeyRingFile.Problem.missingWithSealedValues(path: file.path, count: count) }
            try file.save(KeyRing.generate())
        }
        return try Vault(file: file)
    }
}

/// Re-seals every stored value with the key ring's sealing key, in batches, with compare-and-swap. Resumable:
/// a run that stopped part-way is finished by running it again.
public struct KeyRotation: Sendable {
    public struct Report: Sendable, Equatable {
        public var newKeyId: String
        public var resealed = 0
        public var changedMeanwhile = 0
        public var unreadable: [String] = []
    }

    let database: AppDatabase
    let file: KeyRingFile
    let batchSize: Int
    /// Runs after a batch is read and before it is written back; tests use it to change a value meanwhile.
    let afterRead: @Sendable ([StoredSecret]) async throws -> Void

    public init(
        database: AppDatabase,
        file: KeyRingFile,
        batchSize: Int = 500,
        afterRead: @escaping @Sendable ([StoredSecret]) async throws -> Void = { _ in }
    ) {
        self.database = database
        self.file = file
        self.batchSize = batchSize
        self.afterRead = afterRead
    }

    /// Adds a new key (open-only first, so every process can read what it will seal), makes it the sealing key,
    /// then re-seals. When a previous rotation left values under older keys, it finishes that one instead.
    public func run() async throws -> Report {
        var ring = try file.load()
        let counts = try await database.sealedValueCountsByKey()
        let leftovers = counts.filter { $0.key != ring.sealingKey.id }.values.reduce(0, +)
        if let pending = ring.pendingKeyId {
            try ring.makeSealing(pending)
            try file.save(ring)
        } else if leftovers == 0 {
            let id = ring.addOpenOnlyKey()
            try file.save(ring)
            try ring.makeSealing(id)
            try file.save(ring)
        }
        let vault = try Vault(file: file)
        var report = Report(newKeyId: ring.sealingKey.id)
        for column in SealedColumn.all {
            var after: Int64 = 0
            while true {
                let batch = try await database.sealedValues(in: column, afterRowId: after, limit: batchSize)
                guard let last = batch.last else { break }
                after = last.rowId
                try await afterRead(batch)
                for secret in batch {
                    let replacement: String?
                    do { replacement = try vault.reseal(secret.sealed, context: secret.context) } catch {
                        report.unreadable.append("\(column) row \(secret.rowId)")
                        continue
                    }
                    guard let replacement else { continue }
                    if try await database.replaceSealedValue(secret, with: replacement) {
                        report.resealed += 1
                    } else {
                        report.changedMeanwhile += 1
                    }
                }
            }
        }
        return report
    }
}

import Foundation
import GRDB

/// Why a backup was not written.
public enum BackupError: Error, CustomStringConvertible {
    case exists(String)
    case failedCheck(String)

    public var description: String {
        switch self {
        case .exists(let path): "\(path) already exists; choose a new file (a backup never overwrites one)."
        case .failedCheck(let result): "The copy failed SQLite's integrity check: \(result)"
        }
    }
}

extension AppDatabase {
    /// Copies the database to a new file at `path` with SQLite's online backup API, from one read snapshot: the
    /// copy is consistent while the web app, the engine and imports keep writing (a raw copy of a live WAL file is
    /// not). The copy is owner-only, checked with `PRAGMA integrity_check`, and appears at `path` only when good.
    /// Returns its size in bytes.
    public func backup(to path: String) throws -> Int {
        guard !FileManager.default.fileExists(atPath: path) else { throw BackupError.exists(path) }
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let copy = try DatabaseQueue(path: partial)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial)
            try writer.backup(to: copy)
            let check = try copy.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            try copy.close()
            guard check == ["ok"] else { throw BackupError.failedCheck(check.joined(separator: "; ")) }
            guard link(partial, path) == 0 else { throw BackupError.exists(path) }  // never replaces a file
            try FileManager.default.removeItem(atPath: partial)
            return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}

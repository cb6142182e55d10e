import Foundation

/// The key ring on disk. Refuses a file that group or others may read, and writes atomically with mode 0600.
public struct KeyRingFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public init(path: String, afterSaveStep: @escaping @Sendable (SaveStep) throws -> Void) {
        self.path = path
        self.afterSaveStep = afterSaveStep
    }

    public enum Problem: Error, CustomStringConvertible {
        case tooOpen(path: String, mode: Int)
        case unreadable(path: String, reason: String)
        case invalid(path: String, KeyRing.Problem)
        case missingWithSealedValues(path: String, count: Int)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .tooOpen(let path, let mode):
                "The key ring \(path) can be read by group or others (mode \(String(mode, radix: 8))). Run `chmod 600 \(path)` and start again."
            case .unreadable(let path, let reason):
                "Cannot read the key ring \(path): \(reason)."
            case .invalid(let path, let problem):
                "The key ring \(path) is not valid: \(problem). Restore it from your backup."
            case .missingWithSealedValues(let path, let count):
                "The key ring \(path) is missing, but the database holds \(count) sealed API key(s) that only it can open. Restore the file from your backup (or point --key-file / OUTBOUND_KEY_FILE at it). Outbound does not create a new key ring over sealed data."
            case .cannotWrite(let path, let reason):
                "Cannot write the key ring \(path): \(reason)."
            }
        }
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    public func load() throws -> KeyRing {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Problem.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw Problem.tooOpen(path: path, mode: mode) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Problem.unreadable(path: path, reason: "not a UTF-8 text file")
        }
        do { return try KeyRing.parse(text) } catch let problem as KeyRing.Problem {
            throw Problem.invalid(path: path, problem)
        }
    }

    /// The steps of `save`, in order; a test can inject a failure (a crash) after any of them.
    public enum SaveStep: String, CaseIterable, Sendable {
        case created, protected, written, fileSynced, renamed, directorySynced
    }

    /// Called after each step of `save` (tests only): throwing stops the save there, as a crash would.
    public var afterSaveStep: @Sendable (SaveStep) throws -> Void = { _ in }

    /// Writes the ring so that a crash at any point leaves either the old file or the new one, whole:
    /// a temporary file created exclusively (never following a link) in the same folder, made 0600 before a byte
    /// is written, written fully and fsynced, renamed over the old one, and the folder fsynced so the rename
    /// itself survives a power loss (otherwise the old ring could come back after values were sealed with the new).
    public func save(_ ring: KeyRing) throws {
        func failure(_ what: String) -> Problem { Problem.cannotWrite(path: path, reason: "\(what): \(String(cString: strerror(errno)))") }
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            try afterSaveStep(.created)
            guard fchmod(fd, 0o600) == 0 else { throw failure("fchmod") }
            try afterSaveStep(.protected)
            let bytes = Array(ring.serialized().utf8)
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw failure("write") }
                offset += count
            }
            try afterSaveStep(.written)
            guard fsync(fd) == 0 else { throw failure("fsync") }
            try afterSaveStep(.fileSynced)
        }
        guard rename(temporary, path) == 0 else { throw failure("rename") }
        renamed = true
        try afterSaveStep(.renamed)
        let folder = (path as NSString).deletingLastPathComponent
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw failure("open the folder") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw failure("fsync the folder") }
        try afterSaveStep(.directorySynced)
    }

    /// Modification time, to notice a rotation made by another process.
    var modificationStamp: timespec? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mtim : nil
    }
}

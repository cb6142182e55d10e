import Foundation

/// The key ring on disk. Refuses a file that group or others may read, and writes atomically with mode 0600.
public struct KeyRingFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

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

    /// Writes to a temporary file (0600) in the same folder and renames it over the old one, so a reader never
    /// sees half a key ring.
    public func save(_ ring: KeyRing) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Problem.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        let bytes = Array(ring.serialized().utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Problem.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Modification time, to notice a rotation made by another process.
    var modificationStamp: timespec? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mtim : nil
    }
}

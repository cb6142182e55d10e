import Foundation

/// Where uploads wait while they are imported: a folder only the server's user can enter (0700), inside the
/// data folder, never the shared /tmp (where other users could read a customer file or plant a link).
struct UploadFolder: Sendable {
    let path: String

    struct Unusable: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates the folder (or tightens an existing one) to 0700.
    static func prepare(_ path: String) throws -> UploadFolder {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } else if !isDirectory.boolValue {
            throw Unusable(description: "The uploads folder \(path) exists but is not a folder.")
        }
        guard chmod(path, 0o700) == 0 else { throw Unusable(description: "Cannot make \(path) owner-only (chmod 700).") }
        return UploadFolder(path: path)
    }

    func newFile() -> String {
        path + "/import-\(UUID().uuidString).csv"
    }

    /// Deletes every file no job still needs (at start: what a stopped server left behind). Returns how many.
    @discardableResult
    func removeLeftovers(keeping kept: Set<String>) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var removed = 0
        for name in names where !kept.contains(path + "/" + name) {
            if (try? FileManager.default.removeItem(atPath: path + "/" + name)) != nil { removed += 1 }
        }
        return removed
    }
}

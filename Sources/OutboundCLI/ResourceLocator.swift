import Foundation

/// Finds the top-level `Templates/` and `Public/` folders whatever the working directory: the explicit option,
/// then the working directory, then the folders above the executable (`.build/debug/outbound` sits three levels
/// below the repository).
enum ResourceLocator {
    static func locate(_ name: String, explicit: String?) throws -> String {
        if let explicit {
            guard isDirectory(explicit) else { throw CLIError("The \(name) folder given does not exist: \(explicit)") }
            return explicit
        }
        var candidates = [FileManager.default.currentDirectoryPath]
        let executable = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        ).standardizedFileURL
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder.path)
            folder = folder.deletingLastPathComponent()
        }
        for base in candidates {
            let path = (base as NSString).appendingPathComponent(name)
            if isDirectory(path) { return path }
        }
        throw CLIError("Cannot find the \(name) folder near the working directory or the executable. Pass --\(name.lowercased())-dir.")
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

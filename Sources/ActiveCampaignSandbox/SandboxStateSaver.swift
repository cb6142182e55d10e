import Foundation
import Logging
import ServiceLifecycle

/// Keeps the sandbox's state in a JSON file: written when it changed, at most once an `interval`, and once more at
/// shutdown. Run it before the sandbox's server and the export engine in a service group, so that it stops last.
public struct SandboxStateSaver: Service {
    let sandbox: Sandbox
    let path: String
    let interval: Duration
    let logger: Logger

    public init(sandbox: Sandbox, path: String, interval: Duration = .seconds(2), logger: Logger) {
        self.sandbox = sandbox
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let start = await sandbox.revision
        let saved = await cancelWhenGracefulShutdown {
            var saved = start
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                saved = await saveIfChanged(since: saved)
            }
            return saved
        }
        _ = await saveIfChanged(since: saved)
    }

    /// Writes the state when its revision moved past `revision`; returns the revision now on disk.
    public func saveIfChanged(since revision: Int) async -> Int {
        let (current, state) = await sandbox.revisionAndState()
        guard current != revision else { return revision }
        do {
            try state.write(to: path)
            return current
        } catch {
            logger.error("Could not save the sandbox's state to \(path): \(error)")
            return revision
        }
    }
}

extension Sandbox {
    /// The state with the revision it belongs to, read in one step.
    func revisionAndState() -> (Int, SandboxState) { (revision, state()) }
}

import Foundation
import OutboundCore
import ServiceLifecycle
import Store
import Synchronization

/// Runs profile imports as a ServiceLifecycle service: the web upload and `outbound profiles import` both call
/// `enqueue`, and the jobs run one at a time on the import thread, outliving the request that queued them.
public final class ImportService: Service, Sendable {
    /// One queued import: the file, how to read it, and who asked.
    public struct Request: Sendable {
        public var tenantId: Int64
        public var file: String
        public var fileName: String
        public var options: ImportOptions
        public var userId: Int64?
        public var actor: Actor
        /// An uploaded file is the service's to keep (for a missing id column) or delete; a CLI file is the user's.
        public var ownsFile: Bool

        public init(
            tenantId: Int64,
            file: String,
            fileName: String,
            options: ImportOptions,
            userId: Int64?,
            actor: Actor,
            ownsFile: Bool
        ) {
            self.tenantId = tenantId
            self.file = file
            self.fileName = fileName
            self.options = options
            self.userId = userId
            self.actor = actor
            self.ownsFile = ownsFile
        }
    }

    private struct Queued: Sendable {
        var request: Request
        var job: ImportJob
        var finished: @Sendable (ImportJob) -> Void
    }

    private let database: AppDatabase
    private let pool: BlockingPool
    private let queue: AsyncStream<Queued>
    private let queueInput: AsyncStream<Queued>.Continuation
    private let marksInterruptedJobs: Bool
    /// Opens once interrupted jobs are marked, so a job queued during start-up is never taken for one of them.
    private let started = Gate()

    /// - Parameter marksInterruptedJobs: the server's service marks, at its start, the jobs a stopped process left
    ///   running; a one-off command must not, since a running server may be importing.
    public init(database: AppDatabase, pool: BlockingPool, marksInterruptedJobs: Bool = true) {
        self.database = database
        self.pool = pool
        self.marksInterruptedJobs = marksInterruptedJobs
        (queue, queueInput) = AsyncStream.makeStream(of: Queued.self)
    }

    /// Creates the job (its page shows it at once) and queues it. `finished` is called with the final job.
    @discardableResult
    public func enqueue(_ request: Request, finished: @escaping @Sendable (ImportJob) -> Void = { _ in }) async throws -> ImportJob {
        if marksInterruptedJobs { await started.wait() }
        let job: ImportJob
        do {
            job = try await database.startImport(
                tenantId: request.tenantId,
                fileName: request.fileName,
                replaceAll: request.options.replaceAll,
                userId: request.userId,
                now: database.clock.now
            )
        } catch {
            if request.ownsFile { try? FileManager.default.removeItem(atPath: request.file) }  // a job that never started holds no file
            throw error
        }
        // The job records its upload, so a restart can tell a leftover file from one still in use.
        if request.ownsFile { try? await database.recordUploadFile(jobId: job.id!, path: request.file) }
        queueInput.yield(Queued(request: request, job: job, finished: finished))
        return job
    }

    /// Marks imports a stopped process left running, then runs queued jobs until shutdown.
    public func run() async throws {
        if marksInterruptedJobs {
            defer { started.open() }
            try await database.failInterruptedImports(now: database.clock.now)
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await queued in self.queue {
                    group.addTask { queued.finished(await self.perform(queued.request, job: queued.job)) }
                }
            }
        }
        queueInput.finish()
    }

    /// Runs one job on the import thread. A file without a recognisable id column is kept (when the service owns
    /// it), and the job page asks which column holds the id.
    private func perform(_ request: Request, job: ImportJob) async -> ImportJob {
        var options = request.options
        options.keepsFileForIdColumn = request.ownsFile
        let importer = ProfileImporter(database: database, tenantId: request.tenantId, options: options)
        let database = database
        var finished: ImportJob
        do {
            finished = try await pool.run { try importer.run(file: request.file, job: job) }
        } catch {
            finished = job
            finished.status = .failed
            finished.finishedAt = database.clock.now
            finished.message =
                error is BlockingPool.Busy
                ? "Too many imports are waiting; import the file again later."
                : "The import stopped because of an internal error. Rows imported before it are kept."
            finished.pendingFile = nil
            try? await database.updateImport(finished)
        }
        if finished.pendingFile == nil, request.ownsFile {
            try? FileManager.default.removeItem(atPath: request.file)
            try? await database.recordUploadFile(jobId: job.id!, path: nil)
        }
        let (action, detail) = Self.activity(for: finished)
        try? await database.recordActivity(tenantId: request.tenantId, actor: request.actor, action: action, detail: detail)
        return finished
    }
}

extension ImportService {
    /// What Activity says about a job as it ended: waiting for its id column, failed, or imported.
    static func activity(for job: ImportJob) -> (action: String, detail: String) {
        if job.pendingFile != nil {
            return ("profiles.import_waiting", "Import of \(job.fileName) is waiting for someone to choose its id column")
        }
        if job.status == .failed {
            return ("profiles.import_failed", "Import of \(job.fileName) failed: \(job.message ?? "no reason given")")
        }
        let removed =
            job.replaceAll ? ", replace all removed \(job.rowsRemoved.formatted()) profile\(job.rowsRemoved == 1 ? "" : "s")" : ""
        return (
            "profiles.imported",
            "Imported \(job.fileName): \(job.rowsImported.formatted()) row\(job.rowsImported == 1 ? "" : "s"), "
                + "\(job.rowsRejected.formatted()) rejected\(removed)"
        )
    }

    /// The command line's import: the same service and queue as the web upload, run until this one job finishes.
    public static func runOne(database: AppDatabase, _ request: Request) async throws -> ImportJob {
        let service = ImportService(
            database: database,
            pool: BlockingPool(name: "import", threads: 1, maxPending: 1),
            marksInterruptedJobs: false
        )
        let (done, finish) = AsyncStream.makeStream(of: ImportJob.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            try await service.enqueue(request) { finish.yield($0) }
            var result: ImportJob?
            for await job in done {
                result = job
                break
            }
            group.cancelAll()
            guard let result else { throw CancellationError() }
            return result
        }
    }
}

/// A one-way door: `wait` returns once `open` has been called.
private final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let isOpen = state.withLock { state in
                if !state.isOpen { state.waiting.append(continuation) }
                return state.isOpen
            }
            if isOpen { continuation.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}

import Foundation

/// A small pool of dedicated threads for CPU-heavy work (scrypt, CSV parsing, segment refreshes), so that it never
/// occupies the threads Swift's tasks run on (NIO's event loops). The queue is bounded: when it is full, `run`
/// throws `Busy` at once instead of queueing without limit, and the caller tells the person to retry. The threads
/// end when the pool is released.
public final class BlockingPool: Sendable {
    public struct Busy: Error {}

    /// What the threads share. They hold this, not the pool, so releasing the pool can stop them.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []  // guarded by `condition`
        var stopped = false  // guarded by `condition`

        func next() -> (@Sendable () -> Void)? {
            condition.lock()
            defer { condition.unlock() }
            while jobs.isEmpty && !stopped { condition.wait() }
            return jobs.isEmpty ? nil : jobs.removeFirst()
        }
    }

    private let queue = Queue()
    private let maxPending: Int

    public init(name: String, threads: Int, maxPending: Int) {
        self.maxPending = maxPending
        for index in 0..<max(1, threads) {
            let thread = Thread { [queue] in
                while let job = queue.next() { job() }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        queue.condition.lock()
        queue.stopped = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    /// Jobs waiting for a thread (not those running). Lets a test wait for a state instead of for time.
    public var pendingCount: Int {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.jobs.count
    }

    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.condition.lock()
            defer { queue.condition.unlock() }
            guard queue.jobs.count < maxPending else {
                continuation.resume(throwing: Busy())
                return
            }
            queue.jobs.append { continuation.resume(with: Result { try work() }) }
            queue.condition.signal()
        }
    }
}

import Foundation

/// A small pool of dedicated threads for CPU-heavy work (scrypt, later CSV parsing), so that it never occupies
/// Swift's cooperative thread pool. The queue is bounded: when it is full, `run` throws `Busy` at once instead of
/// queueing without limit, and the caller tells the person to retry.
public final class BlockingPool: @unchecked Sendable {
    public struct Busy: Error {}

    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []   // guarded by `condition`
    private let maxPending: Int

    public init(name: String, threads: Int, maxPending: Int) {
        self.maxPending = maxPending
        for index in 0..<max(1, threads) {
            let thread = Thread { [unowned self] in self.workLoop() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard pending.count < maxPending else {
                continuation.resume(throwing: Busy())
                return
            }
            pending.append { continuation.resume(with: Result { try work() }) }
            condition.signal()
        }
    }

    private func workLoop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let job = pending.removeFirst()
            condition.unlock()
            job()
        }
    }
}

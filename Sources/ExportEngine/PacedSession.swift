import ActiveCampaign
import Foundation
import OutboundCore
import Store

/// Why a run stops without finishing: it was canceled or removed (or another worker holds it now), or this
/// engine is shutting down. Neither is a failure of the run.
enum RunStop: Error {
    case noLongerOurs
    case shuttingDown
}

/// A run that cannot go on, with the reason a person reads.
struct RunFailure: Error {
    var reason: String
}

/// One run's line to ActiveCampaign: every request waits for the host's pacer, is preceded by the check that the
/// run is still ours (so nothing is sent after a cancel commits; for a post, made in the read of its contacts just
/// before, unless the pacer made it wait), and is retried as the error model says —
/// throttling waits without spending a try, transient errors back off with jitter, the rest is the caller's.
struct PacedSession {
    let client: ActiveCampaignClient
    let host: String
    let runId: Int64
    let scale: Double
    let deadline: Date
    let context: EngineContext

    private var pacer: DestinationPacer { context.pacer }
    private var queue: RunQueue { context.queue }
    private var clock: AppClock { context.clock }
    private var backoff: Backoff { context.backoff }
    private var configuration: EngineConfiguration { context.configuration }
    private func stopping() -> Bool { context.stopping() }

    /// `leaseChecked`: the caller made the check before the request in the read it just made
    /// (`RunQueue.contactsBeforePost`). It stands for the first try when the pacer lets it go at once; after a
    /// wait, and before every retry, the check is made again.
    func call<T: Sendable>(
        _ kind: RequestKind,
        leaseChecked: Bool = false,
        _ body: @escaping @Sendable (ActiveCampaignClient) async throws(ActiveCampaignError) -> T
    )
        async throws -> T
    {
        var transientFailures = 0
        var leaseChecked = leaseChecked
        while true {
            let waited = try await waitForSlot(kind)
            if waited || !leaseChecked {
                guard try await queue.stillOurs(runId: runId, now: clock.now) else { throw RunStop.noLongerOurs }
            }
            leaseChecked = false
            if stopping() { throw RunStop.shuttingDown }
            // The request runs to its end even if the run's task is canceled (shutdown): a request that went out
            // must have its answer recorded.
            let client = self.client
            let request = Task { () async -> Result<T, ActiveCampaignError> in
                do throws(ActiveCampaignError) { return .success(try await body(client)) } catch { return .failure(error) }
            }
            let result = await request.value
            switch result {
            case .success(let value):
                return value
            case .failure(.rateLimited(let retryAfter)):
                await pacer.pause(host: host, until: clock.now.addingTimeInterval((retryAfter ?? 1) / scale))
            case .failure(.importerRateLimited(let retryAfter)):
                await pacer.pauseImports(host: host, until: clock.now.addingTimeInterval((retryAfter ?? 60) / scale))
            case .failure(let error) where Self.isTransient(error):
                transientFailures += 1
                guard transientFailures < configuration.maxTransientAttempts else {
                    throw RunFailure(reason: "\(error.description) It failed \(transientFailures) times in a row; the run stopped.")
                }
                try await sleep(until: clock.now.addingTimeInterval(backoff.delay(attempt: transientFailures) / scale))
            case .failure(let error):
                throw error
            }
        }
    }

    static func isTransient(_ error: ActiveCampaignError) -> Bool {
        switch error {
        case .serverError, .timeout, .invalidResponse, .badHost(.connectionRefused), .badHost(.other): true
        default: false
        }
    }

    /// Returns whether it had to wait.
    private func waitForSlot(_ kind: RequestKind) async throws -> Bool {
        var waited = false
        while true {
            switch await pacer.reserve(host: host, kind: kind, now: clock.now, scale: scale) {
            case .sendNow:
                return waited
            case .askAgainAt(let time):
                try await sleep(until: time)
                waited = true
            }
        }
    }

    func sleep(until time: Date) async throws {
        guard time <= deadline else {
            throw RunFailure(
                reason: "The run did not finish within \(Int(configuration.runDeadline / 3600)) hours (ActiveCampaign kept it waiting)."
            )
        }
        // In steps: a long wait (Retry-After, the importer's minute) keeps the lease alive, and notices a cancel
        // or a shutdown within a step instead of at its end.
        let long = time.timeIntervalSince(clock.now) > Self.sleepStep
        while clock.now < time {
            if stopping() { throw RunStop.shuttingDown }
            do { try await clock.sleep(until: min(time, clock.now.addingTimeInterval(Self.sleepStep))) } catch {
                throw RunStop.shuttingDown
            }
            if long, try await !queue.stillOurs(runId: runId, now: clock.now) { throw RunStop.noLongerOurs }
        }
    }

    static let sleepStep: TimeInterval = 5
}

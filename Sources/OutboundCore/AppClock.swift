import Foundation
import Synchronization

/// The time the app believes it is, and the only way any part of Outbound waits for time to pass.
///
/// Production reads the system clock and sleeps for real. Tests use a *manual* clock: it starts at a fixed instant,
/// moves only when told to (`advance(by:)`) or when something sleeps on it (a sleep jumps the clock to the sleeper's
/// deadline at once). So windows, leases, timeouts, paces and schedules behave the same on a fast idle machine and
/// on a slow busy one, and a test of an hour of pacing takes milliseconds.
public final class AppClock: Sendable {
    private enum Mode { case system, manual }
    private let mode: Mode
    private let origin: Date
    private let offset = Mutex<TimeInterval>(0)

    /// The system clock.
    public init() {
        mode = .system
        origin = Date(timeIntervalSince1970: 0)
    }

    private init(manualStart: Date) {
        mode = .manual
        origin = manualStart
    }

    /// A clock that stands still at `start` until advanced or slept on (tests).
    public static func manual(at start: Date = Date(timeIntervalSince1970: 1_790_000_000)) -> AppClock {
        AppClock(manualStart: start)
    }

    public var isManual: Bool { mode == .manual }

    public var now: Date {
        let offset = offset.withLock { $0 }
        switch mode {
        case .system: return Date.now.addingTimeInterval(offset)
        case .manual: return origin.addingTimeInterval(offset)
        }
    }

    public func advance(by interval: TimeInterval) {
        offset.withLock { $0 += max(0, interval) }
    }

    /// Waits until `deadline`. A manual clock jumps to the deadline (never backwards) and lets other tasks run.
    public func sleep(until deadline: Date) async throws {
        switch mode {
        case .system:
            let seconds = deadline.timeIntervalSince(Date.now.addingTimeInterval(offset.withLock { $0 }))
            if seconds > 0 { try await Task.sleep(for: .seconds(seconds)) }
            try Task.checkCancellation()
        case .manual:
            offset.withLock { offset in
                offset = max(offset, deadline.timeIntervalSince(origin))
            }
            await Task.yield()
            try Task.checkCancellation()
        }
    }

    public func sleep(for seconds: TimeInterval) async throws {
        try await sleep(until: now.addingTimeInterval(max(0, seconds)))
    }
}

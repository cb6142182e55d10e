import Foundation
import Synchronization

/// The time the app believes it is. Production reads the system clock; tests move it forward to prove expiry
/// without waiting.
public final class AppClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    public init() {}

    public var now: Date { Date.now.addingTimeInterval(offset.withLock { $0 }) }

    public func advance(by interval: TimeInterval) {
        offset.withLock { $0 += interval }
    }
}

import Foundation
import Synchronization

/// Exponential backoff with full jitter (a random wait between 0 and base × 2^attempt, capped), so that many runs
/// failing at once do not come back at once. The generator is seeded in tests.
final class Backoff: Sendable {
    private let state: Mutex<UInt64>
    private let base: TimeInterval
    private let cap: TimeInterval

    init(base: TimeInterval, cap: TimeInterval, seed: UInt64?) {
        self.base = base
        self.cap = cap
        state = Mutex(seed ?? UInt64.random(in: 1...UInt64.max))
    }

    /// The wait before try number `attempt + 1` (attempt counts from 1).
    func delay(attempt: Int) -> TimeInterval {
        let ceiling = min(cap, base * pow(2, Double(min(attempt, 30))))
        return ceiling * nextUnit()
    }

    private func nextUnit() -> Double {
        state.withLock { state in
            // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }
}

import Foundation

/// When a workspace's system refresh happens: off, every day, or on chosen weekdays, at up to four local times of
/// the workspace's time zone. Pure: `next(after:in:)` is the only arithmetic the scheduler and the pages need.
public struct RefreshSchedule: Sendable, Equatable {
    public enum Frequency: String, Sendable, CaseIterable {
        case off, daily, weekly

        public var label: String {
            switch self {
            case .off: "Off"
            case .daily: "Daily"
            case .weekly: "Weekly"
            }
        }
    }

    /// ISO weekday numbers (Monday is 1).
    public enum Weekday: Int, Sendable, CaseIterable, Comparable {
        case monday = 1
        case tuesday, wednesday, thursday, friday, saturday, sunday

        public var name: String {
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][rawValue - 1]
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A wall-clock time of day, to the minute.
    public struct LocalTime: Sendable, Hashable, Comparable {
        public let hour: Int
        public let minute: Int

        public init?(hour: Int, minute: Int) {
            guard (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
            self.hour = hour
            self.minute = minute
        }

        /// "6:30", "06:30" or "18:05"; nil for anything else.
        public init?(parsing text: String) {
            let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
                parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                let hour = Int(parts[0]), let minute = Int(parts[1])
            else { return nil }
            self.init(hour: hour, minute: minute)
        }

        /// "06:30".
        public var text: String { (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)" }

        var secondsIntoDay: Int { hour * 3600 + minute * 60 }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.secondsIntoDay < rhs.secondsIntoDay }
    }

    public static let maxTimes = 4
    public static let off = RefreshSchedule(frequency: .off, weekdays: [], times: [])

    public let frequency: Frequency
    /// Read only when weekly; kept otherwise, so switching back to Weekly finds them again.
    public let weekdays: Set<Weekday>
    /// Sorted, without repeats, at most `maxTimes`.
    public let times: [LocalTime]

    public init(frequency: Frequency, weekdays: Set<Weekday>, times: [LocalTime]) {
        self.frequency = frequency
        self.weekdays = weekdays
        self.times = Array(Set(times).sorted().prefix(Self.maxTimes))
    }

    /// Whether it ever runs: off, a weekly schedule without a weekday and one without a time never do.
    public var isActive: Bool {
        frequency != .off && !times.isEmpty && (frequency == .daily || !weekdays.isEmpty)
    }

    /// The first refresh strictly after `instant`. A local time that does not exist that day (the clocks spring
    /// forward over it) runs at the first minute after the gap; one that happens twice (the clocks fall back) runs
    /// the first time only. Times that land on the same instant are one refresh.
    public func next(after instant: Date, in zone: TimeZone) -> Date? {
        guard isActive else { return nil }
        let local = Int(floor(instant.timeIntervalSince1970)) + zone.secondsFromGMT(for: instant)
        let today = Int(floor(Double(local) / 86_400))
        // From yesterday (a local day can start before `instant` in UTC) to a week and a day ahead; the earliest of
        // all, as a transition at midnight can put one day's last time after the next day's first.
        let days = ((today - 1)...(today + 8)).filter(runs(onDay:))
        return days.flatMap { day in times.map { Self.instant(wall: day * 86_400 + $0.secondsIntoDay, in: zone) } }
            .filter { $0 > instant }.min()
    }

    /// Days since 1970-01-01 (a Thursday) in local wall time.
    private func runs(onDay day: Int) -> Bool {
        guard frequency == .weekly else { return true }
        let iso = ((day % 7 + 7) % 7 + 3) % 7 + 1
        return weekdays.contains(Weekday(rawValue: iso)!)
    }

    /// The instant a local wall time (seconds since 1970 as if the zone were UTC) happens: the first if it happens
    /// twice, the end of the gap if it never does.
    static func instant(wall: Int, in zone: TimeZone) -> Date {
        // The offsets in force a day either side cover any transition near this wall time.
        let offsets = Set([-86_400, 0, 86_400].map { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(wall + $0))) })
        let valid = offsets.map { wall - $0 }.filter { zone.secondsFromGMT(for: date($0)) == wall - $0 }
        if let first = valid.min() { return date(first) }
        // In a gap: the first instant whose local time is at or after the wall time.
        var low = wall - offsets.max()!
        var high = wall - offsets.min()!
        while low < high {
            let middle = low + (high - low) / 2
            if middle + zone.secondsFromGMT(for: date(middle)) >= wall { high = middle } else { low = middle + 1 }
        }
        return date(low)
    }

    private static func date(_ seconds: Int) -> Date { Date(timeIntervalSince1970: Double(seconds)) }
}

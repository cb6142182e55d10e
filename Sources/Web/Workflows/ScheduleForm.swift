import Foundation
import OutboundCore

/// The Admin > System form read into a schedule and a time zone, or the problems beside each field.
struct ScheduleForm: Sendable {
    /// Field names: `frequency`, `day1`…`day7` (ISO weekdays), `time1`…`time4`, `timeZone`.
    var fields: [String: String]

    struct Problems: Error, Equatable {
        var frequency: String?
        var weekdays: String?
        /// By the time field's number (1…4).
        var times: [Int: String] = [:]
        var timeZone: String?

        var isEmpty: Bool { frequency == nil && weekdays == nil && times.isEmpty && timeZone == nil }
    }

    var frequencyText: String { fields["frequency"] ?? "" }
    var timeTexts: [String] { (1...RefreshSchedule.maxTimes).map { String((fields["time\($0)"] ?? "").prefix(20)) } }
    var timeZoneText: String { String((fields["timeZone"] ?? "").trimmingCharacters(in: .whitespaces).prefix(100)) }
    var weekdays: Set<RefreshSchedule.Weekday> {
        Set(RefreshSchedule.Weekday.allCases.filter { fields["day\($0.rawValue)"] != nil })
    }

    func parse() -> Result<(schedule: RefreshSchedule, zone: TimeZone), Problems> {
        var problems = Problems()
        let frequency = RefreshSchedule.Frequency(rawValue: frequencyText)
        if frequency == nil { problems.frequency = "Choose Off, Daily or Weekly." }
        var times: [RefreshSchedule.LocalTime] = []
        for (index, text) in timeTexts.enumerated() where !text.trimmingCharacters(in: .whitespaces).isEmpty {
            if let time = RefreshSchedule.LocalTime(parsing: text) {
                times.append(time)
            } else {
                problems.times[index + 1] = "Enter a 24-hour time like 06:30."
            }
        }
        if frequency.map({ $0 != .off }) ?? false, times.isEmpty, problems.times.isEmpty {
            problems.times[1] = "Enter at least one time of day."
        }
        if frequency == .weekly, weekdays.isEmpty { problems.weekdays = "Choose at least one weekday." }
        let zone = Self.zone(timeZoneText)
        if zone == nil { problems.timeZone = "Enter a time zone such as Europe/Berlin or America/New_York (IANA names)." }
        guard problems.isEmpty, let frequency, let zone else { return .failure(problems) }
        return .success((RefreshSchedule(frequency: frequency, weekdays: weekdays, times: times), zone))
    }

    /// An IANA name Foundation knows (`TimeZone(identifier:)`), from printable ASCII only.
    static func zone(_ text: String) -> TimeZone? {
        guard !text.isEmpty, text.count <= 64, text.unicodeScalars.allSatisfy({ (33...126).contains($0.value) }) else { return nil }
        return TimeZone(identifier: text)
    }
}

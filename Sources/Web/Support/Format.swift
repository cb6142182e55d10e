import Foundation
import OutboundCore

enum Format {
    /// Dates on pages: UTC, to the minute, unambiguous across the tenants' time zones.
    static func dateTime(_ date: Date) -> String {
        date.formatted(style(.gmt)) + " UTC"
    }

    /// A date in a workspace's own time zone, with its weekday and the zone's name: "Monday 2026-06-15 06:00
    /// Europe/Berlin".
    static func dateTime(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let weekday = (calendar.component(.weekday, from: date) + 5) % 7 + 1  // Sunday is 1 in Calendar, 7 in ISO
        return "\(RefreshSchedule.Weekday(rawValue: weekday)!.name) \(date.formatted(style(zone))) \(zone.identifier)"
    }

    private static func style(_ zone: TimeZone) -> Date.VerbatimFormatStyle {
        Date.VerbatimFormatStyle(
            format:
                "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
            timeZone: zone,
            calendar: Calendar(identifier: .gregorian)
        )
    }

    /// A length of time as people say it: "45 s", "3 min", "2 h 5 min".
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total < 60 { return "\(max(total, 0)) s" }
        let minutes = (total + 59) / 60
        if minutes < 60 { return "\(minutes) min" }
        return minutes % 60 == 0 ? "\(minutes / 60) h" : "\(minutes / 60) h \(minutes % 60) min"
    }
}

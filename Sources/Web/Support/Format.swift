import Foundation
import OutboundCore

enum Format {
    /// Dates on pages: UTC, to the minute, unambiguous across the tenants' time zones.
    static func dateTime(_ date: Date) -> String {
        date.formatted(style(.gmt)) + " UTC"
    }

    /// The UTC day alone, "2026-06-15", where a table has no room for the time.
    static func day(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits)",
                timeZone: .gmt,
                calendar: Calendar(identifier: .gregorian)
            )
        )
    }

    /// A date in a workspace's own time zone, with its weekday and the zone's name: "Monday 2026-06-15 06:00
    /// Europe/Berlin". `name`: the zone as the workspace chose it ("UTC", which Foundation calls "GMT").
    static func dateTime(_ date: Date, in zone: TimeZone, named name: String? = nil) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let weekday = (calendar.component(.weekday, from: date) + 5) % 7 + 1  // Sunday is 1 in Calendar, 7 in ISO
        return "\(RefreshSchedule.Weekday(rawValue: weekday)!.name) \(date.formatted(style(zone))) \(name ?? zone.identifier)"
    }

    private static func style(_ zone: TimeZone) -> Date.VerbatimFormatStyle {
        Date.VerbatimFormatStyle(
            format:
                "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
            timeZone: zone,
            calendar: Calendar(identifier: .gregorian)
        )
    }

    /// A size in binary units, as the limits are set and documented: "1 GiB", "64 KiB", "1.95 KiB" (2,000 bytes).
    static func bytes(_ count: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        guard unit > 0 else { return "\(count.formatted()) \(count == 1 ? "byte" : "bytes")" }
        return "\(value.formatted(.number.precision(.fractionLength(0...2)))) \(units[unit])"
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

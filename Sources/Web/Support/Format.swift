import Foundation
import OutboundCore

enum Format {
    /// Dates on pages: UTC, to the minute, unambiguous across the tenants' time zones.
    static func dateTime(_ date: Date) -> String {
        utcMinute(date) ?? date.formatted(style(.gmt)) + " UTC"
    }

    /// `dateTime(_:)` by arithmetic on the Gregorian calendar, as Foundation's format style writes it for years
    /// 1000–9999 (nil outside them): the style builds an ICU formatter every call, 50 times on Admin > Activity.
    static func utcMinute(_ date: Date) -> String? {
        let interval = date.timeIntervalSince1970.rounded(.down)
        guard interval.isFinite, abs(interval) < 1e12 else { return nil }
        let seconds = Int64(interval)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to year, month, day (H. Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard (1000...9999).contains(year) else { return nil }
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3_600)):\(two(secondOfDay % 3_600 / 60)) UTC"
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

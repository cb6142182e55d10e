import Foundation
import OutboundCore
import Testing

@testable import Web

/// An instant written in UTC: "2026-03-29 01:00".
func utc(_ text: String) -> Date {
    let parts = text.split(whereSeparator: { "- :".contains($0) }).map { Int($0)! }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = .gmt
    return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4]))!
}

func zone(_ identifier: String) -> TimeZone { TimeZone(identifier: identifier)! }

func at(_ text: String) -> RefreshSchedule.LocalTime { RefreshSchedule.LocalTime(parsing: text)! }

/// The pure next-occurrence arithmetic: UTC instants of wall-clock times, across the clocks' changes.
@Suite struct RefreshScheduleTests {
    /// The first `count` refreshes after `start`.
    func sequence(_ schedule: RefreshSchedule, _ zone: TimeZone, from start: Date, count: Int) -> [Date] {
        var instants: [Date] = []
        var after = start
        for _ in 0..<count {
            guard let next = schedule.next(after: after, in: zone) else { break }
            instants.append(next)
            after = next
        }
        return instants
    }

    @Test func dailyInSummerAndWinter() {
        let daily = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("06:00")])
        #expect(
            sequence(daily, zone("Europe/Berlin"), from: utc("2026-06-10 05:00"), count: 2) == [
                utc("2026-06-11 04:00"), utc("2026-06-12 04:00"),
            ]
        )
        #expect(daily.next(after: utc("2026-01-10 04:59"), in: zone("Europe/Berlin")) == utc("2026-01-10 05:00"))
        // Exactly at a refresh: the next one, never the same one again.
        #expect(daily.next(after: utc("2026-01-10 05:00"), in: zone("Europe/Berlin")) == utc("2026-01-11 05:00"))
    }

    @Test func weeklyOnChosenWeekdays() {
        let weekly = RefreshSchedule(frequency: .weekly, weekdays: [.monday, .friday], times: [at("09:15")])
        // Wednesday 10 June 2026: Friday, Monday, Friday.
        #expect(
            sequence(weekly, zone("Europe/Berlin"), from: utc("2026-06-10 12:00"), count: 3) == [
                utc("2026-06-12 07:15"), utc("2026-06-15 07:15"), utc("2026-06-19 07:15"),
            ]
        )
        // The weekday is the workspace's: 23:30 on Sunday in New York is already Monday in UTC.
        let sunday = RefreshSchedule(frequency: .weekly, weekdays: [.sunday], times: [at("23:30")])
        #expect(sunday.next(after: utc("2026-06-10 00:00"), in: zone("America/New_York")) == utc("2026-06-15 03:30"))
        #expect(RefreshSchedule(frequency: .weekly, weekdays: [], times: [at("09:15")]).next(after: .now, in: .gmt) == nil)
    }

    @Test func fourTimesADayInOrder() {
        let schedule = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("18:30"), at("00:00"), at("12:00"), at("6:00")])
        #expect(schedule.times.map(\.text) == ["00:00", "06:00", "12:00", "18:30"])
        #expect(
            sequence(schedule, zone("America/New_York"), from: utc("2026-06-10 03:00"), count: 5) == [
                utc("2026-06-10 04:00"), utc("2026-06-10 10:00"), utc("2026-06-10 16:00"), utc("2026-06-10 22:30"),
                utc("2026-06-11 04:00"),
            ]
        )
    }

    @Test func offNeverRuns() {
        #expect(RefreshSchedule.off.next(after: .now, in: .gmt) == nil)
        #expect(RefreshSchedule(frequency: .off, weekdays: [], times: [at("06:00")]).next(after: .now, in: .gmt) == nil)
        #expect(RefreshSchedule(frequency: .daily, weekdays: [], times: []).next(after: .now, in: .gmt) == nil)
    }

    /// Berlin springs forward on 29 March 2026 at 02:00 (01:00 UTC) to 03:00: 02:30 does not exist that day.
    @Test func berlinSpringForwardRunsAtTheFirstMinuteAfterTheGap() {
        let schedule = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("02:30")])
        #expect(
            sequence(schedule, zone("Europe/Berlin"), from: utc("2026-03-28 00:00"), count: 3) == [
                utc("2026-03-28 01:30"), utc("2026-03-29 01:00"), utc("2026-03-30 00:30"),
            ]
        )
        // Two times inside the gap are one refresh.
        let two = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("02:00"), at("02:45")])
        #expect(
            sequence(two, zone("Europe/Berlin"), from: utc("2026-03-28 23:00"), count: 2) == [
                utc("2026-03-29 01:00"), utc("2026-03-30 00:00"),
            ]
        )
    }

    /// Berlin falls back on 25 October 2026 at 03:00 (01:00 UTC) to 02:00: 02:30 happens twice; it runs once.
    @Test func berlinFallBackRunsTheRepeatedTimeOnce() {
        let schedule = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("02:30")])
        #expect(
            sequence(schedule, zone("Europe/Berlin"), from: utc("2026-10-24 00:00"), count: 3) == [
                utc("2026-10-24 00:30"), utc("2026-10-25 00:30"), utc("2026-10-26 01:30"),
            ]
        )
    }

    /// New York springs forward on 8 March 2026 at 02:00 EST (07:00 UTC) to 03:00 EDT.
    @Test func newYorkSpringForward() {
        let schedule = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("02:30"), at("12:00")])
        #expect(
            sequence(schedule, zone("America/New_York"), from: utc("2026-03-07 12:00"), count: 5) == [
                utc("2026-03-07 17:00"), utc("2026-03-08 07:00"), utc("2026-03-08 16:00"), utc("2026-03-09 06:30"),
                utc("2026-03-09 16:00"),
            ]
        )
    }

    /// New York falls back on 1 November 2026 at 02:00 EDT (06:00 UTC) to 01:00 EST: 01:30 happens twice.
    @Test func newYorkFallBack() {
        let schedule = RefreshSchedule(frequency: .daily, weekdays: [], times: [at("01:30")])
        #expect(
            sequence(schedule, zone("America/New_York"), from: utc("2026-10-31 12:00"), count: 2) == [
                utc("2026-11-01 05:30"), utc("2026-11-02 06:30"),
            ]
        )
    }

    @Test func localTimesParseStrictly() {
        #expect(RefreshSchedule.LocalTime(parsing: "6:05")?.text == "06:05")
        #expect(RefreshSchedule.LocalTime(parsing: " 23:59 ")?.text == "23:59")
        for bad in ["24:00", "12:60", "1230", "12:3", "-1:00", "١٢:٣٠", "12:30:00", "", ":", "12:3a"] {
            #expect(RefreshSchedule.LocalTime(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func theFormSaysWhatIsWrongBesideEachField() throws {
        func problems(_ fields: [String: String]) -> ScheduleForm.Problems? {
            if case .failure(let problems) = ScheduleForm(fields: fields).parse() { return problems }
            return nil
        }
        #expect(problems(["frequency": "hourly", "timeZone": "UTC"])?.frequency == "Choose Off, Daily or Weekly.")
        #expect(problems(["frequency": "daily", "timeZone": "UTC"])?.times == [1: "Enter at least one time of day."])
        #expect(
            problems(["frequency": "daily", "time1": "06:00", "time3": "7 pm", "timeZone": "UTC"])?.times == [
                3: "Enter a 24-hour time like 06:30."
            ]
        )
        #expect(problems(["frequency": "weekly", "time1": "06:00", "timeZone": "UTC"])?.weekdays == "Choose at least one weekday.")
        for zone in ["Mars/Olympus", "", "Europe/Berlin\u{0}", "Europe/ Berlin", String(repeating: "A", count: 65)] {
            #expect(problems(["frequency": "off", "timeZone": zone])?.timeZone != nil, "\(zone)")
        }
        #expect(problems(["frequency": "off", "timeZone": "America/New_York"]) == nil)
        let parsed = try ScheduleForm(fields: [
            "frequency": "weekly", "day2": "on", "day7": "on", "time1": "18:00", "time2": "06:00", "timeZone": "Asia/Tokyo",
        ])
        .parse().get()
        #expect(parsed.schedule == RefreshSchedule(frequency: .weekly, weekdays: [.tuesday, .sunday], times: [at("06:00"), at("18:00")]))
        #expect(parsed.zone.identifier == "Asia/Tokyo")
    }
}

import Foundation
import OutboundCore
import Store

/// The page model of Templates/system.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension SystemController {
    struct SystemPage {
        struct Choice {
            var value: String
            var label: String
            var checked: Bool
        }
        struct Day {
            var name: String
            var label: String
            var checked: Bool
        }
        struct TimeField {
            var name: String
            var label: String
            var value: String
            var error: String?
        }
        var chrome: Chrome
        var action: String
        var refreshAction: String
        var frequencies: [Choice]
        var frequencyError: String?
        var days: [Day]
        var weekdaysError: String?
        var times: [TimeField]
        var timeZone: String
        var timeZoneError: String?
        var zones: [String]
        /// "Off: no refresh is scheduled." or the next refresh in the workspace's time zone (and in UTC when that differs).
        var next: String
        var last: String?
        var lastSummary: String?
        var notice: String?
    }
}

extension SystemController.SystemPage {
    /// The saved state; the controller and the tests call it. `form` (a refused submission) and its problems
    /// replace the saved values in the fields.
    static func build(
        _ state: SystemRefreshState,
        slug: String,
        chrome: Chrome,
        form: ScheduleForm? = nil,
        problems: ScheduleForm.Problems = .init(),
        zones: [String] = TimeZone.knownTimeZoneIdentifiers.sorted()
    ) -> Self {
        let frequency = form?.frequencyText ?? state.schedule.frequency.rawValue
        let weekdays = form?.weekdays ?? state.schedule.weekdays
        let times =
            form?.timeTexts ?? (0..<RefreshSchedule.maxTimes).map { $0 < state.schedule.times.count ? state.schedule.times[$0].text : "" }
        return Self(
            chrome: chrome,
            action: TenantRoute.system.path(slug),
            refreshAction: TenantRoute.systemRefresh.path(slug),
            frequencies: RefreshSchedule.Frequency.allCases.map {
                .init(value: $0.rawValue, label: $0.label, checked: $0.rawValue == frequency)
            },
            frequencyError: problems.frequency,
            days: RefreshSchedule.Weekday.allCases.map { .init(name: "day\($0.rawValue)", label: $0.name, checked: weekdays.contains($0)) },
            weekdaysError: problems.weekdays,
            times: times.enumerated().map { index, value in
                .init(name: "time\(index + 1)", label: "Time \(index + 1)", value: value, error: problems.times[index + 1])
            },
            timeZone: form?.timeZoneText ?? state.timeZone,
            timeZoneError: problems.timeZone,
            zones: zones,
            next: nextText(state),
            last: state.lastRefreshAt.map(Format.dateTime),
            lastSummary: state.lastRefreshSummary,
            notice: nil
        )
    }

    static func nextText(_ state: SystemRefreshState) -> String {
        guard let next = state.nextRefreshAt else { return "No refresh is scheduled." }
        let chosen = TimeZone(identifier: state.timeZone)
        let zone = chosen ?? .gmt
        // Named as the workspace chose it; in UTC too only where that is another time (not UTC, GMT, London in winter).
        let utc = zone.secondsFromGMT(for: next) == 0 ? "" : " (\(Format.dateTime(next)))"
        return "Next refresh: \(Format.dateTime(next, in: zone, named: chosen == nil ? "UTC" : state.timeZone))\(utc)."
    }
}

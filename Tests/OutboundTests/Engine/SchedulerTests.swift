import ExportEngine
import Foundation
import Logging
import OutboundCore
import Store
import Testing

/// A workspace with a schedule and the scheduler on a manual clock that starts where the test needs it.
struct SchedulerFixture {
    let database: AppDatabase
    let clock: AppClock
    let tenantId: Int64

    static func make(at start: Date) async throws -> SchedulerFixture {
        let clock = AppClock.manual(at: start)
        let database = try AppDatabase.inMemory(clock: clock)
        let tenant = try await database.createTenant(slug: "acme", name: "Acme")
        return SchedulerFixture(database: database, clock: clock, tenantId: tenant.id!)
    }

    func schedule(_ times: [String], weekdays: Set<RefreshSchedule.Weekday> = [], in zone: String) async throws {
        try await database.schedule(tenantId: tenantId, times, weekdays: weekdays, in: zone)
    }

    /// Moves the clock five minutes at a time up to `end` (every time in these tests falls on a step), asking the
    /// scheduler after every step as the engine does on its ticks; the instants at which it refreshed.
    func refreshes(until end: Date) async -> [Date] {
        let scheduler = RefreshScheduler(database: database, clock: clock, logger: .quiet)
        var instants: [Date] = []
        while clock.now < end {
            clock.advance(by: 300)
            if await !scheduler.runDue().isEmpty { instants.append(clock.now) }
        }
        return instants
    }
}

extension AppDatabase {
    func schedule(tenantId: Int64, _ times: [String], weekdays: Set<RefreshSchedule.Weekday> = [], in zone: String) async throws {
        _ = try await saveSystemRefresh(
            tenantId: tenantId,
            schedule: RefreshSchedule(frequency: weekdays.isEmpty ? .daily : .weekly, weekdays: weekdays, times: times.map(at)),
            timeZone: TimeZone(identifier: zone)!,
            actor: .commandLine,
            now: clock.now
        )
    }

    func systemRefreshEvents(tenantId: Int64) async throws -> [ActivityEvent] {
        try await activity(tenantId: tenantId, page: 1, pageSize: 500).events.filter { $0.action == "system.refresh" }
    }
}

extension Logger {
    static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}

/// The scheduler on a manual clock: when refreshes happen (wall-clock times in the workspace's zone, across the
/// clocks' changes), at most one catch-up after downtime, one winner among engines, and what a refresh does.
@Suite struct SchedulerTests {
    @Test func dailyRefreshesAtTheWorkspacesTimeEveryDay() async throws {
        let fixture = try await SchedulerFixture.make(at: utc("2026-06-10 00:00"))
        try await fixture.schedule(["06:00"], in: "Europe/Berlin")
        #expect(
            await fixture.refreshes(until: utc("2026-06-13 00:00")) == [
                utc("2026-06-10 04:00"), utc("2026-06-11 04:00"), utc("2026-06-12 04:00"),
            ]
        )
    }

    @Test func weeklyRefreshesOnlyOnTheChosenDays() async throws {
        let fixture = try await SchedulerFixture.make(at: utc("2026-06-10 00:00"))  // a Wednesday
        try await fixture.schedule(["07:30"], weekdays: [.tuesday, .saturday], in: "America/New_York")
        #expect(
            await fixture.refreshes(until: utc("2026-06-21 00:00")) == [
                utc("2026-06-13 11:30"), utc("2026-06-16 11:30"), utc("2026-06-20 11:30"),
            ]
        )
    }

    @Test func fourTimesADay() async throws {
        let fixture = try await SchedulerFixture.make(at: utc("2026-06-10 00:00"))
        try await fixture.schedule(["22:45", "06:00", "12:00", "17:15"], in: "Europe/Berlin")
        #expect(
            await fixture.refreshes(until: utc("2026-06-11 06:00")) == [
                utc("2026-06-10 04:00"), utc("2026-06-10 10:00"), utc("2026-06-10 15:15"), utc("2026-06-10 20:45"),
                utc("2026-06-11 04:00"),
            ]
        )
    }

    @Test func berlinSpringForwardAndFallBack() async throws {
        let spring = try await SchedulerFixture.make(at: utc("2026-03-28 00:00"))
        try await spring.schedule(["02:30"], in: "Europe/Berlin")
        // 02:30 does not exist on 29 March: the refresh runs at 03:00 CEST, once.
        #expect(
            await spring.refreshes(until: utc("2026-03-31 00:00")) == [
                utc("2026-03-28 01:30"), utc("2026-03-29 01:00"), utc("2026-03-30 00:30"),
            ]
        )
        let autumn = try await SchedulerFixture.make(at: utc("2026-10-24 00:00"))
        try await autumn.schedule(["02:30"], in: "Europe/Berlin")
        // 02:30 happens twice on 25 October (00:30 and 01:30 UTC): one refresh, at the first.
        #expect(
            await autumn.refreshes(until: utc("2026-10-27 00:00")) == [
                utc("2026-10-24 00:30"), utc("2026-10-25 00:30"), utc("2026-10-26 01:30"),
            ]
        )
    }

    @Test func newYorkSpringForwardAndFallBack() async throws {
        let spring = try await SchedulerFixture.make(at: utc("2026-03-07 00:00"))
        try await spring.schedule(["02:15", "09:00"], in: "America/New_York")
        #expect(
            await spring.refreshes(until: utc("2026-03-09 12:00")) == [
                utc("2026-03-07 07:15"), utc("2026-03-07 14:00"), utc("2026-03-08 07:00"), utc("2026-03-08 13:00"),
                utc("2026-03-09 06:15"),
            ]
        )
        let autumn = try await SchedulerFixture.make(at: utc("2026-10-31 00:00"))
        try await autumn.schedule(["01:30"], in: "America/New_York")
        #expect(
            await autumn.refreshes(until: utc("2026-11-03 00:00")) == [
                utc("2026-10-31 05:30"), utc("2026-11-01 05:30"), utc("2026-11-02 06:30"),
            ]
        )
    }

    @Test func afterDowntimeOneCatchUpThenTheScheduleAgain() async throws {
        let fixture = try await SchedulerFixture.make(at: utc("2026-06-10 00:00"))
        try await fixture.schedule(["06:00", "18:00"], in: "Europe/Berlin")
        // No engine for three days and a half: six refreshes missed.
        fixture.clock.advance(by: 3.5 * 86_400)  // 2026-06-13 12:00 UTC
        let scheduler = RefreshScheduler(database: fixture.database, clock: fixture.clock, logger: .quiet)
        #expect(await scheduler.runDue() == [fixture.tenantId])
        #expect(await scheduler.runDue() == [])
        #expect(try await fixture.database.systemRefresh(tenantId: fixture.tenantId).nextRefreshAt == utc("2026-06-13 16:00"))
        #expect(await fixture.refreshes(until: utc("2026-06-14 05:00")) == [utc("2026-06-13 16:00"), utc("2026-06-14 04:00")])
        #expect(try await fixture.database.systemRefreshEvents(tenantId: fixture.tenantId).count == 3)
    }

    @Test func twoEnginesOnOneDatabaseRunEachRefreshOnce() async throws {
        let directory = try temporaryDirectory()
        let clock = AppClock.manual(at: utc("2026-06-10 00:00"))
        let first = try AppDatabase.open(path: directory + "/outbound.sqlite", clock: clock)
        let second = try AppDatabase.open(path: directory + "/outbound.sqlite", clock: clock)
        let tenant = try await first.createTenant(slug: "acme", name: "Acme").id!
        try await first.schedule(tenantId: tenant, ["06:00"], in: "UTC")
        _ = try first.ensureAttributes(tenantId: tenant, [("country", .text)])
        _ = try await first.saveSegment(
            tenantId: tenant,
            id: nil,
            name: "In DE",
            description: "",
            rules: SegmentRules(
                combinator: .all,
                groups: [RuleGroup(combinator: .all, conditions: [RuleCondition(attribute: "country", op: .equals, value: "DE")])]
            ),
            actor: .commandLine,
            now: clock.now
        )
        clock.advance(by: 6 * 3600)
        // Both see the refresh due before either claims it: only one claim moves it on.
        #expect(try await first.dueSystemRefreshes(now: clock.now) == [tenant])
        #expect(try await second.dueSystemRefreshes(now: clock.now) == [tenant])
        async let claimedByFirst = first.claimSystemRefresh(tenantId: tenant, now: clock.now)
        async let claimedBySecond = second.claimSystemRefresh(tenantId: tenant, now: clock.now)
        #expect(try await [claimedByFirst, claimedBySecond].filter { $0 }.count == 1)

        // Whole scheduler passes racing on the next occurrence: one refresh, one generation of members.
        clock.advance(by: 86_400)
        let one = RefreshScheduler(database: first, clock: clock, logger: .quiet)
        let other = RefreshScheduler(database: second, clock: clock, logger: .quiet)
        async let ranFirst = one.runDue()
        async let ranSecond = other.runDue()
        #expect(await (ranFirst + ranSecond) == [tenant])
        #expect(try await first.systemRefreshEvents(tenantId: tenant).count == 1)
        #expect(try await first.segmentSummaries(tenantId: tenant).map(\.segment.generation) == [1])
    }

    @Test func aRefreshRefreshesSegmentsThenQueuesTheExportsOnSystemRefresh() async throws {
        try await EngineWorld.with(profiles: profiles(1...10)) { world in
            let newsletter = try await world.createExport(name: "Newsletter")
            var manualOnly = ExportSettings(
                name: "Manual only",
                connectionId: world.connectionId,
                listId: "2",
                segmentIds: [world.everyoneSegment],
                emailAttributeId: world.attributes["email"]!
            )
            manualOnly.schedule = .off
            let manual = try await world.database.createExport(
                tenantId: world.tenantId,
                settings: manualOnly,
                actor: .commandLine,
                now: world.clock.now
            )
            // Five more profiles after the segment's last refresh: only a refresh makes them members.
            try await world.put(profiles(11...15), refreshSegments: false)
            let due = world.clock.now.addingTimeInterval(300)
            try await world.database.schedule(tenantId: world.tenantId, [Self.wallTime(of: due, in: "Asia/Tokyo")], in: "Asia/Tokyo")

            let scheduler = RefreshScheduler(database: world.database, clock: world.clock, logger: .quiet)
            #expect(await scheduler.runDue() == [])  // not due yet
            world.clock.advance(by: 360)  // past the minute it was rounded up to
            #expect(await scheduler.runDue() == [world.tenantId])

            let segment = try #require(try await world.database.segment(tenantId: world.tenantId, id: world.everyoneSegment))
            #expect(segment.memberCount == 15)
            let runs = try await world.database.runs(tenantId: world.tenantId, exportId: newsletter.id!)
            #expect(runs.map(\.trigger) == [.schedule])
            #expect(runs.map(\.state) == [.queued])
            #expect(runs.map(\.requestedBy) == ["System refresh"])
            #expect(try await world.database.runs(tenantId: world.tenantId, exportId: manual.id!).isEmpty)
            let event = try #require(try await world.database.systemRefreshEvents(tenantId: world.tenantId).first)
            #expect(event.actorEmail == "system refresh")
            #expect(event.detail == "Scheduled system refresh: Refreshed 1 segment; queued 1 export.")
            #expect(try await world.database.systemRefreshEvents(tenantId: world.otherTenantId).isEmpty)

            // What was queued runs with the members the refresh made.
            await world.engine().runUntilIdle()
            #expect(try await world.listStatuses().count == 15)
        }
    }

    @Test func anExportWhosePreviousRunIsStillGoingGetsASkippedRunThatSaysSo() async throws {
        try await EngineWorld.with(profiles: profiles(1...3)) { world in
            let export = try await world.createExport()
            let earlier = try await world.database.enqueueRun(
                tenantId: world.tenantId,
                exportId: export.id!,
                request: RunRequest(trigger: .manual, userId: world.adminId, by: "alice@acme.test"),
                actor: .commandLine,
                now: world.clock.now
            )
            let due = world.clock.now.addingTimeInterval(60)
            try await world.database.schedule(tenantId: world.tenantId, [Self.wallTime(of: due, in: "UTC")], in: "UTC")
            world.clock.advance(by: 120)
            #expect(await RefreshScheduler(database: world.database, clock: world.clock, logger: .quiet).runDue() == [world.tenantId])
            let runs = try await world.database.runs(tenantId: world.tenantId, exportId: export.id!)
            #expect(runs.map(\.state) == [.skipped, .queued])
            #expect(runs.first?.trigger == .schedule)
            #expect(runs.first?.reason == "The previous run (#\(earlier.run.id!)) is still going.")
            let state = try await world.database.systemRefresh(tenantId: world.tenantId)
            #expect(
                state.lastRefreshSummary
                    == "Refreshed 1 segment; queued 0 exports; skipped Newsletter (The previous run (#\(earlier.run.id!)) is still going.)."
            )
        }
    }

    @Test func theEngineServiceRunsTheSchedulerOnItsTicks() async throws {
        try await EngineWorld.with(profiles: profiles(1...5)) { world in
            let export = try await world.createExport()
            let due = world.clock.now.addingTimeInterval(120)
            try await world.database.schedule(tenantId: world.tenantId, [Self.wallTime(of: due, in: "UTC")], in: "UTC")
            let engine = world.engine()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                // Waits for a state, not for a time: the engine's idle ticks move the manual clock to the refresh.
                var run: ExportRun?
                while run.map({ $0.state.isActive }) ?? true {
                    try await Task.sleep(for: .milliseconds(2))
                    run = try await world.database.runs(tenantId: world.tenantId, exportId: export.id!).first
                }
                engine.stop()
                try await group.waitForAll()
                #expect(run?.trigger == .schedule)
                #expect(run?.state == .succeeded)
            }
            #expect(try await world.listStatuses().count == 5)
        }
    }

    /// "HH:MM" of `date` in `zone`, rounded up to the minute.
    static func wallTime(of date: Date, in zone: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        let minute = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.up) * 60)
        let parts = calendar.dateComponents([.hour, .minute], from: minute)
        return RefreshSchedule.LocalTime(hour: parts.hour!, minute: parts.minute!)!.text
    }
}

import Foundation

@testable import ActiveCampaign
@testable import Store
@testable import Web

// The export pages' models, built with their own `build` functions from fixed records (no clock, no time zone,
// no random ids), so the snapshots also pin what the builders make of the records.

enum ExportMocks {
    static let day = Date(timeIntervalSince1970: 1_795_000_000)

    static let shared: Connection = {
        var connection = Connection(tenantId: 1, name: "Main <account>", usableBy: .contributors, apiHost: "acme.api-us1.com", now: day)
        connection.id = 1
        return connection
    }()

    static let adminsOnly: Connection = {
        var connection = Connection(tenantId: 1, name: "Finance", usableBy: .admins, apiHost: "acme.api-us1.com", now: day)
        connection.id = 2
        return connection
    }()

    static func export(id: Int64, name: String, connection: Connection?, schedule: ExportSchedule = .system) -> Export {
        Export(
            id: id,
            tenantId: 1,
            name: name,
            connectionId: connection?.id,
            listId: "3",
            schedule: schedule,
            createdByUserId: 1,
            createdAt: day,
            updatedAt: day,
            emailAttributeId: 1,
            firstNameAttributeId: 2,
            lastNameAttributeId: nil,
            phoneAttributeId: nil,
            runAutomations: false,
            mirror: true,
            mirrorGuardPercent: 20,
            baselineState: .read
        )
    }

    static func run(id: Int64, exportId: Int64, state: RunState) -> ExportRun {
        var run = ExportRun(
            tenantId: 1,
            exportId: exportId,
            trigger: .manual,
            requestedByUserId: 2,
            requestedBy: "bob@acme.test",
            fullResync: false,
            state: .queued,
            reason: nil,
            now: day
        )
        run.id = id
        run.state = state
        run.phase = state.isActive ? .send : .done
        run.startedAt = day.addingTimeInterval(2)
        run.finishedAt = state.isActive ? nil : day.addingTimeInterval(92)
        (run.members, run.duplicates, run.valid, run.invalid, run.unchanged) = (1_210, 3, 1_200, 7, 200)
        (run.toSend, run.sent, run.accepted, run.rejected, run.batches, run.batchesConfirmed, run.requests) = (
            1_000, 1_000, 998, 2, 4, 4, 14
        )
        return run
    }

    static let newsletter = ExportSummary(
        export: export(id: 7, name: "Newsletter <DE>", connection: shared),
        segments: [ExportReference(id: 1, name: "Berlin"), ExportReference(id: 2, name: "Hamburg")],
        connectionName: shared.name,
        lastRun: run(id: 12, exportId: 7, state: .completedWithErrors)
    )

    static let payroll = ExportSummary(
        export: export(id: 8, name: "Payroll", connection: adminsOnly, schedule: .off),
        segments: [ExportReference(id: 3, name: "Staff")],
        connectionName: adminsOnly.name,
        lastRun: nil
    )

    static let detached = ExportSummary(
        export: export(id: 9, name: "Old list", connection: nil),
        segments: [ExportReference(id: 1, name: "Berlin")],
        connectionName: nil,
        lastRun: nil
    )

    static let contributor = Policy(role: .contributor)

    static func loaded(_ summary: ExportSummary, _ connection: Connection?, policy: Policy = contributor) -> ExportSteps.Loaded {
        ExportSteps.Loaded(summary: summary, connection: connection, permissions: ExportPermissions(policy: policy, connection: connection))
    }
}

extension ExportsController.ListPage {
    static let mock = build(
        [ExportMocks.newsletter, ExportMocks.payroll, ExportMocks.detached],
        connections: [ExportMocks.shared, ExportMocks.adminsOnly],
        hasSegments: true,
        slug: "acme",
        policy: ExportMocks.contributor,
        chrome: .mockTenant("Exports", section: "Exports", isAdmin: false),
        notice: "The export was removed. Contacts already sent stay in ActiveCampaign."
    )
}

extension ExportsController.RemovePage {
    static let mock = Self(
        chrome: .mockTenant("Remove Newsletter <DE>", section: "Exports", isAdmin: false),
        name: "Newsletter <DE>",
        action: TenantRoute.removeExport.path("acme", 7),
        cancelHref: TenantRoute.export.path("acme", 7),
        runningNote: "Its current run stops before its next request to ActiveCampaign."
    )
}

extension ExportEditorController.FormPage {
    static let mock: Self = {
        var entered = ExportEditorController.Entered(ExportMocks.newsletter)
        entered.shown.append(.phone)
        var problems = ExportEditorController.Problems()
        problems[.list] = "ActiveCampaign has no list with id 3 in this account."
        let segment = Segment(
            id: 1,
            tenantId: 1,
            name: "Berlin",
            description: "",
            rules: "{}",
            generation: 1,
            memberCount: 1_210,
            refreshedAt: ExportMocks.day,
            createdAt: ExportMocks.day,
            updatedAt: ExportMocks.day
        )
        return build(
            Inputs(
                loaded: ExportMocks.loaded(ExportMocks.newsletter, ExportMocks.shared),
                entered: entered,
                problems: problems,
                connections: [ExportMocks.shared],
                lists: .success([ACList(id: "1", name: "Master Contact List"), ACList(id: "2", name: "Newsletter")]),
                segments: [SegmentSummary(segment: segment, exports: [])],
                attributes: [
                    Attribute(id: 1, tenantId: 1, name: "email", type: .text),
                    Attribute(id: 2, tenantId: 1, name: "first_name", type: .text),
                ],
                policy: ExportMocks.contributor,
                notice: "Your changes were saved.",
                whenItRuns: RunSummary.whenItRuns(ExportMocks.newsletter.export, hasConnection: true)
            ),
            slug: "acme",
            chrome: .mockTenant("Export Newsletter <DE>", section: "Exports", isAdmin: false)
        )
    }()
}

extension ExportEditorController.PreviewPage {
    static let mock: Self = {
        var preview = ExportPreview()
        preview.sample = [
            .init(profileId: "p1", email: "ana@example.com", firstName: "Ana", lastName: nil, phone: "+49 30 1", action: .send),
            .init(profileId: "p2", email: "=cmd@example.com", firstName: "<b>", lastName: "O'Neil", phone: nil, action: .unchanged),
        ]
        (preview.members, preview.duplicates, preview.valid, preview.toSend, preview.new, preview.unchanged) = (
            1_210, 3, 1_200, 1_000, 400, 200
        )
        preview.invalid = [.init(reason: "Not a valid email address", count: 5), .init(reason: "No email address", count: 2)]
        preview.toUnsubscribe = 12
        return build(
            preview,
            loaded: ExportMocks.loaded(ExportMocks.newsletter, ExportMocks.shared),
            ahead: QueuedAhead(runs: 1, contacts: 5_000),
            account: .success(ACAccountSettings(account: "acme", subscriberLimit: 2_500, subscriberTotal: 2_300)),
            estimate: SendEstimate(),
            slug: "acme",
            chrome: .mockTenant("Preview of Newsletter <DE>", section: "Exports", isAdmin: false)
        )
    }()
}

extension ExportRunsController.RunPage {
    static let mock: Self = {
        var running = ExportMocks.run(id: 13, exportId: 7, state: .running)
        (running.accepted, running.rejected, running.batchesConfirmed) = (500, 0, 2)
        return build(
            Inputs(
                loaded: ExportMocks.loaded(ExportMocks.newsletter, ExportMocks.shared),
                run: running,
                progress: RunProgress(running, now: ExportMocks.day.addingTimeInterval(52)),
                invalid: (
                    [RunProblemRow(profileId: "p9", email: "=HYPERLINK(\"x\")", outcome: "invalid", reason: "Not a valid email address")], 9
                ),
                rejected: ([], nil),
                history: [running, ExportMocks.run(id: 12, exportId: 7, state: .completedWithErrors)],
                canControl: true,
                notice: nil
            ),
            slug: "acme",
            chrome: .mockTenant("Run #13 of Newsletter <DE>", section: "Exports", isAdmin: false)
        )
    }()
}
